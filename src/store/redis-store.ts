import { randomBytes, randomUUID } from 'node:crypto';
import { createClient, createKeyv } from '@keyv/redis';
import type Keyv from 'keyv';
import { createTokenCipher, type EncryptionKeys } from './encryption.ts';
import { hashToken } from './hash-token.ts';
import { isUpstreamExpired, mergeUpstreamTokens, ttlUntil } from './lib/decisions.ts';
import { checkKeyPrefix, recordKey } from './lib/record-keys.ts';
import * as lua from './lib/redis-scripts.ts';
import { openUpstreamRow, sealUpstreamRow } from './lib/upstream-row.ts';
import {
  StoreError,
  type AuthCodeRecord,
  type AuthStore,
  type Client,
  type PendingAuthorization,
  type RefreshTokenRecord,
  type RotateOutcome,
  type Session,
  type UpstreamTokens,
  type User,
} from './types.ts';

/** Number of registered clients (for the DCR capacity bound). */
const CLIENT_COUNT_KEY = 'client-count';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** All keys start with it; must carry a `{hash tag}`: use `redisKeyPrefix({ namespace, name })`. */
  keyPrefix: string;
  /**
   * Deadline of each store operation (one command or a short sequence); past it the operation
   * fails with StoreError 'unavailable'. 1–250.
   */
  commandTimeoutMs: number;
  encryptionKeys: EncryptionKeys;
  /** CA bundle (PEM) that signs the Redis server certificate, for `rediss://` with a private CA. */
  caPem?: string;
  /** Clock in epoch milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number;
  /** How long `createRedisStore` waits for the first connection before returning an (unhealthy) store. Default 2000. */
  initialConnectWaitMs?: number;
}

/** Keyv envelope: data plus its expiry on the store clock (null = never); same as the memory backend. */
interface Envelope<T> {
  d: T;
  e: number | null;
}

type RedisClient = ReturnType<typeof createClient>;

const MAX_COMMAND_TIMEOUT_MS = 250;
const REVOKED_FAMILY_MARKER_MS = 24 * 60 * 60 * 1000;
const UPSTREAM_CAS_ATTEMPTS = 5;
/** Deadline of the PING that decides whether a connection that missed a deadline is dead. */
const PROBE_DEADLINE_MS = 1000;

class DeadlineExceeded extends Error {}

/** Rejects with DeadlineExceeded after `ms`; the late result, if any, is dropped. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no reply within ${ms} ms`)), ms);
  });
  work.catch(() => {}); // a late rejection after the deadline is not an unhandled rejection
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
/** Reconnect backoff: 50 ms doubling, capped at 500 ms, so service resumes well within 5 s. */
const reconnectDelayMs = (retries: number): number => Math.min(50 * 2 ** retries, 500);

