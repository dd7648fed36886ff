import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { InvalidGrant } from '../errors.ts';
import { p1363ToDer } from './ecdsa-der.ts';

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
  const header = decodeHeader(token);
  const alg = header.alg;
  if (typeof alg !== 'string' || alg === 'none' || HMAC.test(alg) || !keys.algorithms.includes(alg)) {
    throw new InvalidGrant('token_bad_alg', 'subject_token alg is not one of the configured signing algorithms');
  }
  if (typeof header.kid !== 'string' || header.kid === '') throw new InvalidGrant('token_no_kid', 'subject_token has no kid');
  const key = keys.byKid(header.kid);
  if (!key) throw new InvalidGrant('token_unknown_kid', 'subject_token kid is not a current signing key');
  if (key.alg !== alg) throw new InvalidGrant('token_bad_alg', 'subject_token alg does not match its key');
  // The common case (a well-formed ES* token that passes) is accepted on the fast path; anything
  // the fast path does not accept goes through jose, which decides and names the failure.
  let payload = await verifyEcdsaFast(token, header, key, options);
  if (payload === null) {
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
  // The payload is this call's own object (parsed just now): aud is normalised in place.
  if (payload.aud !== aud) payload.aud = aud;
  return payload as SubjectClaims;
}

/**
 * The protected header, as jose's `decodeProtectedHeader` reads it (base64url, strict UTF-8, JSON
 * object), decoded with Buffer: the charset is already checked by COMPACT_JWS, and a length that
 * Buffer would decode more leniently than jose, or anything that does not parse to an object,
 * is left to jose to accept or refuse.
 */
function decodeHeader(token: string): ProtectedHeaderParameters {
  const encoded = token.slice(0, token.indexOf('.'));
  const known = decodedHeaders.get(encoded);
  if (known !== undefined) return known;
  if (encoded.length % 4 !== 1) {
    try {
      const parsed: unknown = JSON.parse(strictUtf8.decode(Buffer.from(encoded, 'base64url')));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return rememberHeader(encoded, parsed as ProtectedHeaderParameters);
    } catch {
      // jose decides below.
    }
  }
  try {
    return decodeProtectedHeader(token);
  } catch {
    throw new InvalidGrant('token_malformed', 'subject_token header is not valid base64url JSON');
  }
}

/**
 * Decoded protected headers by their encoded text: every token one signing key issues carries
 * the same header, so it is decoded once, not per exchange. Frozen (callers only read it);
 * bounded, and cleared when full (any caller can send headers of its own).
 */
const HEADER_CACHE_MAX = 64;
const decodedHeaders = new Map<string, ProtectedHeaderParameters>();
function rememberHeader(encoded: string, header: ProtectedHeaderParameters): ProtectedHeaderParameters {
  if (decodedHeaders.size >= HEADER_CACHE_MAX) decodedHeaders.clear();
  const frozen = Object.freeze(header);
  decodedHeaders.set(encoded, frozen);
  return frozen;
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

/** ES* algorithms: the hash, the curve of the key and the IEEE P1363 signature length (RFC 7518 §3.4). */
const ECDSA: Readonly<Record<string, { hash: string; curve: string; signatureBytes: number }>> = {
  ES256: { hash: 'sha256', curve: 'prime256v1', signatureBytes: 64 },
  ES384: { hash: 'sha384', curve: 'secp384r1', signatureBytes: 96 },
  ES512: { hash: 'sha512', curve: 'secp521r1', signatureBytes: 132 },
};
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The same checks as the `jwtVerify` call above (RFC 7515 signature, `typ` at+jwt, `iss`, `exp`,
 * `nbf`, `iat` numeric, `exp`/`sub`/`jti`/`iss` present), for ECDSA keys only, with the signature
 * checked by node:crypto on the libuv thread pool: WebCrypto's verify costs about 4× more
 * event-loop time per token (measured: ~76 µs vs ~17 µs, ES256), and this is the exchange's
 * largest single cost. Returns the claims when the token is valid, or null for anything else
 * (unusual header, other key type, bad signature, failing claim): the caller then runs jose,
 * so every refusal keeps jose's decision and its reason. It only ever accepts a subset of
 * what jose accepts.
 */
async function verifyEcdsaFast(
  token: string,
  header: ProtectedHeaderParameters,
  key: { alg: string; publicKey: KeyObject },
  options: { issuer: string; nowMs: number; clockToleranceSeconds: number },
): Promise<JWTPayload | null> {
  const ec = ECDSA[key.alg];
  const pk = key.publicKey;
  if (ec === undefined || header.alg !== key.alg || pk.type !== 'public' || pk.asymmetricKeyType !== 'ec') return null;
  if (namedCurveOf(pk) !== ec.curve) return null;
  // No extensions (crit/b64 change how the payload is read: jose handles them).
  if ('crit' in header || 'b64' in header) return null;
  if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== 'application/at+jwt') return null;
  // Buffer's base64url decoding is more lenient than jose's (it skips a dangling character), so
  // only canonical lengths are decoded here; anything else is jose's to refuse.
  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  if (token.length - lastDot - 1 !== Math.ceil((ec.signatureBytes * 4) / 3) || (lastDot - firstDot - 1) % 4 === 1) return null;
  const signature = Buffer.from(token.slice(lastDot + 1), 'base64url');
  if (signature.length !== ec.signatureBytes) return null;
  const valid = await new Promise<boolean>((resolve) => {
    // DER converted here and the bare KeyObject passed: the cheapest dispatch node:crypto offers
    // (see p1363ToDer); the same bytes are verified.
    cryptoVerify(ec.hash, Buffer.from(token.slice(0, lastDot), 'ascii'), pk, p1363ToDer(signature, ec.signatureBytes / 2), (err, ok) =>
      resolve(err === null && ok),
    );
  });
  if (!valid) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(strictUtf8.decode(Buffer.from(token.slice(firstDot + 1, lastDot), 'base64url')));
  } catch {
    return null;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
  const claims = payload as JWTPayload;
  for (const required of ['iss', 'jti', 'sub', 'exp']) if (!Object.hasOwn(claims, required)) return null;
  if (claims.iss !== options.issuer) return null;
  const now = Math.floor(options.nowMs / 1000);
  const tolerance = options.clockToleranceSeconds;
  if (!Number.isFinite(now) || !Number.isFinite(tolerance) || tolerance < 0) return null;
  if (claims.iat !== undefined && typeof claims.iat !== 'number') return null;
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now + tolerance)) return null;
  if (typeof claims.exp !== 'number' || claims.exp <= now - tolerance) return null;
  return claims;
}

/** A key's curve, read once per key (`asymmetricKeyDetails` builds a new object on every read). */
const curves = new WeakMap<KeyObject, string | undefined>();
function namedCurveOf(key: KeyObject): string | undefined {
  if (!curves.has(key)) curves.set(key, key.asymmetricKeyDetails?.namedCurve);
  return curves.get(key);
}

/** jose's `typ` comparison (RFC 7515 §4.1.9: the `application/` prefix may be omitted; case-insensitive). */
function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return value.includes('/') ? lower : `application/${lower}`;
}
