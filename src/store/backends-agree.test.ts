/**
 * Differential property test: the Redis Lua scripts mirror the TypeScript state machine of the
 * memory backend (`decideRotate`), so random sequences of refresh-token operations must give the
 * same outcomes and leave the same state in both. Real redis-server, started here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../test/helpers/redis-server.ts';
import { TestClock } from './contract.test-suite.ts';
import { redisKeyPrefix } from './lib/record-keys.ts';
import { createMemoryStore } from './memory-store.ts';
import { createRedisStore } from './redis-store.ts';
import type { AuthStore, RefreshTokenRecord } from './types.ts';

const encryptionKeys = { activeKeyId: 'k1', keys: { k1: randomBytes(32) } };
let redis: RedisServerHandle;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop({ keepData: false });
});

type Op =
  | { kind: 'create'; family: number; ttlMs: number }
  | { kind: 'rotate'; token: number; ttlMs: number }
  | { kind: 'revoke'; family: number }
  | { kind: 'access'; family: number; expInMs: number }
  | { kind: 'advance'; ms: number };

const families = ['fam-a', 'fam-b'];
// Coarse times, so expiries land exactly on `now` often (the boundary both sides must agree on);
// minutes, so Redis's own real-time TTLs never fire during a run.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), family: fc.nat(1), ttlMs: fc.constantFrom(60_000, 120_000, 180_000) }),
  fc.record({ kind: fc.constant('rotate' as const), token: fc.nat(20), ttlMs: fc.constantFrom(60_000, 120_000, 180_000) }),
  fc.record({ kind: fc.constant('rotate' as const), token: fc.nat(20), ttlMs: fc.constantFrom(60_000, 120_000, 180_000) }),
  fc.record({ kind: fc.constant('revoke' as const), family: fc.nat(1) }),
  fc.record({ kind: fc.constant('access' as const), family: fc.nat(1), expInMs: fc.constantFrom(30_000, 60_000, 120_000) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(30_000, 60_000) }),
);

/** Runs the ops on one store; returns every outcome and the final observable state. */
async function play(store: AuthStore, clock: TestClock, ops: Op[]): Promise<unknown> {
  const issued: RefreshTokenRecord[] = [];
  const jtis: string[] = [];
  const outcomes: unknown[] = [];
  const record = (familyId: string, ttlMs: number): RefreshTokenRecord => ({
    hash: `hash-${issued.length}`,
    familyId,
    clientId: 'c',
    tsid: 't',
    userId: 'u',
    scopes: ['openid'],
    resource: 'https://mcp.example.com',
    expiresAtMs: clock.ms + ttlMs,
    usedAtMs: null,
    revokedAtMs: null,
  });
  for (const op of ops) {
    switch (op.kind) {
      case 'create': {
        const r = record(families[op.family]!, op.ttlMs);
        issued.push(r);
        await store.refreshTokens.create(r);
        outcomes.push('created');
        break;
      }
      case 'rotate': {
        const from = issued[op.token % Math.max(1, issued.length)];
        if (from === undefined) break;
        const next = record(from.familyId, op.ttlMs);
        const outcome = await store.refreshTokens.rotate(from.hash, next, clock.ms);
        if (outcome === 'ok') issued.push(next);
        outcomes.push(outcome);
        break;
      }
      case 'revoke':
        await store.refreshTokens.revokeFamily(families[op.family]!, clock.ms);
        outcomes.push('revoked-family');
        break;
      case 'access': {
        const jti = `jti-${jtis.length}`;
        jtis.push(jti);
        await store.refreshTokens.addAccessToken(families[op.family]!, jti, clock.ms + op.expInMs);
        outcomes.push('access');
        break;
      }
      case 'advance':
        clock.advance(op.ms);
        break;
    }
  }
  const tokens = await Promise.all(issued.map((r) => store.refreshTokens.get(r.hash)));
  const denied = await Promise.all(jtis.map((j) => store.denyList.isDenied(j)));
  const listed = await Promise.all(families.map(async (f) => (await store.refreshTokens.listAccessTokens(f)).map((t) => t.jti).sort()));
  return { outcomes, tokens, denied, listed };
}

it('memory and Redis agree on random refresh-token histories', async () => {
  const start = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
      const memoryClock = new TestClock(start);
      const redisClock = new TestClock(start);
      const memory = createMemoryStore({ encryptionKeys, now: memoryClock.now, sweepIntervalMs: 0 });
      const remote = await createRedisStore({
        url: redis.url,
        keyPrefix: redisKeyPrefix({ namespace: 'agree', name: `r${randomUUID().slice(0, 8)}` }),
        commandTimeoutMs: 250,
        encryptionKeys,
        now: redisClock.now,
      });
      try {
        const expected = await play(memory, memoryClock, ops);
        const actual = await play(remote, redisClock, ops);
        expect(actual).toEqual(expected);
      } finally {
        await memory.close();
        await remote.close();
      }
    }),
    { numRuns: 60 },
  );
});
