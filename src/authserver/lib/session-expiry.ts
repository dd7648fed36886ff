/**
 * Spec §5.2: a session (and its upstream rows) lives as long as the newest refresh token of its
 * family. Extending it rewrites (re-encrypts) the upstream rows, so instead of extending on every
 * rotation the session is given 10 % head-room past the refresh token's expiry and extended only
 * when a new refresh token would outlive it. A session therefore outlives its last refresh token
 * by at most 10 % of the refresh lifespan.
 */
export const SESSION_SLACK_FRACTION = 0.1;

/** Expiry to give a new session. */
export function initialSessionExpiryMs(nowMs: number, refreshLifespanMs: number): number {
  return nowMs + Math.ceil(refreshLifespanMs * (1 + SESSION_SLACK_FRACTION));
}

/**
 * The new session expiry when a refresh token issued now would outlive the session, else null.
 *
 * @example
 * sessionExtensionMs(now, 7 * DAY, now + 7.5 * DAY) // null: still covers the new token
 * sessionExtensionMs(now, 7 * DAY, now + 6 * DAY)   // now + 7.7 days
 */
export function sessionExtensionMs(nowMs: number, refreshLifespanMs: number, currentExpiresAtMs: number): number | null {
  if (currentExpiresAtMs >= nowMs + refreshLifespanMs) return null;
  return initialSessionExpiryMs(nowMs, refreshLifespanMs);
}
