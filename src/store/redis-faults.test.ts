/**
 * Redis outages against a real redis-server: stopped (connections drop) and hung (SIGSTOP: the
 * connection stays open, nothing answers). The store must fail closed with StoreError
 * 'unavailable' instead of hanging, report unhealthy, and recover on its own.
 * Assertions are on errors and states, never on elapsed time (speed is measured in bench/).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../test/helpers/redis-server.ts';
import { hashToken } from './hash-token.ts';
import { redisKeyPrefix } from './lib/record-keys.ts';
import { createRedisStore } from './redis-store.ts';
import { StoreError, type AuthStore, type RefreshTokenRecord } from './types.ts';

const encryptionKeys = { activeKeyId: 'k1', keys: { k1: randomBytes(32) } };
let redis: RedisServerHandle;
let store: AuthStore;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop({ keepData: false });
});
afterEach(async () => {
  redis.resume();
  await store?.close();
});

async function newStore(url = redis.url): Promise<AuthStore> {
  store = await createRedisStore({
    url,
    keyPrefix: redisKeyPrefix({ namespace: 'faults', name: `a${randomUUID().slice(0, 8)}` }),
    commandTimeoutMs: 100,
    encryptionKeys,
    initialConnectWaitMs: 500,
  });
  return store;
}

/** Polls `healthy()` until it is true; fails after ~5 s (the recovery objective). */
async function untilHealthy(s: AuthStore): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if (await s.healthy()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('store did not become healthy again within ~5 s');
}

async function expectUnavailable(promise: Promise<unknown>): Promise<StoreError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the operation to fail closed');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe('unavailable');
  return err as StoreError;
}

function refresh(familyId: string): RefreshTokenRecord {
  return {
    hash: hashToken(randomUUID()),
    familyId,
    clientId: 'c',
    tsid: 't',
    userId: 'u',
    scopes: [],
    resource: 'https://mcp.example.com',
    expiresAtMs: Date.now() + 3_600_000,
    usedAtMs: null,
    revokedAtMs: null,
  };
}

describe('Redis stopped', () => {
  it('fails closed with unavailable, reports unhealthy, and resumes with its data after restart', async () => {
    const s = await newStore();
    const familyId = randomUUID();
    const before = refresh(familyId);
    await s.refreshTokens.create(before);
    await s.pending.put('state-before', { tsid: 't' } as never, 600_000);

    await redis.stop(); // snapshot kept, like a Redis with persistence going down
    expect(await s.healthy()).toBe(false);
    await expectUnavailable(s.refreshTokens.rotate(before.hash, refresh(familyId), Date.now()));
    await expectUnavailable(s.pending.take('state-before'));
    await expectUnavailable(s.codes.consume('x'));
    await expectUnavailable(s.leases.tryAcquire('k', 1000));
    const err = await expectUnavailable(s.clients.get('c'));
    expect(err.message).toMatch(/^redis clients\.get failed: /);

    await redis.restart();
    await untilHealthy(s);
    // Nothing was applied while down; what was acknowledged before the outage still works.
    expect(await s.pending.take('state-before')).toEqual({ tsid: 't' });
    expect(await s.refreshTokens.rotate(before.hash, refresh(familyId), Date.now())).toBe('ok');
  });

  it('a store created while Redis is down starts unhealthy and connects when Redis comes up', async () => {
    await redis.stop();
    const s = await newStore();
    expect(await s.healthy()).toBe(false);
    await expectUnavailable(s.sessions.get('t'));
    await redis.restart();
    await untilHealthy(s);
    expect(await s.sessions.get('t')).toBeNull();
  });
});

describe('Redis hung (process stopped, connections open)', () => {
  it('commands time out as unavailable instead of hanging; healthy() is false; service resumes', async () => {
    const s = await newStore();
    const familyId = randomUUID();
    const first = refresh(familyId);
    await s.refreshTokens.create(first);

    redis.hang();
    const err = await expectUnavailable(s.clients.get('c'));
    expect(err.message).toMatch(/no reply within 100 ms/);
    expect(await s.healthy()).toBe(false);
    const next = refresh(familyId);
    await expectUnavailable(s.refreshTokens.rotate(first.hash, next, Date.now()));
    await expectUnavailable(s.upstreamTokens.getAll('t'));

    redis.resume();
    await untilHealthy(s);
    // The rotate script was delivered before the hang ended, so Redis may still have run it;
    // either way it ran whole or not at all: the old token is used iff the next one exists.
    const old = await s.refreshTokens.get(first.hash);
    const stored = await s.refreshTokens.get(next.hash);
    expect(old).not.toBeNull();
    expect(old!.usedAtMs !== null).toBe(stored !== null);
    // And the connection is usable again, replies matched to the right commands.
    await s.pending.put('after-hang', { tsid: 'after' } as never, 60_000);
    expect(await s.pending.take('after-hang')).toEqual({ tsid: 'after' });
    expect(await s.clients.get('nobody')).toBeNull();
  });
});

/**
 * A TCP relay in front of redis-server that can silently drop everything on its current
 * connections while keeping them open: a network partition or a vanished peer without RST.
 * New connections are relayed normally, as after the network heals.
 */
async function startBlackholeRelay(targetPort: number): Promise<{ url: string; blackholeExisting(): void; close(): Promise<void> }> {
  const pairs = new Set<{ dead: boolean; a: net.Socket; b: net.Socket }>();
  const server = net.createServer((downstream) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { dead: false, a: downstream, b: upstream };
    pairs.add(pair);
    downstream.on('data', (chunk) => pair.dead || upstream.write(chunk));
    upstream.on('data', (chunk) => pair.dead || downstream.write(chunk));
    const end = (): void => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    blackholeExisting() {
      for (const pair of pairs) pair.dead = true;
    },
    async close() {
      for (const pair of pairs) {
        pair.a.destroy();
        pair.b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('connection that silently stops answering (half-open TCP)', () => {
  it('is replaced after a failed probe, so service resumes without any help from Redis', async () => {
    const relay = await startBlackholeRelay(redis.port);
    try {
      const s = await newStore(relay.url);
      await s.pending.put('kept', { tsid: 'kept' } as never, 60_000);
      relay.blackholeExisting();
      await expectUnavailable(s.pending.take('kept'));
      expect(await s.healthy()).toBe(false);
      // The old connection will never answer again; only a new connection can recover.
      await untilHealthy(s);
      expect(await s.pending.take('kept')).toEqual({ tsid: 'kept' });
    } finally {
      await store.close();
      await relay.close();
    }
  });
});
