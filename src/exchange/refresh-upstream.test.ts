import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type UpstreamTokens } from '../store/index.ts';
import { UpstreamRefreshCoordinator, needsRefresh, type UpstreamRefresher } from './index.ts';

function setup() {
  let nowMs = 1_800_000_000_000;
  const now = () => nowMs;
  const store = createMemoryStore({ encryptionKeys: { activeKeyId: 'k', keys: { k: randomBytes(32) } }, now, sweepIntervalMs: 0 });
  const row: UpstreamTokens = {
    provider: 'idp',
    accessToken: 'old-at',
    refreshToken: 'rt-1',
    expiresAtMs: nowMs + 10_000,
    sessionExpiresAtMs: nowMs + 86_400_000,
    userId: 'u',
    upstreamSubject: 's',
    clientId: 'c',
  };
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const spent: string[] = [];
  const idp: UpstreamRefresher = {
    name: 'idp',
    async refresh(rt) {
      spent.push(rt);
      await gate;
      return { accessToken: `at-for-${rt}`, refreshToken: `${rt}-next`, expiresAtMs: nowMs + 3_600_000 };
    },
  };
  const replica = () => new UpstreamRefreshCoordinator({ ...store, now, leaseWaitPollMs: 1 });
  return { store, row, idp, spent, release, replica, advance: (ms: number) => (nowMs += ms) };
}

describe('needsRefresh', () => {
  it.each([
    [0, false],
    [1_000 + 31_000, false],
    [1_000 + 30_000, true],
    [1_000, true],
    [500, true],
  ])('expiresAtMs %i at now=1000 → %s (30 s buffer, 0 = never)', (expiresAtMs, expected) => {
    expect(needsRefresh({ expiresAtMs }, 1_000)).toBe(expected);
  });
});

describe('UpstreamRefreshCoordinator', () => {
  it('returns a fresh row without calling the IdP', async () => {
    const t = setup();
    await t.store.upstreamTokens.store('tsid', 'idp', { ...t.row, expiresAtMs: t.row.expiresAtMs + 3_600_000 });
    const out = await t.replica().ensureFresh('tsid', t.idp);
    expect(out).toMatchObject({ refreshed: false, tokens: { accessToken: 'old-at' } });
    expect(t.spent).toEqual([]);
  });

  it('single-flight in one process: 5 concurrent callers, one upstream refresh', async () => {
    const t = setup();
    await t.store.upstreamTokens.store('tsid', 'idp', t.row);
    const r = t.replica();
    const all = Promise.all(Array.from({ length: 5 }, () => r.ensureFresh('tsid', t.idp)));
    t.release();
    const results = await all;
    expect(t.spent).toEqual(['rt-1']);
    expect(new Set(results.map((x) => x.tokens.accessToken))).toEqual(new Set(['at-for-rt-1']));
  });

  it('two replicas on one store never spend the same refresh token: the lease loser re-reads the row', async () => {
    const t = setup();
    await t.store.upstreamTokens.store('tsid', 'idp', t.row);
    const a = t.replica();
    const b = t.replica();
    const pa = a.ensureFresh('tsid', t.idp);
    const pb = b.ensureFresh('tsid', t.idp);
    // Let both try the lease before the winner's upstream call returns.
    await new Promise((resolve) => setTimeout(resolve, 20));
    t.release();
    const [ra, rb] = await Promise.all([pa, pb]);
    expect(t.spent).toEqual(['rt-1']);
    expect(ra.tokens.accessToken).toBe('at-for-rt-1');
    expect(rb.tokens.accessToken).toBe('at-for-rt-1');
    expect([ra.refreshed, rb.refreshed].sort()).toEqual([false, true]);
    const stored = await t.store.upstreamTokens.get('tsid', 'idp', Date.now());
    expect(stored?.tokens.refreshToken).toBe('rt-1-next');
  });
});
