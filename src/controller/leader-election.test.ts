import { describe, expect, it } from 'vitest';
import { decideLease } from './leader-election.ts';

const now = new Date('2026-11-28T10:00:00Z');

describe('decideLease', () => {
  it('creates an absent lease', () => {
    expect(decideLease(null, 'a', now, 15)).toEqual({
      action: 'create',
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: now.toISOString(), renewTime: now.toISOString(), leaseTransitions: 0 },
    });
  });

  it('renews its own lease, keeping acquireTime', () => {
    const d = decideLease({ holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2026-11-28T09:00:00Z', renewTime: '2026-11-28T09:59:55Z', leaseTransitions: 3 }, 'a', now, 15);
    expect(d).toMatchObject({ action: 'renew', spec: { acquireTime: '2026-11-28T09:00:00Z', renewTime: now.toISOString(), leaseTransitions: 3 } });
  });

  it("waits while another holder's lease is fresh", () => {
    const d = decideLease({ holderIdentity: 'b', leaseDurationSeconds: 15, renewTime: '2026-11-28T09:59:50Z' }, 'a', now, 15);
    expect(d).toEqual({ action: 'wait', holder: 'b', expiresAt: new Date('2026-11-28T10:00:05Z') });
  });

  it('takes over an expired or released lease and counts the transition', () => {
    const expired = decideLease({ holderIdentity: 'b', leaseDurationSeconds: 15, renewTime: '2026-11-28T09:59:45Z', leaseTransitions: 2 }, 'a', now, 15);
    expect(expired).toMatchObject({ action: 'takeover', spec: { holderIdentity: 'a', leaseTransitions: 3 } });
    const released = decideLease({ holderIdentity: undefined, renewTime: undefined, leaseTransitions: 4 }, 'a', now, 15);
    expect(released).toMatchObject({ action: 'takeover', spec: { leaseTransitions: 5 } });
  });

  it("uses the holder's own lease duration, not ours", () => {
    const d = decideLease({ holderIdentity: 'b', leaseDurationSeconds: 60, renewTime: '2026-11-28T09:59:30Z' }, 'a', now, 15);
    expect(d.action).toBe('wait');
  });
});
