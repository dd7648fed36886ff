import * as oidc from 'openid-client';
import type { UpstreamConfig } from '../../config/index.ts';
import { isLoopbackHost } from '../../config/index.ts';

export type UpstreamProblem = 'unreachable' | 'exchange_failed' | 'identity_invalid' | 'invalid_grant' | 'refresh_failed';

/** Upstream failure with a stable code; `message` is safe to show (no tokens). */
export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamProblem,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface UpstreamTokenSet {
  accessToken: string;
  refreshToken: string;
  /** 0 when the IdP sent no expires_in (treated as non-expiring, spec §5.2). */
  expiresAtMs: number;
  subject: string;
}

export interface UpstreamIdp {
  readonly name: string;
  readonly config: UpstreamConfig;
  /** Discovery (single-flight, cached after the first success). */
  discover(): Promise<oidc.Configuration>;
  discovered(): boolean;
  authorizationUrl(params: { state: string; nonce: string; codeChallenge: string }): Promise<URL>;
  /** Code exchange with PKCE + ID token validation (signature via JWKS, iss, aud, exp, nonce). */
  exchangeCode(callbackUrl: URL, checks: { state: string; codeVerifier: string; nonce: string }): Promise<UpstreamTokenSet>;
  /** grant_type=refresh_token at the upstream (spec §5.5); `invalid_grant` is reported as such. */
  refresh(refreshToken: string): Promise<Omit<UpstreamTokenSet, 'subject'> & { subject?: string }>;
}

export interface UpstreamIdpOptions {
  timeoutMs: number;
  now?: () => number;
}

/**
 * An upstream OpenID provider reached with openid-client v6. Plain http is allowed only for a
 * loopback issuer (local stack, tests); every call is bounded by `timeoutMs` (default 10 s).
 *
 * @example
 * const idp = createUpstreamIdp(config.upstreams[0], { timeoutMs: 10_000 });
 * const url = await idp.authorizationUrl({ state, nonce, codeChallenge });
 */
export function createUpstreamIdp(config: UpstreamConfig, options: UpstreamIdpOptions): UpstreamIdp {
  const issuer = new URL(config.issuerUrl);
  const insecure = issuer.protocol === 'http:';
  if (insecure && !isLoopbackHost(issuer.hostname)) {
    throw new Error(`upstream ${config.name}: http issuer allowed only on a loopback host`);
  }
  const timeoutSeconds = options.timeoutMs / 1000;
  let configuration: oidc.Configuration | null = null;
  let inFlight: Promise<oidc.Configuration> | null = null;

  const discover = async (): Promise<oidc.Configuration> => {
    if (configuration) return configuration;
    inFlight ??= (async () => {
      try {
        const auth = config.clientSecret ? oidc.ClientSecretPost(config.clientSecret) : oidc.None();
        const c = await oidc.discovery(issuer, config.clientId, { redirect_uris: [config.redirectUri] }, auth, {
          timeout: timeoutSeconds,
          ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        });
        c.timeout = timeoutSeconds;
        // ID tokens from the token endpoint get their signature checked too (spec §2.5 step 5).
        oidc.enableNonRepudiationChecks(c);
        configuration = c;
        return c;
      } catch (err) {
        throw new UpstreamError('unreachable', `upstream identity provider "${config.name}" is unreachable`, describe(err));
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };

  return {
    name: config.name,
    config,
    discover,
    discovered: () => configuration !== null,
    async authorizationUrl({ state, nonce, codeChallenge }) {
      const c = await discover();
      return oidc.buildAuthorizationUrl(c, {
        response_type: 'code',
        redirect_uri: config.redirectUri,
        scope: config.scopes.join(' '),
        state,
        nonce,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      });
    },
    async exchangeCode(callbackUrl, checks) {
      const c = await discover();
      let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
      try {
        tokens = await oidc.authorizationCodeGrant(c, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedNonce: checks.nonce,
          expectedState: checks.state,
          idTokenExpected: true,
        });
      } catch (err) {
        if (isIdTokenProblem(err)) throw new UpstreamError('identity_invalid', 'failed to verify user identity', describe(err));
        throw new UpstreamError('exchange_failed', `code exchange with upstream "${config.name}" failed`, describe(err));
      }
      const claims = tokens.claims();
      if (!claims?.sub || !tokens.id_token) throw new UpstreamError('identity_invalid', 'failed to verify user identity', 'no ID token');
      return {
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token ?? '',
        expiresAtMs: expiresAt(tokens.expires_in, options.now),
        subject: claims.sub,
      };
    },
    async refresh(refreshToken) {
      const c = await discover();
      try {
        const tokens = await oidc.refreshTokenGrant(c, refreshToken);
        const sub = tokens.claims()?.sub;
        return {
          accessToken: tokens.access_token,
          refreshToken: tokens.refresh_token ?? '',
          expiresAtMs: expiresAt(tokens.expires_in, options.now),
          ...(sub ? { subject: sub } : {}),
        };
      } catch (err) {
        if (err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant') {
          throw new UpstreamError('invalid_grant', `upstream "${config.name}" rejected the refresh token`, describe(err));
        }
        throw new UpstreamError('refresh_failed', `refresh with upstream "${config.name}" failed`, describe(err));
      }
    },
  };
}

function expiresAt(expiresIn: number | undefined, now: (() => number) | undefined): number {
  if (typeof expiresIn !== 'number' || expiresIn <= 0) return 0;
  return (now ? now() : Date.now()) + expiresIn * 1000;
}

/**
 * After the upstream token endpoint answered, what remains to fail is the ID token (signature,
 * iss, aud, exp, nonce). Transport problems and the IdP's own error responses are not identity
 * problems.
 */
function isIdTokenProblem(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof oidc.ResponseBodyError || e instanceof oidc.WWWAuthenticateChallengeError) return false;
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || e instanceof TypeError) return false;
    const code = (e as { code?: string }).code ?? '';
    if (['OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_HTTP_REQUEST_FORBIDDEN'].includes(code)) return false;
    if (/^E[A-Z]+$/.test(code) || code.startsWith('UND_ERR')) return false;
  }
  return err instanceof Error;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: string }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${code ? `${code} ` : ''}${err.message}${cause}`;
}
