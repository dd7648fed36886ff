/**
 * The tests' upstream OpenID provider: the local stack's IdP (src/dev/upstream-idp.ts, the one
 * oidc-provider configuration) with one static confidential client and a random secret. Log in
 * through its forms with `completeLogin` (src/dev/headless-login.ts); the username typed there is
 * the upstream subject.
 */
import { randomBytes } from 'node:crypto';
import { startUpstreamIdp as startIdp, type UpstreamIdp } from '../../src/dev/upstream-idp.ts';

export interface StartUpstreamIdpOptions {
  clientId?: string;
  clientSecret?: string;
  /** Redirect URIs of the static client (our /oauth/callback). */
  redirectUris?: string[];
  accessTokenTtlSeconds?: number;
  /** Fixed port; default a free one. */
  port?: number;
}

export interface TestUpstreamIdp extends UpstreamIdp {
  clientId: string;
  clientSecret: string;
  /** Requests served by the token endpoint (code exchanges and refreshes). */
  tokenRequests(): number;
}

/**
 * @example
 * const idp = await startUpstreamIdp({ redirectUris: ['http://127.0.0.1:4000/oauth/callback'] });
 * // upstream config: { issuerUrl: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret }
 * await idp.stop();
 */
export async function startUpstreamIdp(options: StartUpstreamIdpOptions = {}): Promise<TestUpstreamIdp> {
  const clientId = options.clientId ?? 'mcp-authserver';
  const clientSecret = options.clientSecret ?? randomBytes(16).toString('hex');
  const idp = await startIdp({
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.accessTokenTtlSeconds !== undefined ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {}),
    clients: [{ clientId, clientSecret, redirectUris: options.redirectUris ?? ['http://127.0.0.1/oauth/callback'] }],
  });
  return { ...idp, clientId, clientSecret, tokenRequests: () => idp.requestsByPath()['/token'] ?? 0 };
}
