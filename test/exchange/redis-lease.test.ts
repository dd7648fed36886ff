/**
 * Two auth-server replicas (two Redis store instances, two refresh coordinators) on one real
 * redis-server: an expiring upstream row is refreshed exactly once, so one upstream refresh token
 * is never spent twice; the replica that lost the lease returns the row the winner stored.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, redisKeyPrefix, type AuthStore } from '../../src/store/index.ts';
import { UpstreamRefreshCoordinator, type UpstreamRefresher } from '../../src/exchange/index.ts';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';

let redis: RedisServerHandle;
let replicas: AuthStore[] = [];
const encryptionKeys = { activeKeyId: 'k1', keys: { k1: randomBytes(32) } };

beforeAll(async () => {
  redis = await startRedisServer();
  const keyPrefix = redisKeyPrefix({ namespace: 'ns', name: 'auth' });
  replicas = await Promise.all([1, 2].map(() => createRedisStore({ url: redis.url, keyPrefix, commandTimeoutMs: 250, encryptionKeys })));
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await redis?.stop();
});

describe('upstream refresh across replicas (Redis lease)', () => {
  it('refreshes once; both replicas answer with the new token', async () => {
    const [a, b] = replicas as [AuthStore, AuthStore];
    const now = Date.now();
    await a.upstreamTokens.store('tsid-1', 'idp', {
      provider: 'idp',
      accessToken: 'old',
      refreshToken: 'rt-1',
      expiresAtMs: now + 5_000,
      sessionExpiresAtMs: now + 86_400_000,
      userId: 'u',
      upstreamSubject: 's',
      clientId: 'c',
    });
    const spent: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const idp: UpstreamRefresher = {
      name: 'idp',
      async refresh(rt) {
        spent.push(rt);
        await gate;
        return { accessToken: 'new', refreshToken: 'rt-2', expiresAtMs: Date.now() + 3_600_000 };
      },
    };
    const ra = new UpstreamRefreshCoordinator({ ...a, now: Date.now, leaseWaitPollMs: 5 }).ensureFresh('tsid-1', idp);
    const rb = new UpstreamRefreshCoordinator({ ...b, now: Date.now, leaseWaitPollMs: 5 }).ensureFresh('tsid-1', idp);
    // Wait until one replica is inside the upstream call, then let it finish.
    while (spent.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    const [x, y] = await Promise.all([ra, rb]);
    expect(spent).toEqual(['rt-1']);
    expect([x.tokens.accessToken, y.tokens.accessToken]).toEqual(['new', 'new']);
    expect([x.refreshed, y.refreshed].sort()).toEqual([false, true]);
    expect((await b.upstreamTokens.get('tsid-1', 'idp', Date.now()))?.tokens.refreshToken).toBe('rt-2');
  });
});

describe('exchange with the Redis store', () => {
  it('serves from Redis, and answers 500 server_error (fixed text, audited) when Redis stops answering', async () => {
    const { startHarness, exchangeForm } = await import('./harness.ts');
    const h = await startHarness({ store: replicas[0]! });
    try {
      const { session, upstream } = await h.seedSession();
      const token = await h.mint(session);
      const agent = await h.clientAgent();
      const ok = await h.exchange(agent, exchangeForm(token));
      expect(ok).toMatchObject({ status: 200, body: { access_token: upstream.accessToken } });
      redis.hang();
      try {
        const res = await h.exchange(agent, exchangeForm(token));
        expect(res).toMatchObject({ status: 500, body: { error: 'server_error', error_description: 'the server encountered an internal error' } });
        expect(h.audit.at(-1)).toMatchObject({ event: 'token_exchange', outcome: 'error', reason: 'store_unavailable' });
      } finally {
        redis.resume();
      }
    } finally {
      await h.close().catch(() => undefined);
    }
  });
});