/**
 * Redis `AuthStore` (spec §5.4) for several replicas. Plain records go through keyv
 * (`@keyv/redis`); everything that must be atomic uses the same node-redis client directly:
 * `GETDEL` for pending authorizations, `SET NX PX` + compare-and-delete for leases, and Lua
 * scripts (EVALSHA, falling back to EVAL after a script-cache flush) for code consumption, refresh
 * rotation with family revocation, and every multi-key write, so nothing is half-written.
 *
 * Failure behaviour: every operation has a deadline (`commandTimeoutMs` ≤ 250); commands are not
 * queued while disconnected; any failure becomes StoreError 'unavailable' (fail closed). The client
 * reconnects on its own (backoff capped at 500 ms), a connection that stops answering is replaced
 * after a failed 1 s PING probe, and `healthy()` is false until Redis answers again.
 * A command that missed its deadline may still run later in Redis: scripts run whole or not at all.
 *
 * @example
 * ```ts
 * const store = await createRedisStore({
 *   url: 'redis://redis.auth.svc:6379',
 *   keyPrefix: redisKeyPrefix({ namespace: 'team-a', name: 'auth' }),
 *   commandTimeoutMs: 250,
 *   encryptionKeys: { activeKeyId: 'k1', keys: { k1: key32 } },
 * });
 * ```
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<AuthStore> {
  checkKeyPrefix(options.keyPrefix);
  if (!Number.isInteger(options.commandTimeoutMs) || options.commandTimeoutMs < 1 || options.commandTimeoutMs > MAX_COMMAND_TIMEOUT_MS) {
    throw new TypeError(`commandTimeoutMs: must be an integer from 1 to ${MAX_COMMAND_TIMEOUT_MS}, got ${String(options.commandTimeoutMs)}`);
  }
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(options.url);
  } catch {
    throw new TypeError('url: not a valid URL (expected redis://host:port or rediss://host:port)');
  }
  if (parsedUrl.protocol !== 'redis:' && parsedUrl.protocol !== 'rediss:') {
    throw new TypeError(`url: scheme must be redis: or rediss:, got ${parsedUrl.protocol}`);
  }
  if (options.caPem !== undefined && parsedUrl.protocol !== 'rediss:') {
    throw new TypeError('caPem: only allowed with a rediss:// url (TLS)');
  }
  const cipher = createTokenCipher(options.encryptionKeys);
  const now = options.now ?? Date.now;
  const prefix = options.keyPrefix;
  const timeoutMs = options.commandTimeoutMs;

  interface Connection {
    client: RedisClient;
    kv: Keyv<Envelope<unknown>>;
    connecting: Promise<unknown>;
  }
  function openConnection(): Connection {
    const client: RedisClient = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 1000,
        reconnectStrategy: reconnectDelayMs,
        ...(parsedUrl.protocol === 'rediss:' ? { tls: true as const, ...(options.caPem !== undefined ? { ca: options.caPem } : {}) } : {}),
      },
    });
    // Connection errors are reported through the operations that fail; the event must be
    // handled or node would crash. Its message carries host:port only, never the password.
    client.on('error', () => {});
    const connecting = client.connect().catch(() => undefined);
    // Same node-redis client class; only its generic parameters differ from what createKeyv declares.
    const kv = createKeyv(client as unknown as Parameters<typeof createKeyv>[0], { throwOnErrors: true, throwOnConnectError: true }) as Keyv<Envelope<unknown>>;
    kv.on('error', () => {});
    return { client, kv, connecting };
  }
  let conn = openConnection();
  let closed = false;
  await Promise.race([conn.connecting, new Promise((resolve) => setTimeout(resolve, options.initialConnectWaitMs ?? 2000).unref())]);
  const redis = (): RedisClient => conn.client;
  const keyv = (): Keyv<Envelope<unknown>> => conn.kv;

  /**
   * node-redis's own `timeout` command option stops counting once a command is written, so it
   * cannot catch a Redis that accepted the bytes and never answers. The deadline is enforced
   * here instead, per store operation; a missed deadline starts a probe, and when the probe
   * gets no PONG either the connection is replaced (a half-open TCP connection never recovers).
   */
  let probing = false;
  function probeConnection(): void {
    if (probing || closed) return;
    probing = true;
    const probed = conn;
    withDeadline(probed.client.ping(), Math.max(PROBE_DEADLINE_MS, timeoutMs))
      .catch(() => {
        if (conn !== probed || closed) return;
        conn = openConnection();
        probed.client.destroy();
      })
      .finally(() => {
        probing = false;
      });
  }
  const key = (name: string): string => prefix + name;

  /** Runs one Redis interaction; any failure is StoreError 'unavailable' (fail closed). */
  async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(fn(), timeoutMs);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      if (err instanceof DeadlineExceeded) {
        probeConnection();
        throw new StoreError('unavailable', `redis ${operation} failed: no reply within ${timeoutMs} ms`);
      }
      if (err instanceof SyntaxError) throw new StoreError('corrupt_record', `redis ${operation}: a stored record is not valid JSON`);
      const message = err instanceof Error ? err.message : String(err);
      if (message.includes('internal error:')) throw new Error(message);
      throw new StoreError('unavailable', `redis ${operation} failed: ${message}`);
    }
  }

  async function runScript(script: lua.LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    const options = { keys, arguments: args.map(String) };
    try {
      return await redis().evalSha(script.sha1, options);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return redis().eval(script.source, options);
      throw err;
    }
  }

  function envelopeOf<T>(raw: unknown): Envelope<T> | null {
    if (raw === null || raw === undefined) return null;
    return (raw as { value?: Envelope<T> }).value ?? null;
  }
  async function readPlain<T>(name: string): Promise<T | null> {
    const env = (await keyv().get(key(name))) as Envelope<T> | undefined;
    if (env === undefined || (env.e !== null && env.e <= now())) return null;
    return env.d;
  }
  async function serialize<T>(data: T, expiresAtMs: number | null): Promise<string> {
    return String(await keyv().serializeData({ value: { d: data, e: expiresAtMs }, expires: undefined }));
  }

  function parseRefresh(fields: Array<string | null>): RefreshTokenRecord | null {
    const [rec, usedAtMs, revokedAtMs] = fields;
    if (!rec) return null;
    const record = JSON.parse(rec) as RefreshTokenRecord;
    return { ...record, usedAtMs: usedAtMs ? Number(usedAtMs) : null, revokedAtMs: revokedAtMs ? Number(revokedAtMs) : null };
  }
  function parseSession(fields: Array<string | null>): Session | null {
    const [rec, expiresAtMs, revokedAtMs] = fields;
    if (!rec || !expiresAtMs || Number(expiresAtMs) <= now()) return null;
    const session = { ...(JSON.parse(rec) as Session), expiresAtMs: Number(expiresAtMs) };
    if (revokedAtMs) session.revokedAtMs = Number(revokedAtMs);
    return session;
  }
  async function readUpstream(tsid: string, provider: string): Promise<UpstreamTokens | null> {
    const [sealed, sessionExpiresAtMs] = await redis().hmGet(key(recordKey.upstream(tsid, provider)), ['sealed', 'sessionExpiresAtMs']);
    if (!sealed || !sessionExpiresAtMs || Number(sessionExpiresAtMs) <= now()) return null;
    return openUpstreamRow(cipher, tsid, provider, sealed, Number(sessionExpiresAtMs));
  }

  const store: AuthStore = {
    clients: {
      get: (clientId) => call('clients.get', () => readPlain<Client>(recordKey.client(clientId))),
      register: (client_) =>
        call('clients.register', async () => {
          const value = await serialize(client_, null);
          if ((await redis().set(key(recordKey.client(client_.clientId)), value, { condition: 'NX' })) === null) {
            throw new StoreError('already_exists', `client_id "${client_.clientId}" is already registered`);
          }
          // Counted after the NX write won, so a lost race never counts; shared by all replicas.
          await redis().incr(key(CLIENT_COUNT_KEY));
        }),
      count: () => call('clients.count', async () => Number((await redis().get(key(CLIENT_COUNT_KEY))) ?? 0)),
    },

    pending: {
      put: (state, pending, ttlMs) =>
        call('pending.put', async () => {
          const expiresAtMs = now() + ttlMs;
          await keyv().set(key(recordKey.pending(state)), { d: pending, e: expiresAtMs }, ttlUntil(expiresAtMs, now()));
        }),
      take: (state) =>
        call('pending.take', async () => {
          const raw = await redis().getDel(key(recordKey.pending(state)));
          if (raw === null) return null;
          const env = envelopeOf<PendingAuthorization>(await keyv().deserializeData(raw));
          return env !== null && (env.e === null || env.e > now()) ? env.d : null;
        }),
    },

    codes: {
      create: (codeHash, record) =>
        call('codes.create', async () => {
          const k = key(recordKey.authCode(codeHash));
          await redis().multi().del(k).hSet(k, { rec: JSON.stringify(record) }).pExpire(k, ttlUntil(record.expiresAtMs, now())).exec();
        }),
      consume: (codeHash) =>
        call('codes.consume', async () => {
          const reply = (await runScript(lua.CONSUME_CODE, [key(recordKey.authCode(codeHash))], [])) as [string, number] | null;
          if (reply === null) return null;
          const record = JSON.parse(reply[0]) as AuthCodeRecord;
          if (record.expiresAtMs <= now()) return null;
          return { record, alreadyUsed: Number(reply[1]) !== 1 };
        }),
      peek: (codeHash) =>
        call('codes.peek', async () => {
          const rec = await redis().hGet(key(recordKey.authCode(codeHash)), 'rec');
          if (!rec) return null;
          const record = JSON.parse(rec) as AuthCodeRecord;
          return record.expiresAtMs <= now() ? null : record;
        }),
    },

    refreshTokens: {
      create: (record) =>
        call('refreshTokens.create', async () => {
          const { hash, familyId, expiresAtMs, usedAtMs, revokedAtMs } = record;
          await runScript(
            lua.CREATE_REFRESH,
            [key(recordKey.refresh(hash))],
            [prefix, hash, JSON.stringify(record), familyId, expiresAtMs, ttlUntil(expiresAtMs, now()), usedAtMs ?? '', revokedAtMs ?? ''],
          );
        }),
      get: (hash) =>
        call('refreshTokens.get', async () => {
          const record = parseRefresh(await redis().hmGet(key(recordKey.refresh(hash)), ['rec', 'usedAtMs', 'revokedAtMs']));
          return record !== null && record.expiresAtMs > now() ? record : null;
        }),
      rotate: (oldHash, next, nowMs) =>
        call('refreshTokens.rotate', async () => {
          const outcome = await runScript(
            lua.ROTATE_REFRESH,
            [key(recordKey.refresh(oldHash)), key(recordKey.refresh(next.hash))],
            [prefix, nowMs, next.hash, JSON.stringify({ ...next, usedAtMs: null, revokedAtMs: null }), next.familyId, next.expiresAtMs, ttlUntil(next.expiresAtMs, now()), REVOKED_FAMILY_MARKER_MS],
          );
          return outcome as RotateOutcome;
        }),
      revokeFamily: (familyId, nowMs) =>
        call('refreshTokens.revokeFamily', async () => {
          await runScript(lua.REVOKE_FAMILY, [key(recordKey.family(familyId))], [prefix, familyId, nowMs, REVOKED_FAMILY_MARKER_MS]);
        }),
      addAccessToken: (familyId, jti, expMs) =>
        call('refreshTokens.addAccessToken', async () => {
          await runScript(lua.ADD_ACCESS_TOKEN, [key(recordKey.family(familyId))], [prefix, jti, expMs, ttlUntil(expMs, now()), now()]);
        }),
      listAccessTokens: (familyId) =>
        call('refreshTokens.listAccessTokens', async () => {
          const entries = await redis().zRangeByScoreWithScores(key(recordKey.familyAccess(familyId)), `(${now()}`, '+inf');
          return entries.map(({ value, score }) => ({ jti: String(value), expMs: score }));
        }),
    },

    denyList: {
      deny: (jti, expMs) =>
        call('denyList.deny', async () => {
          if (expMs > now()) await redis().set(key(recordKey.deniedAccess(jti)), String(expMs), { expiration: { type: 'PX', value: ttlUntil(expMs, now()) } });
        }),
      isDenied: (jti) =>
        call('denyList.isDenied', async () => {
          const expMs = await redis().get(key(recordKey.deniedAccess(jti)));
          return expMs !== null && Number(expMs) > now();
        }),
    },

    sessions: {
      create: (session) =>
        call('sessions.create', async () => {
          await runScript(
            lua.CREATE_SESSION,
            [key(recordKey.session(session.tsid)), key(recordKey.ownerSessions(session.owner))],
            [session.tsid, JSON.stringify(session), session.expiresAtMs, ttlUntil(session.expiresAtMs, now()), key(recordKey.session(''))],
          );
        }),
      get: (tsid) => call('sessions.get', async () => parseSession(await redis().hmGet(key(recordKey.session(tsid)), ['rec', 'expiresAtMs', 'revokedAtMs']))),
      extend: (tsid, expiresAtMs) =>
        call('sessions.extend', async () => {
          await runScript(lua.EXTEND_SESSION, [key(recordKey.session(tsid))], [prefix, tsid, expiresAtMs, ttlUntil(expiresAtMs, now())]);
        }),
      markRevoked: (tsid, nowMs) =>
        call('sessions.markRevoked', async () => {
          await runScript(lua.REVOKE_SESSION, [key(recordKey.session(tsid))], [nowMs]);
        }),
      delete: (tsid) =>
        call('sessions.delete', async () => {
          await runScript(lua.DELETE_SESSION, [key(recordKey.session(tsid))], [prefix, tsid]);
        }),
      deleteByOwner: (owner) => call('sessions.deleteByOwner', async () => Number(await runScript(lua.DELETE_BY_OWNER, [key(recordKey.ownerSessions(owner))], [prefix, now()]))),
    },

    upstreamTokens: {
      store: async (tsid, provider, tokens) => {
        if (!(tokens.sessionExpiresAtMs > now())) {
          throw new TypeError(`upstreamTokens.store: tokens.sessionExpiresAtMs (${tokens.sessionExpiresAtMs}) must be in the future`);
        }
        await call('upstreamTokens.store', async () => {
          const rowKey = key(recordKey.upstream(tsid, provider));
          for (let attempt = 0; attempt < UPSTREAM_CAS_ATTEMPTS; attempt += 1) {
            const [currentSealed, currentExpiry] = await redis().hmGet(rowKey, ['sealed', 'sessionExpiresAtMs']);
            let previous: UpstreamTokens | null = null;
            if (currentSealed) {
              try {
                previous = openUpstreamRow(cipher, tsid, provider, currentSealed, Number(currentExpiry));
              } catch {
                previous = null; // unreadable (key removed or tampered): overwrite it
              }
            }
            const merged = mergeUpstreamTokens(previous, { ...tokens, provider });
            const sealed = sealUpstreamRow(cipher, tsid, provider, merged);
            const stored = await runScript(
              lua.STORE_UPSTREAM,
              [rowKey, key(recordKey.upstreamIndex(tsid)), key(recordKey.userLatestUpstream(merged.userId, provider))],
              [currentSealed ?? '', sealed, merged.sessionExpiresAtMs, ttlUntil(merged.sessionExpiresAtMs, now()), provider, tsid],
            );
            if (Number(stored) === 1) return;
          }
          throw new StoreError('unavailable', `redis upstreamTokens.store failed: row kept changing during ${UPSTREAM_CAS_ATTEMPTS} attempts`);
        });
      },
      get: (tsid, provider, nowMs) =>
        call('upstreamTokens.get', async () => {
          const tokens = await readUpstream(tsid, provider);
          return tokens === null ? null : { tokens, expired: isUpstreamExpired(tokens, nowMs) };
        }),
      getAll: (tsid) =>
        call('upstreamTokens.getAll', async () => {
          const result: Record<string, UpstreamTokens> = {};
          for (const provider of await redis().sMembers(key(recordKey.upstreamIndex(tsid)))) {
            const tokens = await readUpstream(tsid, provider);
            if (tokens !== null) result[provider] = tokens;
          }
          return result;
        }),
      delete: (tsid) =>
        call('upstreamTokens.delete', async () => {
          await runScript(lua.DELETE_UPSTREAM, [key(recordKey.upstreamIndex(tsid))], [prefix, tsid]);
        }),
      deleteForProvider: (tsid, provider) =>
        call('upstreamTokens.deleteForProvider', async () => {
          await runScript(lua.DELETE_UPSTREAM_PROVIDER, [key(recordKey.upstream(tsid, provider)), key(recordKey.upstreamIndex(tsid))], [provider]);
        }),
      latestForUser: (userId, provider) =>
        call('upstreamTokens.latestForUser', async () => {
          const tsid = await redis().get(key(recordKey.userLatestUpstream(userId, provider)));
          if (tsid === null) return null;
          const tokens = await readUpstream(tsid, provider);
          return tokens !== null && tokens.userId === userId ? tokens : null;
        }),
    },

    users: {
      resolveOrCreate: (provider, upstreamSubject) =>
        call('users.resolveOrCreate', async () => {
          const candidate: User = { id: randomUUID(), createdAtMs: now() };
          const reply = (await runScript(lua.RESOLVE_USER, [key(recordKey.provider(provider, hashToken(upstreamSubject)))], [prefix, candidate.id, await serialize(candidate, null)])) as [
            string,
            string | null,
          ];
          const [id, raw] = reply;
          const env = raw === null ? null : envelopeOf<User>(await keyv().deserializeData(raw));
          if (env !== null) return env.d;
          // Mapping without its user record (written by an older version): recreate the record.
          const repaired: User = { id, createdAtMs: now() };
          await keyv().set(key(recordKey.user(id)), { d: repaired, e: null });
          return repaired;
        }),
    },

    leases: {
      tryAcquire: (leaseName, ttlMs) =>
        call('leases.tryAcquire', async () => {
          const leaseKey = key(recordKey.lease(leaseName));
          const holder = randomBytes(16).toString('base64url');
          const acquired = await redis().set(leaseKey, holder, { condition: 'NX', expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) } });
          if (acquired === null) return null;
          return () =>
            call('leases.release', async () => {
              await runScript(lua.RELEASE_LEASE, [leaseKey], [holder]);
            });
        }),
    },

    async healthy() {
      if (closed || !redis().isReady) return false;
      try {
        return (await call('ping', () => redis().ping())) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      conn.client.destroy();
      await conn.connecting;
    },
  };
  return store;
}
