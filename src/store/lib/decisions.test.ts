import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UpstreamTokens } from '../types.ts';
import { decideRotate, isUpstreamExpired, mergeUpstreamTokens, ttlUntil } from './decisions.ts';

const now = 1_800_000_000_000;
const live = { expiresAtMs: now + 1000, usedAtMs: null, revokedAtMs: null };

describe('decideRotate', () => {
  it.each([
    ['absent', null, false, 'not_found'],
    ['live', live, false, 'ok'],
    ['used', { ...live, usedAtMs: now - 1 }, false, 'replay'],
    ['used and revoked (a race loser after the family was revoked)', { ...live, usedAtMs: now - 1, revokedAtMs: now }, true, 'replay'],
    ['used and expired', { ...live, usedAtMs: now - 1, expiresAtMs: now - 1 }, false, 'replay'],
    ['revoked token', { ...live, revokedAtMs: now - 1 }, false, 'revoked'],
    ['revoked family', live, true, 'revoked'],
    ['expired exactly now', { ...live, expiresAtMs: now }, false, 'expired'],
  ] as const)('%s → %s', (_name, token, familyRevoked, outcome) => {
    expect(decideRotate(token, familyRevoked, now)).toBe(outcome);
  });

  it('returns ok only for an unused, unrevoked, unexpired token', () => {
    fc.assert(
      fc.property(
        fc.record({
          expiresAtMs: fc.integer({ min: now - 10, max: now + 10 }),
          usedAtMs: fc.option(fc.integer({ min: 0, max: now })),
          revokedAtMs: fc.option(fc.integer({ min: 0, max: now })),
        }),
        fc.boolean(),
        (token, familyRevoked) => {
          const ok = token.usedAtMs === null && token.revokedAtMs === null && !familyRevoked && token.expiresAtMs > now;
          expect(decideRotate(token, familyRevoked, now) === 'ok').toBe(ok);
        },
      ),
    );
  });
});

describe('mergeUpstreamTokens', () => {
  const base: UpstreamTokens = {
    provider: 'github',
    accessToken: 'at-1',
    refreshToken: 'rt-1',
    expiresAtMs: now,
    sessionExpiresAtMs: now + 1000,
    userId: 'u',
    upstreamSubject: 's',
    clientId: 'c',
  };

  it('keeps the stored refresh token when the new one is empty', () => {
    const merged = mergeUpstreamTokens(base, { ...base, accessToken: 'at-2', refreshToken: '' });
    expect(merged).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-1' });
  });

  it('takes rotated values and the incoming row when there is nothing stored', () => {
    expect(mergeUpstreamTokens(base, { ...base, refreshToken: 'rt-2' })).toMatchObject({ refreshToken: 'rt-2' });
    expect(mergeUpstreamTokens(null, { ...base, refreshToken: '' }).refreshToken).toBe('');
  });
});

describe('isUpstreamExpired / ttlUntil', () => {
  it('treats expiresAtMs 0 as non-expiring', () => {
    expect(isUpstreamExpired({ expiresAtMs: 0 } as UpstreamTokens, now)).toBe(false);
    expect(isUpstreamExpired({ expiresAtMs: now } as UpstreamTokens, now)).toBe(true);
    expect(isUpstreamExpired({ expiresAtMs: now + 1 } as UpstreamTokens, now)).toBe(false);
  });

  it('never returns a TTL below 1 ms', () => {
    expect(ttlUntil(now - 5, now)).toBe(1);
    expect(ttlUntil(now + 5000, now)).toBe(5000);
  });
});
