import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * 256-bit random opaque token, base64url (refresh tokens, codes; spec §5.3).
 *
 * @example
 * randomToken() // 43 base64url chars
 */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 hex: how codes and refresh tokens are stored (never in clear). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** RFC 7636 S256: BASE64URL(SHA256(verifier)). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** Constant-time string equality for secrets and PKCE values. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
