import { randomBytes, randomUUID } from 'node:crypto';
import Keyv from 'keyv';
import { createTokenCipher, type EncryptionKeys, type TokenCipher } from './encryption.ts';
import { hashToken } from './hash-token.ts';
import { KeyedMutex } from './lib/keyed-mutex.ts';
import { decideRotate, isUpstreamExpired, mergeUpstreamTokens, ttlUntil } from './lib/decisions.ts';
import { recordKey } from './lib/record-keys.ts';
import { openUpstreamRow, sealUpstreamRow } from './lib/upstream-row.ts';
import {
  StoreError,
  type AuthCodeRecord,
  type AuthStore,
  type Client,
  type Owner,
  type PendingAuthorization,
  type RefreshTokenRecord,
  type Session,
  type UpstreamTokens,
  type User,
} from './types.ts';

export interface MemoryStoreOptions {
  encryptionKeys: EncryptionKeys;
  /** Clock in epoch milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number;
  /** How often expired records are swept. Default 60 000; 0 disables the timer (call `sweep()`). */
  sweepIntervalMs?: number;
  /** The Map under keyv. Tests pass their own to inspect what is stored at rest. */
  map?: Map<string, unknown>;
}

/** The memory store plus its sweeper, exposed for tests and for a `dev` status line. */
export interface MemoryAuthStore extends AuthStore {
  /** Deletes every record whose expiry (on the store clock) has passed; returns how many. */
  sweep(): number;
}

/** Value stored under each key: data plus its expiry on the store clock (null = never). */
interface Envelope<T> {
  d: T;
  e: number | null;
}

interface FamilyRecord {
  tokenHashes: string[];
  accessTokens: Array<{ jti: string; expMs: number }>;
  revokedAtMs: number | null;
}

interface UpstreamRow {
  sealed: string;
  sessionExpiresAtMs: number;
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * A deep copy of a record that is already JSON-shaped (it was stored through `copy`): plain
 * objects, arrays and primitives only, so the result equals `copy(value)` at a fraction of the
 * cost of a stringify/parse round trip (hot read paths).
 */
function cloneStored<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneStored) as T;
  const out: Record<string, unknown> = {};
  for (const k in value) out[k] = cloneStored((value as Record<string, unknown>)[k]);
  return out as T;
}

/** A revoked family with no record yet (code replay raced the first redemption) is remembered this long. */
const REVOKED_FAMILY_MARKER_MS = 24 * 60 * 60 * 1000;

