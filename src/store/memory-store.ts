import { randomBytes, randomUUID } from 'node:crypto';
import { createTokenCipher, type EncryptionKeys, type TokenCipher } from './encryption.ts';
import { hashToken } from './hash-token.ts';
import { KeyedMutex } from './lib/keyed-mutex.ts';
import { familyFromRow, familyToRow, refreshFromRow, refreshToRow, sessionFromRow, sessionToRow, type FamilyRecord, type FamilyRow, type RefreshRow, type SessionRow } from './lib/compact-records.ts';
import { decideRotate, isUpstreamExpired, mergeUpstreamTokens } from './lib/decisions.ts';
import { recordKey } from './lib/record-keys.ts';
import { openUpstreamRowBytes, sealUpstreamRowBytes } from './lib/upstream-row.ts';
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

/**
 * What the memory store keeps under each key: one flat string per record, beginning with
 * `[<expiry ms on the store clock, or null for never>,`. A JSON record is `[<expiry>,<record>]`
 * (one `JSON.stringify`; sessions, refresh tokens and families as the positional arrays of
 * compact-records.ts); an upstream row is that prefix followed by its binary sealed tokens,
 * as a one-byte latin1 string, and its expiry is the session's. A string per record instead of
 * an object graph (and a flat string rather than a concatenation, which V8 keeps as a tree of
 * parts) is what lets one replica hold 100,000 sessions in a few hundred bytes each beside the
 * upstream token (issue 7); parsing on read hands every caller a private copy for free. The
 * owner indexes are the exception: a Set mutated in place (one MCP server can have 100,000
 * sessions; rewriting a list per login would be O(n)).
 */
export type StoredValue = string | OwnerIndex;

/** The sessions of one owner (MCP server): tsids, and the expiry of the latest of them. */
export interface OwnerIndex {
  tsids: Set<string>;
  e: number | null;
}

export interface MemoryStoreOptions {
  encryptionKeys: EncryptionKeys;
  /** Clock in epoch milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number;
  /** How often expired records are swept. Default 60 000; 0 disables the timer (call `sweep()`). */
  sweepIntervalMs?: number;
  /** The Map the records live in. Tests pass their own to inspect what is stored at rest. */
  map?: Map<string, StoredValue>;
}

/** The memory store plus its sweeper, exposed for tests and for a `dev` status line. */
export interface MemoryAuthStore extends AuthStore {
  /** Deletes every record whose expiry (on the store clock) has passed; returns how many. */
  sweep(): number;
}

/** A record with its expiry on the store clock (null = never). */
interface Envelope<T> {
  d: T;
  e: number | null;
}

function encodeRecord(data: unknown, expiresAtMs: number | null): string {
  return JSON.stringify([expiresAtMs, data]);
}
function decodeRecord<T>(stored: string): T {
  return (JSON.parse(stored) as [number | null, T])[1];
}
function encodeSealed(sealed: Buffer, expiresAtMs: number): string {
  return Buffer.concat([Buffer.from(`[${expiresAtMs},`, 'latin1'), sealed]).toString('latin1');
}
/** The sealed bytes after the `[<expiry>,` prefix, copied out of the string in one step. */
function sealedOf(stored: string): Buffer {
  return Buffer.from(stored.slice(stored.indexOf(',') + 1), 'latin1');
}
function envelopeOf<T>(stored: string | null): Envelope<T> | null {
  return stored === null ? null : { d: decodeRecord<T>(stored), e: expiryOf(stored) };
}
function expiryOf(stored: string): number | null {
  const expiry = stored.slice(1, stored.indexOf(','));
  return expiry === 'null' ? null : Number(expiry);
}

/** A revoked family with no record yet (code replay raced the first redemption) is remembered this long. */
const REVOKED_FAMILY_MARKER_MS = 24 * 60 * 60 * 1000;

