/**
 * Storage contract of the auth server (spec §5.4), shared by the memory and Redis backends.
 * Every method is async because the Redis backend is. Single-use and rotate operations are
 * atomic in both backends: a per-key lock in memory, GETDEL / Lua scripts in Redis.
 *
 * Secrets are never stored in clear: auth codes and refresh tokens are stored by SHA-256 hash,
 * upstream tokens encrypted at rest (AES-256-GCM, key id kept with each record).
 * Times are epoch milliseconds (`...AtMs`).
 */

export interface Owner {
  namespace: string;
  name: string;
}

export interface Client {
  clientId: string;
  clientName?: string;
  redirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  tokenEndpointAuthMethod: 'none' | 'client_secret_basic' | 'client_secret_post';
  /** SHA-256 of the secret, confidential clients only. */
  clientSecretHash?: string;
  scope?: string;
  clientIdIssuedAt: number;
}

export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  clientState?: string;
  pkceChallenge: string;
  pkceMethod: 'S256';
  scopes: string[];
  resource: string;
  owner: Owner;
  internalState: string;
  upstreamPkceVerifier: string;
  upstreamNonce: string;
  upstreamProvider: string;
  tsid: string;
  resolvedUserId?: string;
  createdAtMs: number;
}

export interface AuthCodeRecord {
  clientId: string;
  redirectUri: string;
  pkceChallenge: string;
  scopes: string[];
  resource: string;
  userId: string;
  tsid: string;
  /** Family started by redeeming this code; used to revoke what the code issued on reuse. */
  familyId: string;
  expiresAtMs: number;
}

export interface RefreshTokenRecord {
  hash: string;
  familyId: string;
  clientId: string;
  tsid: string;
  userId: string;
  scopes: string[];
  resource: string;
  expiresAtMs: number;
  usedAtMs: number | null;
  revokedAtMs: number | null;
}

export type RotateOutcome = 'ok' | 'replay' | 'not_found' | 'expired' | 'revoked';

export interface Session {
  tsid: string;
  /** Set once at authorize time from the resource map; never changes [REV a]. */
  owner: Owner;
  resource: string;
  clientId: string;
  userId: string;
  familyId: string;
  createdAtMs: number;
  expiresAtMs: number;
  revokedAtMs?: number;
}

export interface UpstreamTokens {
  provider: string;
  accessToken: string;
  refreshToken: string;
  /** 0 = the IdP gave no expiry: treated as non-expiring. */
  expiresAtMs: number;
  sessionExpiresAtMs: number;
  userId: string;
  upstreamSubject: string;
  clientId: string;
}

export interface User {
  id: string;
  createdAtMs: number;
}

export interface ClientStore {
  get(clientId: string): Promise<Client | null>;
  /** Throws StoreError code 'already_exists' when the id is taken. */
  register(client: Client): Promise<void>;
  /** How many clients are registered (clients never expire); bounds DCR (spec §2.7, 503 when full). */
  count(): Promise<number>;
}

export interface PendingAuthStore {
  put(state: string, pending: PendingAuthorization, ttlMs: number): Promise<void>;
  /** Atomic load + delete; null if absent or expired. */
  take(state: string): Promise<PendingAuthorization | null>;
}

export interface AuthCodeStore {
  create(codeHash: string, record: AuthCodeRecord): Promise<void>;
  /** First call returns alreadyUsed=false; later calls (until expiry) alreadyUsed=true. */
  consume(codeHash: string): Promise<{ record: AuthCodeRecord; alreadyUsed: boolean } | null>;
  /**
   * Reads without consuming, so the token endpoint can check client, redirect_uri and PKCE before
   * spending the code: a party without the verifier must not be able to burn someone's code.
   */
  peek(codeHash: string): Promise<AuthCodeRecord | null>;
}

export interface RefreshTokenStore {
  create(record: RefreshTokenRecord): Promise<void>;
  get(hash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Atomic compare-and-set: marks `oldHash` used and stores `next` in the same family.
   * 'replay' (already used) revokes the whole family inside the same atomic step.
   */
  rotate(oldHash: string, next: RefreshTokenRecord, nowMs: number): Promise<RotateOutcome>;
  revokeFamily(familyId: string, nowMs: number): Promise<void>;
  /** Remembers an access token `jti` issued in a family, so family revocation can deny-list it. */
  addAccessToken(familyId: string, jti: string, expMs: number): Promise<void>;
  listAccessTokens(familyId: string): Promise<Array<{ jti: string; expMs: number }>>;
}

export interface AccessTokenDenyList {
  deny(jti: string, expMs: number): Promise<void>;
  isDenied(jti: string): Promise<boolean>;
}

export interface SessionStore {
  create(session: Session): Promise<void>;
  get(tsid: string): Promise<Session | null>;
  /** Extends the session (and its upstream rows) on every refresh rotation (spec §5.2). */
  extend(tsid: string, expiresAtMs: number): Promise<void>;
  markRevoked(tsid: string, nowMs: number): Promise<void>;
  delete(tsid: string): Promise<void>;
  /** When a server leaves the resource map; returns how many sessions were deleted. */
  deleteByOwner(owner: Owner): Promise<number>;
}

export interface UpstreamTokenStore {
  /** Preserves the existing refresh/id token when the new one is empty. */
  store(tsid: string, provider: string, tokens: UpstreamTokens): Promise<void>;
  /** Returns expired rows too (the caller refreshes them). */
  get(tsid: string, provider: string, nowMs: number): Promise<{ tokens: UpstreamTokens; expired: boolean } | null>;
  getAll(tsid: string): Promise<Record<string, UpstreamTokens>>;
  delete(tsid: string): Promise<void>;
  deleteForProvider(tsid: string, provider: string): Promise<void>;
  /** Refresh-token carry-forward; the caller checks upstreamSubject. */
  latestForUser(userId: string, provider: string): Promise<UpstreamTokens | null>;
}

export interface UserStore {
  resolveOrCreate(provider: string, upstreamSubject: string): Promise<User>;
}

/**
 * A lease for work that must happen on one replica at a time (upstream refresh of one
 * (tsid, provider)). Returns a release function, or null when another holder has it.
 */
export interface LeaseStore {
  tryAcquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | null>;
}

export interface AuthStore {
  clients: ClientStore;
  pending: PendingAuthStore;
  codes: AuthCodeStore;
  refreshTokens: RefreshTokenStore;
  denyList: AccessTokenDenyList;
  sessions: SessionStore;
  upstreamTokens: UpstreamTokenStore;
  users: UserStore;
  leases: LeaseStore;
  /** Storage reachable (for /readyz). Never throws. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

export type StoreErrorCode = 'already_exists' | 'unavailable' | 'corrupt_record' | 'decrypt_failed';

/** Internal store failure with a stable code (conventions §5); 'unavailable' maps to HTTP 503. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