/**
 * In-memory `AuthStore` on keyv with a Map (spec §5.4): the default for one replica.
 *
 * Atomicity: keyv's API is async, so every read-modify-write runs under a per-key async lock
 * (`KeyedMutex`). Lock domains: `family:<id>` (refresh tokens, access-token list and revocation of
 * a family), `tsid:<tsid>` (a session and its upstream rows), `owner:<ns/name>` (the owner index),
 * and one lock per single-use key (pending state, auth code, lease, user mapping, client id).
 * Locks nest only as tsid → owner, never the other way, so no deadlock is possible.
 *
 * Expiry: each record carries its expiry on the injected clock; reads ignore expired records and
 * a timer (`sweepIntervalMs`) deletes them. keyv also gets the same TTL in real time.
 *
 * @example
 * ```ts
 * const store = createMemoryStore({ encryptionKeys: { activeKeyId: 'k1', keys: { k1: randomBytes(32) } } });
 * await store.pending.put(state, pending, 10 * 60_000);
 * const taken = await store.pending.take(state); // once; a second take returns null
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions): MemoryAuthStore {
  const cipher: TokenCipher = createTokenCipher(options.encryptionKeys);
  const now = options.now ?? Date.now;
  const map = options.map ?? new Map<string, unknown>();
  // No serializer: keyv's JSON serializer costs ~25 µs per operation; records are copied instead
  // where they cross the API (in with `copy` on write, out with `copy` on read), so callers
  // can never mutate stored state. Internal index records never leave the store.
  const kv = new Keyv<Envelope<unknown>>({ store: map, useKeyPrefix: false, serialize: undefined, deserialize: undefined });
  const locks = new KeyedMutex();
  /** Clients never expire or get deleted, so a counter is exact. */
  let clientCount = 0;

  /**
   * The raw envelope, read from the Map synchronously with keyv's own semantics (its entry is
   * `{ value, expires }`, dropped once `expires` passes in real time). Going through `kv.get` cost
   * a promise chain, hooks and stats on every hot read (three per token exchange).
   */
  function peek<T>(key: string): Envelope<T> | null {
    const entry = map.get(key) as { value?: Envelope<T>; expires?: number } | undefined;
    if (entry === undefined || entry === null) return null;
    if (typeof entry.expires === 'number' && Date.now() > entry.expires) {
      map.delete(key);
      return null;
    }
    return entry.value ?? null;
  }
  /** `peek`, only when the record is live on the store clock. */
  function peekLive<T>(key: string): Envelope<T> | null {
    const env = peek<T>(key);
    return env === null || (env.e !== null && env.e <= now()) ? null : env;
  }
  async function readRaw<T>(key: string): Promise<Envelope<T> | null> {
    return peek<T>(key);
  }
  /** A live record, copied (JSON round trip, the same shape Redis gives back). */
  async function read<T>(key: string): Promise<T | null> {
    const env = peekLive<T>(key);
    return env === null ? null : copy(env.d);
  }
  async function write<T>(key: string, data: T, expiresAtMs: number | null): Promise<void> {
    await kv.set(key, { d: data, e: expiresAtMs }, expiresAtMs === null ? undefined : ttlUntil(expiresAtMs, now()));
  }
  async function remove(key: string): Promise<void> {
    await kv.delete(key);
  }
  function later(a: number | null | undefined, b: number): number {
    return a === null || a === undefined ? b : Math.max(a, b);
  }

  function sweep(): number {
    const nowMs = now();
    let removed = 0;
    // Synchronous over the Map: no lock holder can interleave with it.
    for (const [key, raw] of map) {
      const expiry = (raw as { value?: Envelope<unknown> } | undefined)?.value?.e;
      if (typeof expiry === 'number' && expiry <= nowMs) {
        map.delete(key);
        removed += 1;
      }
    }
    // Owner indexes outlive the sessions they list (each login extends them): drop ids whose
    // session is gone, so an index tracks live sessions only.
    const ownerPrefix = recordKey.ownerSessions({ namespace: '', name: '' }).slice(0, -1);
    for (const [key, raw] of map) {
      if (!key.startsWith(ownerPrefix)) continue;
      const tsids = (raw as { value?: Envelope<Set<string>> }).value?.d;
      for (const tsid of tsids ?? []) if (!map.has(recordKey.session(tsid))) tsids!.delete(tsid);
    }
    return removed;
  }
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  const sweeper = sweepIntervalMs > 0 ? setInterval(sweep, sweepIntervalMs) : undefined;
  sweeper?.unref();

  // ---- refresh families -------------------------------------------------------------------
  async function readFamily(familyId: string): Promise<Envelope<FamilyRecord>> {
    const env = await readRaw<FamilyRecord>(recordKey.family(familyId));
    if (env !== null && (env.e === null || env.e > now())) return env;
    return { d: { tokenHashes: [], accessTokens: [], revokedAtMs: null }, e: null };
  }
  async function denyAccess(jti: string, expMs: number): Promise<void> {
    if (expMs > now()) await write(recordKey.deniedAccess(jti), { expMs }, expMs);
  }
  /** Caller holds the family lock. */
  async function revokeFamilyLocked(familyId: string, nowMs: number): Promise<void> {
    const family = await readFamily(familyId);
    family.d.revokedAtMs ??= nowMs;
    for (const hash of family.d.tokenHashes) {
      const token = await readRaw<RefreshTokenRecord>(recordKey.refresh(hash));
      if (token !== null && token.d.revokedAtMs === null) {
        await write(recordKey.refresh(hash), { ...token.d, revokedAtMs: nowMs }, token.e);
      }
    }
    for (const { jti, expMs } of family.d.accessTokens) await denyAccess(jti, expMs);
    await write(recordKey.family(familyId), family.d, later(family.e, now() + REVOKED_FAMILY_MARKER_MS));
  }
  /** Caller holds the family lock. A token created in a revoked family is born revoked. */
  async function addTokenLocked(record: RefreshTokenRecord): Promise<void> {
    const family = await readFamily(record.familyId);
    const token = { ...copy(record), revokedAtMs: record.revokedAtMs ?? family.d.revokedAtMs };
    await write(recordKey.refresh(record.hash), token, record.expiresAtMs);
    family.d.tokenHashes.push(record.hash);
    await write(recordKey.family(record.familyId), family.d, later(family.e, record.expiresAtMs));
  }

  // ---- sessions and upstream rows ---------------------------------------------------------
  async function readIndex(tsid: string): Promise<Envelope<string[]> | null> {
    const env = await readRaw<string[]>(recordKey.upstreamIndex(tsid));
    return env !== null && (env.e === null || env.e > now()) ? env : null;
  }
  /** Caller holds the tsid lock. */
  async function deleteUpstreamLocked(tsid: string): Promise<void> {
    const index = await readIndex(tsid);
    for (const provider of index?.d ?? []) await remove(recordKey.upstream(tsid, provider));
    await remove(recordKey.upstreamIndex(tsid));
  }
  async function removeFromOwnerIndex(owner: Owner, tsid: string): Promise<void> {
    await locks.run(`owner:${owner.namespace}/${owner.name}`, async () => {
      (await readRaw<Set<string>>(recordKey.ownerSessions(owner)))?.d.delete(tsid);
    });
  }
  function openRow(tsid: string, provider: string, row: UpstreamRow): UpstreamTokens {
    return openUpstreamRow(cipher, tsid, provider, row.sealed, row.sessionExpiresAtMs);
  }

  const store: MemoryAuthStore = {
    clients: {
      async get(clientId) {
        return read<Client>(recordKey.client(clientId));
      },
      async register(client) {
        await locks.run(recordKey.client(client.clientId), async () => {
          if ((await read<Client>(recordKey.client(client.clientId))) !== null) {
            throw new StoreError('already_exists', `client_id "${client.clientId}" is already registered`);
          }
          await write(recordKey.client(client.clientId), copy(client), null);
          clientCount += 1;
        });
      },
      async count() {
        return clientCount;
      },
    },

    pending: {
      async put(state, pending, ttlMs) {
        await write(recordKey.pending(state), copy(pending), now() + ttlMs);
      },
      async take(state) {
        return locks.run(recordKey.pending(state), async () => {
          const pending = await read<PendingAuthorization>(recordKey.pending(state));
          if (pending !== null) await remove(recordKey.pending(state));
          return pending;
        });
      },
    },

    codes: {
      async create(codeHash, record) {
        await write(recordKey.authCode(codeHash), { record: copy(record), used: false }, record.expiresAtMs);
      },
      async consume(codeHash) {
        return locks.run(recordKey.authCode(codeHash), async () => {
          const code = await read<{ record: AuthCodeRecord; used: boolean }>(recordKey.authCode(codeHash));
          if (code === null) return null;
          if (!code.used) await write(recordKey.authCode(codeHash), { ...code, used: true }, code.record.expiresAtMs);
          return { record: copy(code.record), alreadyUsed: code.used };
        });
      },
      async peek(codeHash) {
        return (await read<{ record: AuthCodeRecord; used: boolean }>(recordKey.authCode(codeHash)))?.record ?? null;
      },
    },

    refreshTokens: {
      async create(record) {
        await locks.run(recordKey.family(record.familyId), () => addTokenLocked(record));
      },
      async get(hash) {
        return read<RefreshTokenRecord>(recordKey.refresh(hash));
      },
      async rotate(oldHash, next, nowMs) {
        // The family id of a token never changes, so it can be read before taking the family lock.
        const presented = await readRaw<RefreshTokenRecord>(recordKey.refresh(oldHash));
        if (presented === null) return 'not_found';
        const familyId = presented.d.familyId;
        return locks.run(recordKey.family(familyId), async () => {
          const current = await readRaw<RefreshTokenRecord>(recordKey.refresh(oldHash));
          const family = await readFamily(familyId);
          const outcome = decideRotate(current?.d ?? null, family.d.revokedAtMs !== null, nowMs);
          if (outcome === 'replay') await revokeFamilyLocked(familyId, nowMs);
          if (outcome === 'ok' && current !== null) {
            if (next.familyId !== familyId) throw new Error('internal error: rotate: next.familyId differs from the presented token family');
            await write(recordKey.refresh(oldHash), { ...current.d, usedAtMs: nowMs }, current.e);
            await addTokenLocked(next);
          }
          return outcome;
        });
      },
      async revokeFamily(familyId, nowMs) {
        await locks.run(recordKey.family(familyId), () => revokeFamilyLocked(familyId, nowMs));
      },
      async addAccessToken(familyId, jti, expMs) {
        await locks.run(recordKey.family(familyId), async () => {
          const family = await readFamily(familyId);
          family.d.accessTokens.push({ jti, expMs });
          await write(recordKey.family(familyId), family.d, later(family.e, expMs));
          // An access token issued into an already revoked family is denied at once.
          if (family.d.revokedAtMs !== null) await denyAccess(jti, expMs);
        });
      },
      async listAccessTokens(familyId) {
        const family = await readFamily(familyId);
        const nowMs = now();
        return family.d.accessTokens.filter((token) => token.expMs > nowMs).map((token) => ({ ...token }));
      },
    },

    denyList: {
      async deny(jti, expMs) {
        await denyAccess(jti, expMs);
      },
      async isDenied(jti) {
        return peekLive(recordKey.deniedAccess(jti)) !== null;
      },
    },

    sessions: {
      async create(session) {
        await locks.run(`tsid:${session.tsid}`, async () => {
          await write(recordKey.session(session.tsid), copy(session), session.expiresAtMs);
          await locks.run(`owner:${session.owner.namespace}/${session.owner.name}`, async () => {
            // A Set mutated in place under the owner lock: one MCP server can have 100,000
            // sessions, and copying an array per login made creation O(n) and flooded the heap.
            const index = await readRaw<Set<string>>(recordKey.ownerSessions(session.owner));
            const tsids = index?.d ?? new Set<string>();
            tsids.add(session.tsid);
            await write(recordKey.ownerSessions(session.owner), tsids, later(index?.e, session.expiresAtMs));
          });
        });
      },
      async get(tsid) {
        // Stored through `copy` (JSON-shaped), so a structural clone gives the caller the same
        // private copy as `read` without the JSON round trip (one per token exchange).
        const env = peekLive<Session>(recordKey.session(tsid));
        return env === null ? null : cloneStored(env.d);
      },
      async extend(tsid, expiresAtMs) {
        await locks.run(`tsid:${tsid}`, async () => {
          const session = await read<Session>(recordKey.session(tsid));
          if (session === null) return;
          const extended = Math.max(session.expiresAtMs, expiresAtMs);
          await write(recordKey.session(tsid), { ...session, expiresAtMs: extended }, extended);
          const index = await readIndex(tsid);
          for (const provider of index?.d ?? []) {
            const row = await read<UpstreamRow>(recordKey.upstream(tsid, provider));
            if (row !== null) {
              const rowExpiry = Math.max(row.sessionExpiresAtMs, extended);
              await write(recordKey.upstream(tsid, provider), { ...row, sessionExpiresAtMs: rowExpiry }, rowExpiry);
            }
          }
          if (index !== null) await write(recordKey.upstreamIndex(tsid), index.d, later(index.e, extended));
          await locks.run(`owner:${session.owner.namespace}/${session.owner.name}`, async () => {
            const owners = await readRaw<Set<string>>(recordKey.ownerSessions(session.owner));
            if (owners !== null) await write(recordKey.ownerSessions(session.owner), owners.d, later(owners.e, extended));
          });
        });
      },
      async markRevoked(tsid, nowMs) {
        await locks.run(`tsid:${tsid}`, async () => {
          const session = await read<Session>(recordKey.session(tsid));
          if (session === null || session.revokedAtMs !== undefined) return;
          await write(recordKey.session(tsid), { ...session, revokedAtMs: nowMs }, session.expiresAtMs);
        });
      },
      async delete(tsid) {
        await locks.run(`tsid:${tsid}`, async () => {
          const session = await read<Session>(recordKey.session(tsid));
          await remove(recordKey.session(tsid));
          await deleteUpstreamLocked(tsid);
          if (session !== null) await removeFromOwnerIndex(session.owner, tsid);
        });
      },
      async deleteByOwner(owner) {
        const tsids = await locks.run(`owner:${owner.namespace}/${owner.name}`, async () => {
          const index = await readRaw<Set<string>>(recordKey.ownerSessions(owner));
          await remove(recordKey.ownerSessions(owner));
          return index !== null && (index.e === null || index.e > now()) ? [...index.d] : [];
        });
        let deleted = 0;
        for (const tsid of tsids) {
          await locks.run(`tsid:${tsid}`, async () => {
            const session = await read<Session>(recordKey.session(tsid));
            if (session === null || session.owner.namespace !== owner.namespace || session.owner.name !== owner.name) return;
            await remove(recordKey.session(tsid));
            await deleteUpstreamLocked(tsid);
            deleted += 1;
          });
        }
        return deleted;
      },
    },

    upstreamTokens: {
      async store(tsid, provider, tokens) {
        if (!(tokens.sessionExpiresAtMs > now())) {
          throw new TypeError(`upstreamTokens.store: tokens.sessionExpiresAtMs (${tokens.sessionExpiresAtMs}) must be in the future`);
        }
        await locks.run(`tsid:${tsid}`, async () => {
          const existing = await read<UpstreamRow>(recordKey.upstream(tsid, provider));
          let previous: UpstreamTokens | null = null;
          if (existing !== null) {
            try {
              previous = openRow(tsid, provider, existing);
            } catch {
              previous = null; // unreadable (key removed or tampered): overwrite it
            }
          }
          const merged = mergeUpstreamTokens(previous, { ...tokens, provider });
          const row: UpstreamRow = { sealed: sealUpstreamRow(cipher, tsid, provider, merged), sessionExpiresAtMs: merged.sessionExpiresAtMs };
          await write(recordKey.upstream(tsid, provider), row, row.sessionExpiresAtMs);
          const index = await readIndex(tsid);
          const providers = (index?.d ?? []).filter((p) => p !== provider);
          providers.push(provider);
          await write(recordKey.upstreamIndex(tsid), providers, later(index?.e, row.sessionExpiresAtMs));
          await write(recordKey.userLatestUpstream(merged.userId, provider), { tsid }, row.sessionExpiresAtMs);
        });
      },
      async get(tsid, provider, nowMs) {
        // The row is never handed out (only the freshly opened tokens are), so no copy.
        const row = peekLive<UpstreamRow>(recordKey.upstream(tsid, provider))?.d;
        if (row === undefined) return null;
        const tokens = openRow(tsid, provider, row);
        return { tokens, expired: isUpstreamExpired(tokens, nowMs) };
      },
      async getAll(tsid) {
        const result: Record<string, UpstreamTokens> = {};
        for (const provider of (await readIndex(tsid))?.d ?? []) {
          const row = await read<UpstreamRow>(recordKey.upstream(tsid, provider));
          if (row !== null) result[provider] = openRow(tsid, provider, row);
        }
        return result;
      },
      async delete(tsid) {
        await locks.run(`tsid:${tsid}`, () => deleteUpstreamLocked(tsid));
      },
      async deleteForProvider(tsid, provider) {
        await locks.run(`tsid:${tsid}`, async () => {
          await remove(recordKey.upstream(tsid, provider));
          const index = await readIndex(tsid);
          if (index !== null) {
            await write(
              recordKey.upstreamIndex(tsid),
              index.d.filter((p) => p !== provider),
              index.e,
            );
          }
        });
      },
      async latestForUser(userId, provider) {
        const pointer = await read<{ tsid: string }>(recordKey.userLatestUpstream(userId, provider));
        if (pointer === null) return null;
        const row = await read<UpstreamRow>(recordKey.upstream(pointer.tsid, provider));
        if (row === null) return null;
        const tokens = openRow(pointer.tsid, provider, row);
        return tokens.userId === userId ? tokens : null;
      },
    },

    users: {
      async resolveOrCreate(provider, upstreamSubject) {
        const mappingKey = recordKey.provider(provider, hashToken(upstreamSubject));
        return locks.run(mappingKey, async () => {
          const mapping = await read<{ userId: string }>(mappingKey);
          if (mapping !== null) {
            const user = await read<User>(recordKey.user(mapping.userId));
            if (user !== null) return user;
          }
          const user: User = { id: mapping?.userId ?? randomUUID(), createdAtMs: now() };
          await write(recordKey.user(user.id), copy(user), null);
          await write(mappingKey, { userId: user.id }, null);
          return user;
        });
      },
    },

    leases: {
      async tryAcquire(key, ttlMs) {
        const leaseKey = recordKey.lease(key);
        const holder = randomBytes(16).toString('base64url');
        const acquired = await locks.run(leaseKey, async () => {
          if ((await read(leaseKey)) !== null) return false;
          await write(leaseKey, { holder }, now() + ttlMs);
          return true;
        });
        if (!acquired) return null;
        return async () => {
          await locks.run(leaseKey, async () => {
            const current = await read<{ holder: string }>(leaseKey);
            if (current?.holder === holder) await remove(leaseKey);
          });
        };
      },
    },

    async healthy() {
      return true;
    },
    async close() {
      if (sweeper !== undefined) clearInterval(sweeper);
    },
    sweep,
  };
  return store;
}
