import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initialSessionExpiryMs, sessionExtensionMs } from './session-expiry.ts';

const DAY = 86_400_000;

describe('session expiry policy', () => {
  it('extends only when the new refresh token would outlive the session', () => {
    const now = 1_000_000;
    expect(sessionExtensionMs(now, 7 * DAY, now + 7.5 * DAY)).toBeNull();
    expect(sessionExtensionMs(now, 7 * DAY, now + 7 * DAY)).toBeNull();
    expect(sessionExtensionMs(now, 7 * DAY, now + 7 * DAY - 1)).toBe(now + 7.7 * DAY);
  });

  it('after the decision the session covers the new refresh token; an extension adds at most 10 % (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 3_600_000, max: 720 * 3_600_000 }), fc.integer({ min: -DAY, max: 30 * DAY }), (now, lifespan, offset) => {
        const extended = sessionExtensionMs(now, lifespan, now + offset);
        const next = extended ?? now + offset;
        expect(next).toBeGreaterThanOrEqual(now + lifespan);
        if (extended !== null) expect(extended - (now + lifespan)).toBeLessThanOrEqual(Math.ceil(lifespan * 0.1) + 1);
        expect(initialSessionExpiryMs(now, lifespan)).toBeGreaterThanOrEqual(now + lifespan);
      }),
    );
  });
});
