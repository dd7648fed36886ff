import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cacheTtlMs, SAFETY_BUFFER_MS } from './index.ts';
import { metadataLocation } from './index.ts';

describe('cacheTtlMs (spec §4.4, §7 item 7)', () => {
  const now = 1_000_000;
  it.each([
    ['1 h left → capped at 5 min', now + 3_600_000, 300_000],
    ['200 s left → 80 % = 160 s', now + 200_000, 160_000],
    ['100 s left → remaining − 30 s = 70 s', now + 100_000, 70_000],
    ['20 s left → 0 (not cached)', now + 20_000, 0],
    ['already expired → 0', now - 1, 0],
    ['unknown expiry → default', 0, 120_000],
  ])('%s', (_label, expiresAt, expected) => {
    expect(cacheTtlMs({ upstreamExpiresAtMs: expiresAt }, now, 120_000)).toBe(expected);
  });

  it('property: an entry never outlives 80 % of the life, 5 minutes, or expiry − 30 s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 * 86_400_000 }), (remaining) => {
        const ttl = cacheTtlMs({ upstreamExpiresAtMs: now + remaining }, now, 300_000);
        expect(ttl).toBeGreaterThanOrEqual(0);
        expect(ttl).toBeLessThanOrEqual(300_000);
        expect(ttl).toBeLessThanOrEqual(Math.max(0, remaining * 0.8));
        expect(ttl).toBeLessThanOrEqual(Math.max(0, remaining - SAFETY_BUFFER_MS));
      }),
    );
  });
});

describe('metadataLocation (RFC 9728 §3.1)', () => {
  it('inserts the well-known segment before the resource path', () => {
    expect(metadataLocation('https://tools.example.com/mcp')).toEqual({
      url: 'https://tools.example.com/.well-known/oauth-protected-resource/mcp',
      paths: ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'],
    });
    expect(metadataLocation('https://tools.example.com')).toEqual({
      url: 'https://tools.example.com/.well-known/oauth-protected-resource',
      paths: ['/.well-known/oauth-protected-resource'],
    });
  });
});
