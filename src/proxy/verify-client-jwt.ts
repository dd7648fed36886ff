import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type FetchImplementation, type JWTPayload } from 'jose';

/** Only asymmetric algorithms the auth server can sign with (spec §3.1); never none/HMAC. */
export const ACCEPTED_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'EdDSA'];

export interface ClientJwtVerifierOptions {
  issuer: string;
  /** The normalized resource URL (spec §5.6); the JWT `aud` must contain it. */
  audience: string;
  jwksUrl: string;
  /** JWKS fetch bound; default 5 s. */
  jwksTimeoutMs?: number;
  /** Minimum time between refetches on an unknown kid; default 30 s. */
  jwksCooldownMs?: number;
  /** Max age of the cached JWKS; default 10 min. */
  jwksCacheMaxAgeMs?: number;
  clockToleranceSeconds?: number;
  /** Custom fetch (tests trusting a private CA). */
  fetch?: FetchImplementation;
}

export interface ClientClaims extends JWTPayload {
  sub: string;
  tsid: string;
}

export class ClientJwtError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ClientJwtError';
  }
}

/**
 * Builds the proxy's JWT check (spec §1 step 4, §2.11): signature against the auth server's JWKS
 * (jose remote set: cached, refetched on an unknown kid after the cooldown), `typ` at+jwt, exact
 * `iss`, `aud` contains the normalized resource, `exp`/`nbf` with ≤ 30 s leeway, and a string `tsid`.
 *
 * @example
 * const verify = createClientJwtVerifier({ issuer, audience: 'https://tools.example.com/mcp', jwksUrl: `${issuer}/.well-known/jwks.json` });
 * const claims = await verify(bearer); // throws ClientJwtError
 */
export function createClientJwtVerifier(options: ClientJwtVerifierOptions): (token: string) => Promise<ClientClaims> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    ...(options.fetch ? { [customFetch]: options.fetch } : {}),
  });
  const tolerance = Math.min(options.clockToleranceSeconds ?? 30, 30);
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: tolerance,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      throw mapError(err);
    }
    if (typeof payload.tsid !== 'string' || payload.tsid === '') throw new ClientJwtError('no_tsid', 'token has no session');
    return payload as ClientClaims;
  };
}

function mapError(err: unknown): ClientJwtError {
  if (err instanceof joseErrors.JWTExpired) return new ClientJwtError('expired', 'token is expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) return new ClientJwtError(`claim_${err.claim}`, `token ${err.claim} is invalid`);
  if (err instanceof joseErrors.JWKSNoMatchingKey) return new ClientJwtError('unknown_kid', 'token key is unknown');
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new ClientJwtError('bad_signature', 'token signature is invalid');
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid || !(err instanceof joseErrors.JOSEError)) {
    // The auth server's JWKS could not be fetched: not the client's fault (→ 503).
    return new ClientJwtError('jwks_unavailable', 'token keys are unavailable');
  }
  return new ClientJwtError('malformed', 'token is invalid');
}
