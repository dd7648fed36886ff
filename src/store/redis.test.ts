import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../test/helpers/redis-server.ts';
import { runStoreContract, TestClock } from './contract.test-suite.ts';
import { hashToken } from './hash-token.ts';
import { redisKeyPrefix } from './lib/record-keys.ts';
import { createRedisStore } from './redis-store.ts';
import type { AuthStore } from './types.ts';

// A real redis-server (started here on a free port), no mock.
let redis: RedisServerHandle;
let admin: ReturnType<typeof createClient>;
const encryptionKeys = { activeKeyId: 'k1', keys: { k1: randomBytes(32) } };

beforeAll(async () => {
  redis = await startRedisServer();
  admin = createClient({ url: redis.url });
  await admin.connect();
});
afterAll(async () => {
  admin?.destroy();
  await redis?.stop({ keepData: false });
});

function freshPrefix(): string {
  return redisKeyPrefix({ namespace: 'test', name: `auth-${randomUUID().slice(0, 8)}` });
}

/** Every key under the prefix with its type, TTL and value, as stored. */
async function dump(prefix: string): Promise<Array<{ key: string; type: string; pttl: number; value: unknown }>> {
  const rows = [];
  for await (const keys of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    for (const key of keys) {
      const type = await admin.type(key);
      const pttl = await admin.pTTL(key);
      const value =
        type === 'string'
          ? await admin.get(key)
          : type === 'hash'
            ? await admin.hGetAll(key)
            : type === 'set'
              ? await admin.sMembers(key)
              : type === 'zset'
                ? await admin.zRangeWithScores(key, 0, -1)
                : null;
      rows.push({ key, type, pttl, value });
    }
  }
  return rows;
}

runStoreContract('redis', async (clock) => {
  const prefix = freshPrefix();
  const store = await createRedisStore({ url: redis.url, keyPrefix: prefix, commandTimeoutMs: 250, encryptionKeys, now: clock.now });
  return {
    store,
    clock,
    rawDump: async () => JSON.stringify(await dump(prefix)),
    teardown: () => store.close(),
  };
});

