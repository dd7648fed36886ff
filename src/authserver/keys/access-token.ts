import { jwtVerify, decodeProtectedHeader, errors as joseErrors, type JWTPayload } from 'jose';
import { signCompactJws } from './sign-jws.ts';
import type { SigningKeySet } from './signing-key-set.ts';

/** Claims of spec §5.1. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  client_id: string;
  scope?: string;
  tsid: string;
}

/**
 * Signs an access token with the active key: header `{alg, kid, typ: 'at+jwt'}` (RFC 9068).
 *
 * @example
 * const jwt = await signAccessToken(keys, { iss, sub, aud: [resource], ... });
 */
export function signAccessToken(keys: SigningKeySet, claims: AccessTokenClaims): Promise<string> {
  const { alg, kid, privateKey } = keys.active;
  return signCompactJws(privateKey, alg, { alg, kid, typ: 'at+jwt' }, claims);
}

export type VerifyProblem = 'malformed' | 'unknown_kid' | 'bad_algorithm' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'claims';

export class AccessTokenError extends Error {
  constructor(
    readonly code: VerifyProblem,
    message: string,
  ) {
    super(message);
    this.name = 'AccessTokenError';
  }
}

/**
 * Verifies one of our access tokens: alg in the allow-list of configured keys (never none/HMAC),
 * known kid, signature, exact iss, exp/nbf with ≤ 30 s leeway. Used by /oauth/revoke and exported
 * for the internal exchange.
 *
 * @example
 * const claims = await verifyAccessToken(keys, jwt, { issuer: 'https://auth.example.com' });
 */
export async function verifyAccessToken(
  keys: SigningKeySet,
  token: string,
  options: { issuer: string; clockToleranceSeconds?: number; currentDate?: Date; allowExpired?: boolean },
): Promise<AccessTokenClaims> {
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new AccessTokenError('malformed', 'token is not a compact JWS');
  }
  if (typeof header.kid !== 'string' || header.kid === '') throw new AccessTokenError('unknown_kid', 'token has no kid');
  const key = keys.byKid(header.kid);
  if (!key) throw new AccessTokenError('unknown_kid', 'token kid is not one of the configured signing keys');
  if (header.alg !== key.alg) throw new AccessTokenError('bad_algorithm', `token alg ${String(header.alg)} does not match its key`);
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      issuer: options.issuer,
      clockTolerance: options.allowExpired ? Number.MAX_SAFE_INTEGER : (options.clockToleranceSeconds ?? 30),
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    });
    return payload as AccessTokenClaims;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new AccessTokenError('expired', 'token is expired');
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new AccessTokenError('bad_signature', 'token signature is invalid');
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      if (err.claim === 'nbf' || err.claim === 'iat') throw new AccessTokenError('not_yet_valid', `token ${err.claim} is in the future`);
      throw new AccessTokenError('claims', `token claim ${err.claim} is invalid`);
    }
    throw new AccessTokenError('malformed', 'token could not be verified');
  }
}