/**
 * In-memory `AuthStore` (spec §5.4): the default for one replica. A plain Map of compact strings
 * (`StoredValue`) rather than keyv's memory adapter, which wraps every record in two more
 * objects (seven records per session: tens of MB at 100,000 sessions, issue 7).
 *
 * Atomicity: the API is async (the Redis backend's is), so every read-modify-write runs under a
 * per-key async lock (`KeyedMutex`). Lock domains: `family:<id>` (refresh tokens, access-token
 * list and revocation of a family), `tsid:<tsid>` (a session and its upstream rows),
 * `owner:<ns/name>` (the owner index), and one lock per single-use key (pending state, auth code,
 * lease, user mapping, client id). Locks nest only as tsid → owner, never the other way, so no
 * deadlock is possible.
 *
 * Expiry: each record carries its expiry on the injected clock; reads ignore expired records and
 * a timer (`sweepIntervalMs`) deletes them.
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
  const map = options.map ?? new Map<string, StoredValue>();
  const locks = new KeyedMutex();
  /** Clients never expire or get deleted, so a counter is exact. */
  let clientCount = 0;

  /** The stored string under `key`, expired or not (rotate must tell 'expired' from 'not_found'). */
  function storedAny(key: string): string | null {
    const stored = map.get(key);
    return typeof stored === 'string' ? stored : null;
  }
  /** The stored string under `key` while it is live on the store clock. */
  function storedLive(key: string): string | null {
    const stored = storedAny(key);
    if (stored === null) return null;
    const e = expiryOf(stored);
    return e !== null && e <= now() ? null : stored;
  }
  /** A record with its expiry, expired or not; the data is a fresh copy. */
  function readAny<T>(key: string): Envelope<T> | null {
    return envelopeOf<T>(storedAny(key));
  }
  /** A live record with its expiry; the data is a fresh copy. */
  function readLiveEnvelope<T>(key: string): Envelope<T> | null {
    return envelopeOf<T>(storedLive(key));
  }
  /** A live record, as a fresh copy the caller may change. */
  async function read<T>(key: string): Promise<T | null> {
    const stored = storedLive(key);
    return stored === null ? null : decodeRecord<T>(stored);
  }
  async function write<T>(key: string, data: T, expiresAtMs: number | null): Promise<void> {
    map.set(storedKey(key), encodeRecord(data, expiresAtMs));
  }
  /**
   * The key to store a record under: a new key is copied into one flat string, because the
   * `recordKey` names are concatenations, which V8 keeps as a tree of parts (~100 bytes more per
   * record at 100,000 sessions). An existing key is kept by the Map anyway.
   */
  function storedKey(key: string): string {
    return map.has(key) ? key : Buffer.from(key, 'utf8').toString('utf8');
  }
  async function remove(key: string): Promise<void> {
    map.delete(key);
  }
  function later(a: number | null | undefined, b: number): number {
    return a === null || a === undefined ? b : Math.max(a, b);
  }
  function ownerIndex(owner: Owner): OwnerIndex | null {
    const index = map.get(recordKey.ownerSessions(owner));
    return typeof index === 'object' ? index : null;
  }

  function sweep(): number {
    const nowMs = now();
    let removed = 0;
    // Synchronous over the Map: no lock holder can interleave with it.
    for (const [key, stored] of map) {
      const expiry = typeof stored === 'string' ? expiryOf(stored) : stored.e;
      if (expiry !== null && expiry <= nowMs) {
        map.delete(key);
        removed += 1;
      }
    }
    // Owner indexes outlive the sessions they list (each login extends them): drop ids whose
    // session is gone, so an index tracks live sessions only.
    for (const stored of map.values()) {
      if (typeof stored === 'string') continue;
      for (const tsid of stored.tsids) if (!map.has(recordKey.session(tsid))) stored.tsids.delete(tsid);
    }
    return removed;
  }
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  const sweeper = sweepIntervalMs > 0 ? setInterval(sweep, sweepIntervalMs) : undefined;
  sweeper?.unref();

  // ---- refresh families -------------------------------------------------------------------
  function readFamily(familyId: string): Envelope<FamilyRecord> {
    const stored = readLiveEnvelope<FamilyRow>(recordKey.family(familyId));
    return stored === null ? { d: { tokenHashes: [], accessTokens: [], revokedAtMs: null }, e: null } : { d: familyFromRow(stored.d), e: stored.e };
  }
  async function writeFamily(familyId: string, family: FamilyRecord, expiresAtMs: number | null): Promise<void> {
    await write(recordKey.family(familyId), familyToRow(family), expiresAtMs);
  }
  /** A refresh-token record with its expiry, expired or not. */
  function readRefresh(hash: string): Envelope<RefreshTokenRecord> | null {
    const stored = readAny<RefreshRow>(recordKey.refresh(hash));
    return stored === null ? null : { d: refreshFromRow(hash, stored.d), e: stored.e };
  }
  async function writeRefresh(record: RefreshTokenRecord, expiresAtMs: number | null): Promise<void> {
    await write(recordKey.refresh(record.hash), refreshToRow(record), expiresAtMs);
  }
  async function denyAccess(jti: string, expMs: number): Promise<void> {
    if (expMs > now()) await write(recordKey.deniedAccess(jti), { expMs }, expMs);
  }
  /** Caller holds the family lock. */
  async function revokeFamilyLocked(familyId: string, nowMs: number): Promise<void> {
    const family = readFamily(familyId);
    family.d.revokedAtMs ??= nowMs;
    for (const hash of family.d.tokenHashes) {
      const token = readRefresh(hash);
      if (token !== null && token.d.revokedAtMs === null) await writeRefresh({ ...token.d, revokedAtMs: nowMs }, token.e);
    }
    for (const { jti, expMs } of family.d.accessTokens) await denyAccess(jti, expMs);
    await writeFamily(familyId, family.d, later(family.e, now() + REVOKED_FAMILY_MARKER_MS));
  }
  /**
   * Caller holds the family lock. Drops what no longer matters before a family is written again:
   * hashes of refresh tokens that expired (their records are gone or going; an expired token can
   * be neither used nor replayed) and access tokens past their `exp` (nothing to deny-list), as
   * the Redis backend does. Without it the family of a session that lives on through rotations
   * grows by a hash and a jti per refresh forever, and every refresh rewrites it whole.
   */
  function pruneFamily(family: FamilyRecord): void {
    const nowMs = now();
    family.tokenHashes = family.tokenHashes.filter((hash) => storedLive(recordKey.refresh(hash)) !== null);
    family.accessTokens = family.accessTokens.filter((token) => token.expMs > nowMs);
  }
  /** Caller holds the family lock. A token created in a revoked family is born revoked. */
  async function addTokenLocked(record: RefreshTokenRecord): Promise<void> {
    const family = readFamily(record.familyId);
    await writeRefresh({ ...record, revokedAtMs: record.revokedAtMs ?? family.d.revokedAtMs }, record.expiresAtMs);
    pruneFamily(family.d);
    family.d.tokenHashes.push(record.hash);
    await writeFamily(record.familyId, family.d, later(family.e, record.expiresAtMs));
  }

  // ---- sessions and upstream rows ---------------------------------------------------------
  function readIndex(tsid: string): Envelope<string[]> | null {
    return readLiveEnvelope<string[]>(recordKey.upstreamIndex(tsid));
  }
  /** Caller holds the tsid lock. */
  async function deleteUpstreamLocked(tsid: string): Promise<void> {
    for (const provider of readIndex(tsid)?.d ?? []) await remove(recordKey.upstream(tsid, provider));
    await remove(recordKey.upstreamIndex(tsid));
  }
  async function removeFromOwnerIndex(owner: Owner, tsid: string): Promise<void> {
    await locks.run(`owner:${owner.namespace}/${owner.name}`, async () => {
      ownerIndex(owner)?.tsids.delete(tsid);
    });
  }
  /** A live session, as a fresh copy the caller may change. */
  function readSession(tsid: string): Session | null {
    const stored = storedLive(recordKey.session(tsid));
    return stored === null ? null : sessionFromRow(tsid, decodeRecord<SessionRow>(stored));
  }
  async function writeSession(session: Session): Promise<void> {
    await write(recordKey.session(session.tsid), sessionToRow(session), session.expiresAtMs);
  }
  /** The live upstream row: its sealed tokens and the session expiry it lives until. */
  function upstreamRow(tsid: string, provider: string): { sealed: Buffer; sessionExpiresAtMs: number } | null {
    const stored = storedAny(recordKey.upstream(tsid, provider));
    if (stored === null) return null;
    // The expiry is read once and serves both the liveness check and the row (storedLive would
    // parse it a second time).
    const sessionExpiresAtMs = expiryOf(stored)!;
    return sessionExpiresAtMs <= now() ? null : { sealed: sealedOf(stored), sessionExpiresAtMs };
  }
  function openRow(tsid: string, provider: string, row: { sealed: Buffer; sessionExpiresAtMs: number }): UpstreamTokens {
    return openUpstreamRowBytes(cipher, tsid, provider, row.sealed, row.sessionExpiresAtMs);
  }

  const store: MemoryAuthStore = {
    clients: {
      get(clientId) {
        return read<Client>(recordKey.client(clientId));
      },
      async register(client) {
        await locks.run(recordKey.client(client.clientId), async () => {
          if ((await read<Client>(recordKey.client(client.clientId))) !== null) {
            throw new StoreError('already_exists', `client_id "${client.clientId}" is already registered`);
          }
          await write(recordKey.client(client.clientId), client, null);
          clientCount += 1;
        });
      },
      async count() {
        return clientCount;
      },
    },

    pending: {
      async put(state, pending, ttlMs) {
        await write(recordKey.pending(state), pending, now() + ttlMs);
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
        await write(recordKey.authCode(codeHash), { record, used: false }, record.expiresAtMs);
      },
      async consume(codeHash) {
        return locks.run(recordKey.authCode(codeHash), async () => {
          const code = await read<{ record: AuthCodeRecord; used: boolean }>(recordKey.authCode(codeHash));
          if (code === null) return null;
          if (!code.used) await write(recordKey.authCode(codeHash), { ...code, used: true }, code.record.expiresAtMs);
          return { record: code.record, alreadyUsed: code.used };
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
        const stored = storedLive(recordKey.refresh(hash));
        return stored === null ? null : refreshFromRow(hash, decodeRecord<RefreshRow>(stored));
      },
      async rotate(oldHash, next, nowMs) {
        // The family id of a token never changes, so it can be read before taking the family lock.
        const presented = readRefresh(oldHash);
        if (presented === null) return 'not_found';
        const familyId = presented.d.familyId;
        return locks.run(recordKey.family(familyId), async () => {
          const current = readRefresh(oldHash);
          const family = readFamily(familyId);
          const outcome = decideRotate(current?.d ?? null, family.d.revokedAtMs !== null, nowMs);
          if (outcome === 'replay') await revokeFamilyLocked(familyId, nowMs);
          if (outcome === 'ok' && current !== null) {
            if (next.familyId !== familyId) throw new Error('internal error: rotate: next.familyId differs from the presented token family');
            await writeRefresh({ ...current.d, usedAtMs: nowMs }, current.e);
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
          const family = readFamily(familyId);
          pruneFamily(family.d);
          family.d.accessTokens.push({ jti, expMs });
          await writeFamily(familyId, family.d, later(family.e, expMs));
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
        return storedLive(recordKey.deniedAccess(jti)) !== null;
      },
    },

    sessions: {
      async create(session) {
        await locks.run(`tsid:${session.tsid}`, async () => {
          await writeSession(session);
          await locks.run(`owner:${session.owner.namespace}/${session.owner.name}`, async () => {
            const index = ownerIndex(session.owner);
            if (index === null) map.set(recordKey.ownerSessions(session.owner), { tsids: new Set([session.tsid]), e: session.expiresAtMs });
            else {
              index.tsids.add(session.tsid);
              index.e = later(index.e, session.expiresAtMs);
            }
          });
        });
      },
      // The read itself is synchronous: nothing awaited inside, so the exchange's path pays one
      // promise per read, and a failure is still a rejection.
      async get(tsid) {
        return readSession(tsid);
      },
      async extend(tsid, expiresAtMs) {
        await locks.run(`tsid:${tsid}`, async () => {
          const session = readSession(tsid);
          if (session === null) return;
          const extended = Math.max(session.expiresAtMs, expiresAtMs);
          await writeSession({ ...session, expiresAtMs: extended });
          const index = readIndex(tsid);
          for (const provider of index?.d ?? []) {
            const row = upstreamRow(tsid, provider);
            if (row !== null) map.set(storedKey(recordKey.upstream(tsid, provider)), encodeSealed(row.sealed, Math.max(row.sessionExpiresAtMs, extended)));
          }
          if (index !== null) await write(recordKey.upstreamIndex(tsid), index.d, later(index.e, extended));
          await locks.run(`owner:${session.owner.namespace}/${session.owner.name}`, async () => {
            const owners = ownerIndex(session.owner);
            if (owners !== null) owners.e = later(owners.e, extended);
          });
        });
      },
      async markRevoked(tsid, nowMs) {
        await locks.run(`tsid:${tsid}`, async () => {
          const session = readSession(tsid);
          if (session === null || session.revokedAtMs !== undefined) return;
          await writeSession({ ...session, revokedAtMs: nowMs });
        });
      },
      async delete(tsid) {
        await locks.run(`tsid:${tsid}`, async () => {
          const session = readSession(tsid);
          await remove(recordKey.session(tsid));
          await deleteUpstreamLocked(tsid);
          if (session !== null) await removeFromOwnerIndex(session.owner, tsid);
        });
      },
      async deleteByOwner(owner) {
        const tsids = await locks.run(`owner:${owner.namespace}/${owner.name}`, async () => {
          const index = ownerIndex(owner);
          await remove(recordKey.ownerSessions(owner));
          return index !== null && (index.e === null || index.e > now()) ? [...index.tsids] : [];
        });
        let deleted = 0;
        for (const tsid of tsids) {
          await locks.run(`tsid:${tsid}`, async () => {
            const session = readSession(tsid);
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
          const existing = upstreamRow(tsid, provider);
          let previous: UpstreamTokens | null = null;
          if (existing !== null) {
            try {
              previous = openRow(tsid, provider, existing);
            } catch {
              previous = null; // unreadable (key removed or tampered): overwrite it
            }
          }
          const merged = mergeUpstreamTokens(previous, { ...tokens, provider });
          map.set(storedKey(recordKey.upstream(tsid, provider)), encodeSealed(sealUpstreamRowBytes(cipher, tsid, provider, merged), merged.sessionExpiresAtMs));
          const index = readIndex(tsid);
          const providers = (index?.d ?? []).filter((p) => p !== provider);
          providers.push(provider);
          await write(recordKey.upstreamIndex(tsid), providers, later(index?.e, merged.sessionExpiresAtMs));
          await write(recordKey.userLatestUpstream(merged.userId, provider), { tsid }, merged.sessionExpiresAtMs);
        });
      },
      async get(tsid, provider, nowMs) {
        const row = upstreamRow(tsid, provider);
        if (row === null) return null;
        const tokens = openRow(tsid, provider, row);
        return { tokens, expired: isUpstreamExpired(tokens, nowMs) };
      },
      async getAll(tsid) {
        const result: Record<string, UpstreamTokens> = {};
        for (const provider of readIndex(tsid)?.d ?? []) {
          const row = upstreamRow(tsid, provider);
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
          const index = readIndex(tsid);
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
        const row = upstreamRow(pointer.tsid, provider);
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
          await write(recordKey.user(user.id), user, null);
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
