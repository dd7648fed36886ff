import { createHash } from 'node:crypto';

/**
 * Hash of an opaque secret (authorization code, refresh token, client secret) as it is stored:
 * SHA-256, base64url without padding (spec §5.3: stored by hash only). The secrets are 256-bit
 * random values, so an unsalted fast hash is enough to make a stolen store useless.
 *
 * @example
 * ```ts
 * const key = hashToken(refreshToken); // 43 characters, [A-Za-z0-9_-]
 * await store.refreshTokens.get(key);
 * ```
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}
