/**
 * The one contract test suite of `AuthStore` (conventions §9): the memory and the Redis backend
 * must both pass it. Each backend's test file calls `runStoreContract` with a factory.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeEach, afterEach, describe, expect, it } from 'vitest';
import { hashToken } from './hash-token.ts';
import { StoreError, type AuthCodeRecord, type AuthStore, type PendingAuthorization, type RefreshTokenRecord, type Session, type UpstreamTokens } from './types.ts';

/** A settable clock in epoch ms, injected as the store's `now`. */
export class TestClock {
  constructor(public ms = Date.now()) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface ContractHarness {
  store: AuthStore;
  clock: TestClock;
  /** Every stored key and value as text, as it sits at rest. */
  rawDump(): Promise<string>;
  teardown(): Promise<void>;
}

export type HarnessFactory = (clock: TestClock) => Promise<ContractHarness>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

async function waitFor<T>(attempt: () => Promise<T | null>, what: string): Promise<T> {
  for (let i = 0; i < 200; i += 1) {
    const value = await attempt();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export function runStoreContract(backend: string, factory: HarnessFactory): void {
  describe(`AuthStore contract: ${backend}`, () => {
    let h: ContractHarness;
    let store: AuthStore;
    let clock: TestClock;

    beforeEach(async () => {
      clock = new TestClock();
      h = await factory(clock);
      store = h.store;
    });
    afterEach(async () => {
      await h.teardown();
    });

    function pending(overrides: Partial<PendingAuthorization> = {}): PendingAuthorization {
      return {
        clientId: 'client-1',
        redirectUri: 'http://127.0.0.1:33418/callback',
        clientState: 'client-state-1',
        pkceChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        pkceMethod: 'S256',
        scopes: ['openid'],
        resource: 'https://mcp.example.com/mcp',
        owner: { namespace: 'team-a', name: 'github-mcp' },
        internalState: randomToken(),
        upstreamPkceVerifier: 'upstream-pkce-verifier-secret',
        upstreamNonce: 'upstream-nonce',
        upstreamProvider: 'github',
        tsid: randomToken(),
        createdAtMs: clock.ms,
        ...overrides,
      };
    }
    function codeRecord(overrides: Partial<AuthCodeRecord> = {}): AuthCodeRecord {
      return {
        clientId: 'client-1',
        redirectUri: 'http://127.0.0.1:33418/callback',
        pkceChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        scopes: [],
        resource: 'https://mcp.example.com/mcp',
        userId: randomUUID(),
        tsid: randomToken(),
        familyId: randomUUID(),
        expiresAtMs: clock.ms + 10 * MINUTE,
        ...overrides,
      };
    }
    function refreshRecord(familyId: string, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
      return {
        hash: hashToken(randomToken()),
        familyId,
        clientId: 'client-1',
        tsid: 'tsid-1',
        userId: 'user-1',
        scopes: ['openid', 'offline_access'],
        resource: 'https://mcp.example.com/mcp',
        expiresAtMs: clock.ms + 168 * HOUR,
        usedAtMs: null,
        revokedAtMs: null,
        ...overrides,
      };
    }
    function session(overrides: Partial<Session> = {}): Session {
      return {
        tsid: randomToken(),
        owner: { namespace: 'team-a', name: 'github-mcp' },
        resource: 'https://mcp.example.com/mcp',
        clientId: 'client-1',
        userId: 'user-1',
        familyId: randomUUID(),
        createdAtMs: clock.ms,
        expiresAtMs: clock.ms + 168 * HOUR,
        ...overrides,
      };
    }
    function upstream(overrides: Partial<UpstreamTokens> = {}): UpstreamTokens {
      return {
        provider: 'github',
        accessToken: `UPSTREAM-ACCESS-${randomToken()}`,
        refreshToken: `UPSTREAM-REFRESH-${randomToken()}`,
        expiresAtMs: clock.ms + HOUR,
        sessionExpiresAtMs: clock.ms + 168 * HOUR,
        userId: 'user-1',
        upstreamSubject: 'upstream-subject-1',
        clientId: 'client-1',
        ...overrides,
      };
    }

    describe('clients', () => {
      it('registers, reads back, and refuses a taken id with already_exists', async () => {
        const client = {
          clientId: randomUUID(),
          clientName: 'Inspector',
          redirectUris: ['http://127.0.0.1:6274/oauth/callback'],
          grantTypes: ['authorization_code', 'refresh_token'],
          responseTypes: ['code'],
          tokenEndpointAuthMethod: 'none' as const,
          clientIdIssuedAt: 1_700_000_000,
        };
        expect(await store.clients.get(client.clientId)).toBeNull();
        await store.clients.register(client);
        expect(await store.clients.get(client.clientId)).toEqual(client);
        const err = await store.clients.register({ ...client, clientName: 'other' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreError);
        expect((err as StoreError).code).toBe('already_exists');
        expect((await store.clients.get(client.clientId))?.clientName).toBe('Inspector');
      });

      it('counts registered clients; a refused duplicate does not count', async () => {
        const before = await store.clients.count();
        const base = { redirectUris: [], grantTypes: [], responseTypes: [], tokenEndpointAuthMethod: 'none' as const, clientIdIssuedAt: 1 };
        const clientId = randomUUID();
        await store.clients.register({ clientId, ...base });
        await store.clients.register({ clientId: randomUUID(), ...base });
        await store.clients.register({ clientId, ...base }).catch(() => undefined);
        expect(await store.clients.count()).toBe(before + 2);
      });

      it('lets exactly one of many concurrent registrations of one id win', async () => {
        const clientId = randomUUID();
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            store.clients.register({ clientId, clientName: `c${i}`, redirectUris: [], grantTypes: [], responseTypes: [], tokenEndpointAuthMethod: 'none', clientIdIssuedAt: 1 }),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results.filter((x) => x.status === 'rejected')) expect((r.reason as StoreError).code).toBe('already_exists');
      });
    });

    describe('pending authorizations', () => {
      it('take returns the record once, then null', async () => {
        const p = pending();
        await store.pending.put('state-1', p, 10 * MINUTE);
        expect(await store.pending.take('state-1')).toEqual(p);
        expect(await store.pending.take('state-1')).toBeNull();
        expect(await store.pending.take('never-put')).toBeNull();
      });

      it('expires after its TTL', async () => {
        await store.pending.put('state-2', pending(), 10 * MINUTE);
        clock.advance(10 * MINUTE + 1);
        expect(await store.pending.take('state-2')).toBeNull();
      });

      it('is single use under concurrency: 50 parallel takes, one winner', async () => {
        await store.pending.put('state-3', pending(), 10 * MINUTE);
        const results = await Promise.all(Array.from({ length: 50 }, () => store.pending.take('state-3')));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });
    });

    describe('authorization codes', () => {
      it('first consume alreadyUsed=false, later ones true; unknown → null', async () => {
        const record = codeRecord();
        await store.codes.create('code-hash-1', record);
        expect(await store.codes.consume('code-hash-1')).toEqual({ record, alreadyUsed: false });
        expect(await store.codes.consume('code-hash-1')).toEqual({ record, alreadyUsed: true });
        expect(await store.codes.consume('unknown')).toBeNull();
      });

      it('peek reads without consuming, before and after use; unknown or expired → null', async () => {
        const record = codeRecord({ expiresAtMs: clock.ms + MINUTE });
        await store.codes.create('code-hash-peek', record);
        expect(await store.codes.peek('code-hash-peek')).toEqual(record);
        expect(await store.codes.consume('code-hash-peek')).toEqual({ record, alreadyUsed: false });
        expect(await store.codes.peek('code-hash-peek')).toEqual(record);
        expect(await store.codes.peek('unknown')).toBeNull();
        clock.advance(MINUTE);
        expect(await store.codes.peek('code-hash-peek')).toBeNull();
      });

      it('expires at expiresAtMs', async () => {
        await store.codes.create('code-hash-2', codeRecord({ expiresAtMs: clock.ms + MINUTE }));
        clock.advance(MINUTE);
        expect(await store.codes.consume('code-hash-2')).toBeNull();
      });

      it('is single use under concurrency: 50 parallel consumes, one first use', async () => {
        await store.codes.create('code-hash-3', codeRecord());
        const results = await Promise.all(Array.from({ length: 50 }, () => store.codes.consume('code-hash-3')));
        expect(results.filter((r) => r !== null && !r.alreadyUsed)).toHaveLength(1);
        expect(results.filter((r) => r?.alreadyUsed === true)).toHaveLength(49);
      });
    });

    describe('refresh tokens', () => {
      it('creates and reads a record; get returns null once expired', async () => {
        const record = refreshRecord(randomUUID(), { expiresAtMs: clock.ms + HOUR });
        await store.refreshTokens.create(record);
        expect(await store.refreshTokens.get(record.hash)).toEqual(record);
        clock.advance(HOUR);
        expect(await store.refreshTokens.get(record.hash)).toBeNull();
      });

      it("rotate 'ok' marks the old token used and stores the next one in the family", async () => {
        const familyId = randomUUID();
        const first = refreshRecord(familyId);
        const second = refreshRecord(familyId);
        await store.refreshTokens.create(first);
        expect(await store.refreshTokens.rotate(first.hash, second, clock.ms)).toBe('ok');
        expect((await store.refreshTokens.get(first.hash))?.usedAtMs).toBe(clock.ms);
        expect(await store.refreshTokens.get(second.hash)).toEqual(second);
        const third = refreshRecord(familyId);
        expect(await store.refreshTokens.rotate(second.hash, third, clock.ms + 1)).toBe('ok');
      });

      it("rotate 'replay' revokes the whole family and deny-lists its access tokens", async () => {
        const familyId = randomUUID();
        const first = refreshRecord(familyId);
        const second = refreshRecord(familyId);
        await store.refreshTokens.create(first);
        await store.refreshTokens.addAccessToken(familyId, 'jti-1', clock.ms + HOUR);
        expect(await store.refreshTokens.rotate(first.hash, second, clock.ms)).toBe('ok');
        await store.refreshTokens.addAccessToken(familyId, 'jti-2', clock.ms + HOUR);
        expect(await store.denyList.isDenied('jti-1')).toBe(false);

        // The attacker (or the legitimate client) presents the used token again.
        expect(await store.refreshTokens.rotate(first.hash, refreshRecord(familyId), clock.ms + 5)).toBe('replay');
        expect((await store.refreshTokens.get(first.hash))?.revokedAtMs).toBe(clock.ms + 5);
        expect((await store.refreshTokens.get(second.hash))?.revokedAtMs).toBe(clock.ms + 5);
        expect(await store.refreshTokens.rotate(second.hash, refreshRecord(familyId), clock.ms + 6)).toBe('revoked');
        const listed = await store.refreshTokens.listAccessTokens(familyId);
        expect(listed.map((t) => t.jti).sort()).toEqual(['jti-1', 'jti-2']);
        expect(await store.denyList.isDenied('jti-1')).toBe(true);
        expect(await store.denyList.isDenied('jti-2')).toBe(true);
      });

      it("rotate 'not_found', 'expired' and 'revoked'", async () => {
        const familyId = randomUUID();
        expect(await store.refreshTokens.rotate(hashToken('never-issued'), refreshRecord(familyId), clock.ms)).toBe('not_found');

        const short = refreshRecord(familyId, { expiresAtMs: clock.ms + MINUTE });
        await store.refreshTokens.create(short);
        expect(await store.refreshTokens.rotate(short.hash, refreshRecord(familyId), clock.ms + MINUTE)).toBe('expired');

        const otherFamily = randomUUID();
        const live = refreshRecord(otherFamily);
        await store.refreshTokens.create(live);
        await store.refreshTokens.revokeFamily(otherFamily, clock.ms);
        const next = refreshRecord(otherFamily);
        expect(await store.refreshTokens.rotate(live.hash, next, clock.ms + 1)).toBe('revoked');
        expect(await store.refreshTokens.get(next.hash)).toBeNull();
      });

      it('100 parallel rotates of one token: exactly 1 ok and 99 replay, family revoked', async () => {
        const familyId = randomUUID();
        const first = refreshRecord(familyId);
        await store.refreshTokens.create(first);
        await store.refreshTokens.addAccessToken(familyId, 'jti-race', clock.ms + HOUR);
        const nexts = Array.from({ length: 100 }, () => refreshRecord(familyId));
        const outcomes = await Promise.all(nexts.map((next) => store.refreshTokens.rotate(first.hash, next, clock.ms)));
        expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
        expect(outcomes.filter((o) => o === 'replay')).toHaveLength(99);
        const winner = nexts[outcomes.indexOf('ok')]!;
        expect((await store.refreshTokens.get(winner.hash))?.revokedAtMs).not.toBeNull();
        expect(await store.refreshTokens.rotate(winner.hash, refreshRecord(familyId), clock.ms)).toBe('revoked');
        expect(await store.denyList.isDenied('jti-race')).toBe(true);
        // Only the winner's next token was stored.
        const stored = await Promise.all(nexts.map((n) => store.refreshTokens.get(n.hash)));
        expect(stored.filter((s) => s !== null)).toHaveLength(1);
      });

      it('a revoked family stays revoked for tokens and access tokens added later (code replay race)', async () => {
        const familyId = randomUUID();
        await store.refreshTokens.revokeFamily(familyId, clock.ms);
        const late = refreshRecord(familyId);
        await store.refreshTokens.create(late);
        expect((await store.refreshTokens.get(late.hash))?.revokedAtMs).toBe(clock.ms);
        expect(await store.refreshTokens.rotate(late.hash, refreshRecord(familyId), clock.ms + 1)).toBe('revoked');
        await store.refreshTokens.addAccessToken(familyId, 'jti-late', clock.ms + HOUR);
        expect(await store.denyList.isDenied('jti-late')).toBe(true);
      });

      it('listAccessTokens omits expired entries; unknown family → []', async () => {
        const familyId = randomUUID();
        await store.refreshTokens.addAccessToken(familyId, 'short', clock.ms + MINUTE);
        await store.refreshTokens.addAccessToken(familyId, 'long', clock.ms + HOUR);
        clock.advance(MINUTE);
        expect((await store.refreshTokens.listAccessTokens(familyId)).map((t) => t.jti)).toEqual(['long']);
        expect(await store.refreshTokens.listAccessTokens(randomUUID())).toEqual([]);
      });
    });

    describe('access token deny-list', () => {
      it('denies until exp', async () => {
        expect(await store.denyList.isDenied('jti-x')).toBe(false);
        await store.denyList.deny('jti-x', clock.ms + MINUTE);
        expect(await store.denyList.isDenied('jti-x')).toBe(true);
        clock.advance(MINUTE);
        expect(await store.denyList.isDenied('jti-x')).toBe(false);
      });
    });

    describe('sessions', () => {
      it('create, get, extend, markRevoked, delete', async () => {
        const s = session();
        await store.sessions.create(s);
        expect(await store.sessions.get(s.tsid)).toEqual(s);
        await store.sessions.extend(s.tsid, s.expiresAtMs + HOUR);
        expect((await store.sessions.get(s.tsid))?.expiresAtMs).toBe(s.expiresAtMs + HOUR);
        await store.sessions.extend(s.tsid, s.expiresAtMs); // never shortens
        expect((await store.sessions.get(s.tsid))?.expiresAtMs).toBe(s.expiresAtMs + HOUR);
        await store.sessions.markRevoked(s.tsid, clock.ms + 7);
        await store.sessions.markRevoked(s.tsid, clock.ms + 9); // first revocation time is kept
        expect((await store.sessions.get(s.tsid))?.revokedAtMs).toBe(clock.ms + 7);
        await store.sessions.delete(s.tsid);
        expect(await store.sessions.get(s.tsid)).toBeNull();
      });

      it('expires at expiresAtMs; extend moves the upstream rows with it', async () => {
        const s = session({ expiresAtMs: clock.ms + HOUR });
        await store.sessions.create(s);
        await store.upstreamTokens.store(s.tsid, 'github', upstream({ sessionExpiresAtMs: clock.ms + HOUR }));
        await store.sessions.extend(s.tsid, clock.ms + 3 * HOUR);
        clock.advance(2 * HOUR);
        expect(await store.sessions.get(s.tsid)).not.toBeNull();
        const row = await store.upstreamTokens.get(s.tsid, 'github', clock.ms);
        expect(row?.tokens.sessionExpiresAtMs).toBe(clock.ms + HOUR);
        clock.advance(HOUR);
        expect(await store.sessions.get(s.tsid)).toBeNull();
        expect(await store.upstreamTokens.get(s.tsid, 'github', clock.ms)).toBeNull();
      });

      it('deleteByOwner deletes only that owner’s sessions and their upstream rows', async () => {
        const owner = { namespace: 'team-a', name: `srv-${randomUUID().slice(0, 8)}` };
        const mine = [session({ owner }), session({ owner }), session({ owner })];
        const other = session({ owner: { namespace: 'team-b', name: owner.name } });
        for (const s of [...mine, other]) {
          await store.sessions.create(s);
          await store.upstreamTokens.store(s.tsid, 'github', upstream());
        }
        await store.sessions.delete(mine[2]!.tsid);
        expect(await store.sessions.deleteByOwner(owner)).toBe(2);
        for (const s of mine) {
          expect(await store.sessions.get(s.tsid)).toBeNull();
          expect(await store.upstreamTokens.getAll(s.tsid)).toEqual({});
        }
        expect(await store.sessions.get(other.tsid)).toEqual(other);
        expect(Object.keys(await store.upstreamTokens.getAll(other.tsid))).toEqual(['github']);
        expect(await store.sessions.deleteByOwner(owner)).toBe(0);
      });
    });

    describe('upstream tokens', () => {
      it('stores and reads back; expired flag follows expiresAtMs; 0 never expires', async () => {
        const tokens = upstream();
        await store.upstreamTokens.store('tsid-u1', 'github', tokens);
        expect(await store.upstreamTokens.get('tsid-u1', 'github', clock.ms)).toEqual({ tokens, expired: false });
        expect((await store.upstreamTokens.get('tsid-u1', 'github', tokens.expiresAtMs))?.expired).toBe(true);
        await store.upstreamTokens.store('tsid-u1', 'google', upstream({ provider: 'google', expiresAtMs: 0 }));
        expect((await store.upstreamTokens.get('tsid-u1', 'google', clock.ms + 100 * HOUR))?.expired).toBe(false);
        expect(await store.upstreamTokens.get('tsid-u1', 'gitlab', clock.ms)).toBeNull();
      });

      it('keeps the stored refresh token when the new one is empty, and stores exactly the fields of UpstreamTokens', async () => {
        const first = upstream();
        await store.upstreamTokens.store('tsid-u2', 'github', first);
        await store.upstreamTokens.store('tsid-u2', 'github', upstream({ accessToken: 'new-access', refreshToken: '' }));
        const row = await store.upstreamTokens.get('tsid-u2', 'github', clock.ms);
        expect(row?.tokens).toMatchObject({ accessToken: 'new-access', refreshToken: first.refreshToken });
        // Data minimisation: nothing beyond the typed fields is kept (no upstream ID token, issue 7).
        expect(Object.keys(row!.tokens).sort()).toEqual(['accessToken', 'clientId', 'expiresAtMs', 'provider', 'refreshToken', 'sessionExpiresAtMs', 'upstreamSubject', 'userId']);
        await store.upstreamTokens.store('tsid-u2', 'github', upstream({ refreshToken: 'rotated-refresh' }));
        expect((await store.upstreamTokens.get('tsid-u2', 'github', clock.ms))?.tokens).toMatchObject({ refreshToken: 'rotated-refresh' });
      });

      it('getAll, deleteForProvider and delete', async () => {
        const gh = upstream();
        const gg = upstream({ provider: 'google' });
        await store.upstreamTokens.store('tsid-u3', 'github', gh);
        await store.upstreamTokens.store('tsid-u3', 'google', gg);
        expect(await store.upstreamTokens.getAll('tsid-u3')).toEqual({ github: gh, google: gg });
        await store.upstreamTokens.deleteForProvider('tsid-u3', 'github');
        expect(await store.upstreamTokens.getAll('tsid-u3')).toEqual({ google: gg });
        await store.upstreamTokens.delete('tsid-u3');
        expect(await store.upstreamTokens.getAll('tsid-u3')).toEqual({});
        expect(await store.upstreamTokens.get('tsid-u3', 'google', clock.ms)).toBeNull();
      });

      it('latestForUser returns the most recently stored row of that user and provider', async () => {
        const userId = randomUUID();
        const older = upstream({ userId, refreshToken: 'older-refresh' });
        const newer = upstream({ userId, refreshToken: 'newer-refresh' });
        await store.upstreamTokens.store('tsid-old', 'github', older);
        await store.upstreamTokens.store('tsid-new', 'github', newer);
        await store.upstreamTokens.store('tsid-other-user', 'github', upstream({ userId: randomUUID() }));
        expect(await store.upstreamTokens.latestForUser(userId, 'github')).toEqual(newer);
        expect(await store.upstreamTokens.latestForUser(userId, 'google')).toBeNull();
        expect(await store.upstreamTokens.latestForUser(randomUUID(), 'github')).toBeNull();
        await store.upstreamTokens.delete('tsid-new');
        expect(await store.upstreamTokens.latestForUser(userId, 'github')).toBeNull();
      });

      it('refuses a row whose session already ended, naming the field', async () => {
        await expect(store.upstreamTokens.store('tsid-u4', 'github', upstream({ sessionExpiresAtMs: clock.ms }))).rejects.toThrow(/sessionExpiresAtMs/);
      });

      it('encrypts at rest: no token plaintext in the stored bytes', async () => {
        const tokens = upstream();
        await store.upstreamTokens.store('tsid-u5', 'github', tokens);
        const refreshToken = randomToken();
        await store.refreshTokens.create(refreshRecord(randomUUID(), { hash: hashToken(refreshToken) }));
        const raw = await h.rawDump();
        expect(raw).toContain('tsid-u5'); // the dump does contain the row...
        for (const secret of [tokens.accessToken, tokens.refreshToken, 'UPSTREAM-', refreshToken]) {
          expect(raw).not.toContain(secret); // ...but none of the secrets
        }
        expect(raw).not.toContain(tokens.upstreamSubject);
      });
    });

    describe('users', () => {
      it('resolveOrCreate is stable per (provider, subject) and distinct otherwise', async () => {
        const a = await store.users.resolveOrCreate('github', 'subject-a');
        expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(await store.users.resolveOrCreate('github', 'subject-a')).toEqual(a);
        expect((await store.users.resolveOrCreate('github', 'subject-b')).id).not.toBe(a.id);
        expect((await store.users.resolveOrCreate('google', 'subject-a')).id).not.toBe(a.id);
      });

      it('concurrent first logins of one subject resolve to one user', async () => {
        const users = await Promise.all(Array.from({ length: 20 }, () => store.users.resolveOrCreate('github', 'racing-subject')));
        expect(new Set(users.map((u) => u.id)).size).toBe(1);
      });
    });

    describe('leases', () => {
      it('is exclusive until released', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, () => store.leases.tryAcquire('refresh:tsid:github', 30_000)));
        const holders = results.filter((r) => r !== null);
        expect(holders).toHaveLength(1);
        expect(await store.leases.tryAcquire('refresh:tsid:github', 30_000)).toBeNull();
        expect(await store.leases.tryAcquire('refresh:tsid:google', 30_000)).not.toBeNull();
        await holders[0]!();
        expect(await store.leases.tryAcquire('refresh:tsid:github', 30_000)).not.toBeNull();
      });

      it('expires after its TTL, and a stale holder’s release does not free the new holder’s lease', async () => {
        const stale = await store.leases.tryAcquire('lease-ttl', 50);
        expect(stale).not.toBeNull();
        clock.advance(50);
        const fresh = await waitFor(() => store.leases.tryAcquire('lease-ttl', 30_000), 'the lease to expire');
        await stale!();
        expect(await store.leases.tryAcquire('lease-ttl', 30_000)).toBeNull();
        await fresh();
        expect(await store.leases.tryAcquire('lease-ttl', 30_000)).not.toBeNull();
      });
    });

    it('stores copies: mutating what was passed in or handed out never changes stored records', async () => {
      const p = pending();
      await store.pending.put('state-copy', p, 10 * MINUTE);
      p.scopes.push('mutated');
      expect((await store.pending.take('state-copy'))?.scopes).toEqual(['openid']);

      const code = codeRecord({ scopes: ['a'] });
      await store.codes.create('code-copy', code);
      const consumed = await store.codes.consume('code-copy');
      consumed!.record.scopes.push('mutated');
      code.scopes.push('mutated-too');
      expect((await store.codes.consume('code-copy'))?.record.scopes).toEqual(['a']);

      const familyId = randomUUID();
      const token = refreshRecord(familyId);
      await store.refreshTokens.create(token);
      token.scopes.push('mutated');
      (await store.refreshTokens.get(token.hash))!.scopes.push('mutated-too');
      expect((await store.refreshTokens.get(token.hash))?.scopes).toEqual(['openid', 'offline_access']);

      await store.refreshTokens.addAccessToken(familyId, 'jti-copy', clock.ms + HOUR);
      (await store.refreshTokens.listAccessTokens(familyId))[0]!.expMs = 0;
      expect((await store.refreshTokens.listAccessTokens(familyId))[0]?.expMs).toBe(clock.ms + HOUR);

      const s = session();
      await store.sessions.create(s);
      s.owner.name = 'someone-else';
      (await store.sessions.get(s.tsid))!.owner.namespace = 'elsewhere';
      expect((await store.sessions.get(s.tsid))?.owner).toEqual({ namespace: 'team-a', name: 'github-mcp' });

      const user = await store.users.resolveOrCreate('github', 'copy-subject');
      const id = user.id;
      user.id = 'mutated';
      expect((await store.users.resolveOrCreate('github', 'copy-subject')).id).toBe(id);
    });

    it('healthy() is true while the backend is reachable', async () => {
      expect(await store.healthy()).toBe(true);
    });
  });
}
