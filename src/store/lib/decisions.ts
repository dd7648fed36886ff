import type { RotateOutcome, UpstreamTokens } from '../types.ts';

/** The mutable state of a refresh token that the rotate decision reads. */
export interface RefreshTokenState {
  expiresAtMs: number;
  usedAtMs: number | null;
  revokedAtMs: number | null;
}

/**
 * Refresh-rotation state machine (spec §5.3), shared by the memory backend and mirrored by the
 * Redis Lua script (`ROTATE_SCRIPT`); the contract suite checks both agree.
 *  - absent → 'not_found';
 *  - already used → 'replay' (checked before revocation, so every loser of a race is a replay,
 *    and the caller revokes again, which is idempotent);
 *  - token or family revoked → 'revoked';
 *  - past expiry → 'expired';
 *  - otherwise → 'ok'.
 */
export function decideRotate(token: RefreshTokenState | null, familyRevoked: boolean, nowMs: number): RotateOutcome {
  if (token === null) return 'not_found';
  if (token.usedAtMs !== null) return 'replay';
  if (token.revokedAtMs !== null || familyRevoked) return 'revoked';
  if (token.expiresAtMs <= nowMs) return 'expired';
  return 'ok';
}

/**
 * Upstream token update rule [OTHER-RFC 0058, spec §5.5]: an IdP that does not rotate its refresh
 * token sends none (empty); keep the stored one then. (The upstream ID token is not stored at all:
 * nothing reads it after the callback, and it carries the user's profile claims.)
 */
export function mergeUpstreamTokens(existing: UpstreamTokens | null, incoming: UpstreamTokens): UpstreamTokens {
  if (existing === null) return incoming;
  return {
    ...incoming,
    refreshToken: incoming.refreshToken === '' ? existing.refreshToken : incoming.refreshToken,
  };
}

/** An upstream access token with no expiry (`expiresAtMs` 0) never counts as expired (spec §5.2). */
export function isUpstreamExpired(tokens: UpstreamTokens, nowMs: number): boolean {
  return tokens.expiresAtMs !== 0 && tokens.expiresAtMs <= nowMs;
}

/** Milliseconds until `expiresAtMs`, at least 1 (Redis PX and keyv TTLs need a positive value). */
export function ttlUntil(expiresAtMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil(expiresAtMs - nowMs));
}