describe('redis store specifics', () => {
  let store: AuthStore;
  let prefix: string;
  const clock = new TestClock();

  beforeAll(async () => {
    prefix = freshPrefix();
    store = await createRedisStore({ url: redis.url, keyPrefix: prefix, commandTimeoutMs: 250, encryptionKeys, now: clock.now });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('new logins prune ids of expired sessions from the owner index (sampling in the create script)', async () => {
    const own = freshPrefix(); // its own prefix: the next test lists every key under the shared one
    const pruning = await createRedisStore({ url: redis.url, keyPrefix: own, commandTimeoutMs: 250, encryptionKeys, now: clock.now });
    const owner = { namespace: 'team-prune', name: 'srv' };
    const session = (tsid: string, ttlMs: number) => ({ tsid, owner, resource: 'r', clientId: 'c', userId: 'u', familyId: tsid, createdAtMs: clock.ms, expiresAtMs: clock.ms + ttlMs });
    // Redis TTLs run on real time: these sessions are gone 30 ms from now.
    for (let i = 0; i < 20; i++) await pruning.sessions.create(session(`dead-${i}`, 30));
    await new Promise((r) => setTimeout(r, 80));
    const live = Array.from({ length: 30 }, (_, i) => `live-${i}`);
    for (const tsid of live) await pruning.sessions.create(session(tsid, 3_600_000));
    const members = await admin.sMembers(`${own}session-owner:team-prune/srv`);
    await pruning.close();
    expect(members.length).toBeLessThan(50); // without pruning all 50 would stay
    expect(members.filter((m) => m.startsWith('live-')).sort()).toEqual([...live].sort());
  });

  it('a family drops the hashes of refresh tokens that expired, so rotations do not grow it forever', async () => {
    const own = freshPrefix(); // its own prefix: a later test lists every key under the shared one
    const store = await createRedisStore({ url: redis.url, keyPrefix: own, commandTimeoutMs: 250, encryptionKeys, now: clock.now });
    const familyId = randomUUID();
    const token = (ttlMs: number) => ({ hash: hashToken(randomUUID()), familyId, clientId: 'c', tsid: 't', userId: 'u', scopes: [], resource: 'r', expiresAtMs: clock.ms + ttlMs, usedAtMs: null, revokedAtMs: null });
    const first = token(3_600_000); // keeps the family (and its set) alive
    await store.refreshTokens.create(first);
    // Redis TTLs run on real time: these tokens are gone 30 ms from now.
    for (let i = 0; i < 20; i++) await store.refreshTokens.create(token(30));
    await new Promise((r) => setTimeout(r, 80));
    const live = token(3_600_000);
    await store.refreshTokens.create(live);
    expect((await admin.sMembers(`${own}family:${familyId}:tokens`)).sort()).toEqual([first.hash, live.hash].sort()); // without pruning 22
    await store.refreshTokens.revokeFamily(familyId, clock.ms);
    expect((await store.refreshTokens.get(live.hash))?.revokedAtMs).toBe(clock.ms);
    await store.close();
  });

  it('keeps every key under the hash-tagged prefix, with a TTL on all but clients and users', async () => {
    const familyId = randomUUID();
    const tsid = 'tsid-ttl';
    const owner = { namespace: 'team-a', name: 'srv' };
    await store.clients.register({ clientId: 'c1', redirectUris: [], grantTypes: [], responseTypes: [], tokenEndpointAuthMethod: 'none', clientIdIssuedAt: 1 });
    await store.pending.put('state', { tsid } as never, 600_000);
    await store.codes.create('code', { expiresAtMs: clock.ms + 600_000, familyId } as never);
    const refresh = { hash: hashToken('rt'), familyId, clientId: 'c1', tsid, userId: 'u', scopes: [], resource: 'r', expiresAtMs: clock.ms + 3_600_000, usedAtMs: null, revokedAtMs: null };
    await store.refreshTokens.create(refresh);
    await store.refreshTokens.addAccessToken(familyId, 'jti', clock.ms + 3_600_000);
    await store.denyList.deny('jti-denied', clock.ms + 3_600_000);
    await store.sessions.create({ tsid, owner, resource: 'r', clientId: 'c1', userId: 'u', familyId, createdAtMs: clock.ms, expiresAtMs: clock.ms + 3_600_000 });
    await store.upstreamTokens.store(tsid, 'github', {
      provider: 'github',
      accessToken: 'a',
      refreshToken: 'r',
      expiresAtMs: 0,
      sessionExpiresAtMs: clock.ms + 3_600_000,
      userId: 'u',
      upstreamSubject: 's',
      clientId: 'c1',
    });
    await store.users.resolveOrCreate('github', 'subject');
    await store.leases.tryAcquire('refresh', 10_000);

    const rows = await dump(prefix);
    const names = rows.map((r) => r.key.slice(prefix.length));
    expect(names.filter((n) => /^provider:github:[A-Za-z0-9_-]{43}$/.test(n))).toHaveLength(1);
    expect(names.filter((n) => /^user:[0-9a-f-]{36}$/.test(n))).toHaveLength(1);
    expect(names.filter((n) => !/^provider:|^user:[0-9a-f-]{36}$/.test(n)).sort()).toEqual(
      [
        'access:jti-denied',
        'authcode:code',
        'client-count',
        'client:c1',
        `family:${familyId}`,
        `family:${familyId}:access`,
        `family:${familyId}:tokens`,
        'lease:refresh',
        'pending:state',
        `refresh:${refresh.hash}`,
        `session-owner:team-a/srv`,
        `session:${tsid}`,
        `upstream-index:${tsid}`,
        `upstream:${tsid}:github`,
        'user:u:upstream:github',
      ].sort(),
    );
    for (const row of rows) {
      const permanent = /^(client|provider):|^client-count$|^user:[0-9a-f-]{36}$/.test(row.key.slice(prefix.length));
      if (permanent) expect(row.pttl, row.key).toBe(-1);
      else expect(row.pttl, row.key).toBeGreaterThan(0);
    }
    // The upstream subject is stored only hashed.
    expect(JSON.stringify(rows)).not.toContain('"subject"');
  });

  it('re-loads its Lua scripts after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    const familyId = randomUUID();
    const first = { hash: hashToken(randomUUID()), familyId, clientId: 'c', tsid: 't', userId: 'u', scopes: [], resource: 'r', expiresAtMs: clock.ms + 60_000, usedAtMs: null, revokedAtMs: null };
    await store.refreshTokens.create(first);
    await admin.scriptFlush();
    expect(await store.refreshTokens.rotate(first.hash, { ...first, hash: hashToken(randomUUID()) }, clock.ms)).toBe('ok');
  });

  it('two store instances on one Redis see each other’s writes (several replicas)', async () => {
    const other = await createRedisStore({ url: redis.url, keyPrefix: prefix, commandTimeoutMs: 250, encryptionKeys, now: clock.now });
    try {
      await store.codes.create('shared-code', { expiresAtMs: clock.ms + 60_000, familyId: 'f' } as never);
      expect((await other.codes.consume('shared-code'))?.alreadyUsed).toBe(false);
      expect((await store.codes.consume('shared-code'))?.alreadyUsed).toBe(true);
      const lease = await other.leases.tryAcquire('shared', 10_000);
      expect(lease).not.toBeNull();
      expect(await store.leases.tryAcquire('shared', 10_000)).toBeNull();
      await lease!();
    } finally {
      await other.close();
    }
  });

  it('reports a mangled record as corrupt_record, not as an outage', async () => {
    const familyId = randomUUID();
    const token = { hash: hashToken(randomUUID()), familyId, clientId: 'c', tsid: 't', userId: 'u', scopes: [], resource: 'r', expiresAtMs: clock.ms + 60_000, usedAtMs: null, revokedAtMs: null };
    await store.refreshTokens.create(token);
    await admin.hSet(`${prefix}refresh:${token.hash}`, 'rec', '{not json');
    await expect(store.refreshTokens.get(token.hash)).rejects.toMatchObject({ code: 'corrupt_record' });
  });

  it.each([
    [{ keyPrefix: 'thv:auth:no-tag:' }, /keyPrefix: .*hash tag/],
    [{ keyPrefix: 'thv:auth:{x}' }, /keyPrefix: .*end with ':'/],
    [{ commandTimeoutMs: 1000 }, /commandTimeoutMs: must be an integer from 1 to 250, got 1000/],
    [{ url: 'http://127.0.0.1:6379' }, /url: scheme must be redis: or rediss:/],
    [{ url: 'not a url' }, /url: not a valid URL/],
  ])('rejects bad options %#', async (override, message) => {
    await expect(createRedisStore({ url: redis.url, keyPrefix: prefix, commandTimeoutMs: 250, encryptionKeys, ...override })).rejects.toThrow(message);
  });
});
