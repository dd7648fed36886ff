import type { KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidGrant } from '../errors.ts';

/** What the exchange needs of the auth server's SigningKeySet (structural, so tests can pass their own). */
export interface VerificationKeys {
  /** Algorithms of the configured keys: the allow-list (never none, never HMAC). */
  readonly algorithms: readonly string[];
  byKid(kid: string): { alg: string; publicKey: KeyObject } | undefined;
}

export interface SubjectClaims extends JWTPayload {
  sub: string;
  aud: string[];
  jti: string;
  client_id: string;
  tsid: unknown;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const HMAC = /^HS/;

/**
 * Spec §2.10 step 6: alg ∈ algs of configured keys (never `none`/HMAC), `kid` known (active or
 * rotated), header `typ` at+jwt (RFC 9068, spec §5.1), signature, `iss` exact, `exp` > now and
 * `nbf`/`iat` not in the future beyond the leeway, `aud`/`sub`/`jti`/`client_id` present.
 * Every failure is `invalid_grant` with a reason for the audit log.
 */
export async function verifySubjectToken(
  keys: VerificationKeys,
  token: string,
  options: { issuer: string; nowMs: number; clockToleranceSeconds: number },
): Promise<SubjectClaims> {
  if (!COMPACT_JWS.test(token)) throw new InvalidGrant('token_malformed', 'subject_token is not a compact JWS');
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new InvalidGrant('token_malformed', 'subject_token header is not valid base64url JSON');
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || alg === 'none' || HMAC.test(alg) || !keys.algorithms.includes(alg)) {
    throw new InvalidGrant('token_bad_alg', 'subject_token alg is not one of the configured signing algorithms');
  }
  if (typeof header.kid !== 'string' || header.kid === '') throw new InvalidGrant('token_no_kid', 'subject_token has no kid');
  const key = keys.byKid(header.kid);
  if (!key) throw new InvalidGrant('token_unknown_kid', 'subject_token kid is not a current signing key');
  if (key.alg !== alg) throw new InvalidGrant('token_bad_alg', 'subject_token alg does not match its key');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      issuer: options.issuer,
      typ: 'at+jwt',
      clockTolerance: options.clockToleranceSeconds,
      currentDate: new Date(options.nowMs),
      requiredClaims: ['exp', 'sub', 'jti'],
    }));
  } catch (err) {
    throw mapJoseError(err);
  }
  const nowS = options.nowMs / 1000;
  if (typeof payload.iat === 'number' && payload.iat > nowS + options.clockToleranceSeconds) {
    throw new InvalidGrant('token_not_yet_valid', 'subject_token iat is in the future');
  }
  const aud = typeof payload.aud === 'string' ? [payload.aud] : payload.aud;
  if (!Array.isArray(aud) || aud.length === 0 || !aud.every((a) => typeof a === 'string')) {
    throw new InvalidGrant('token_no_aud', 'subject_token has no aud');
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidGrant('token_claims', 'subject_token sub is missing');
  if (typeof payload.jti !== 'string' || payload.jti === '') throw new InvalidGrant('token_claims', 'subject_token jti is missing');
  if (typeof payload.client_id !== 'string' || payload.client_id === '') {
    throw new InvalidGrant('token_claims', 'subject_token client_id is missing');
  }
  return { ...payload, aud } as SubjectClaims;
}

function mapJoseError(err: unknown): InvalidGrant {
  if (err instanceof joseErrors.JWTExpired) return new InvalidGrant('token_expired', 'subject_token is expired');
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new InvalidGrant('token_bad_signature', 'subject_token signature is invalid');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return new InvalidGrant('token_not_yet_valid', `subject_token ${err.claim} is in the future`);
    if (err.claim === 'iss') return new InvalidGrant('token_bad_iss', 'subject_token iss is not this issuer');
    if (err.claim === 'typ') return new InvalidGrant('token_bad_typ', 'subject_token typ must be at+jwt');
    return new InvalidGrant('token_claims', `subject_token claim ${err.claim} is invalid`);
  }
  return new InvalidGrant('token_malformed', 'subject_token could not be verified');
}
