import type { Request, RequestHandler, Response } from 'express';
import type { AuthServerContext } from '../context.ts';
import { cors, publicCache } from '../lib/http.ts';

/**
 * RFC 8414 metadata (spec §2.1); the token-exchange grant is deliberately not advertised.
 *
 * @example
 * authorizationServerMetadata(ctx).token_endpoint // 'https://auth.example.com/oauth/token'
 */
export function authorizationServerMetadata(ctx: AuthServerContext): Record<string, unknown> {
  const issuer = ctx.config.issuer;
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    registration_endpoint: `${issuer}/oauth/register`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ctx.config.dcr.allowConfidential ? ['none', 'client_secret_basic', 'client_secret_post'] : ['none'],
    revocation_endpoint_auth_methods_supported: ctx.config.dcr.allowConfidential ? ['none', 'client_secret_basic', 'client_secret_post'] : ['none'],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: ctx.config.clientIdMetadataDocuments.enabled,
    ...(ctx.config.scopesSupported.length ? { scopes_supported: ctx.config.scopesSupported } : {}),
  };
}

/** Spec §2.2: RFC 8414 fields plus the OIDC-only ones (no ID tokens are issued). */
export function openidConfiguration(ctx: AuthServerContext): Record<string, unknown> {
  const algs = ctx.keys.algorithms.length ? [...ctx.keys.algorithms] : ['RS256'];
  return { ...authorizationServerMetadata(ctx), subject_types_supported: ['public'], id_token_signing_alg_values_supported: algs };
}

function serve(build: () => Record<string, unknown>): RequestHandler {
  let body: string | null = null;
  return function sendMetadata(_req: Request, res: Response): void {
    body ??= JSON.stringify(build());
    res.type('application/json').send(body);
  };
}

/**
 * GET /.well-known/oauth-authorization-server and /.well-known/openid-configuration handlers. The
 * app mounts them at the root, under the issuer path, and in the RFC 8414 §3.1 suffix form
 * `/.well-known/<name><issuer-path>` for path-based issuers.
 */
export function discoveryRoutes(ctx: AuthServerContext): { oauthAuthorizationServer: RequestHandler[]; openidConfiguration: RequestHandler[] } {
  return {
    oauthAuthorizationServer: [cors('GET'), publicCache, serve(() => authorizationServerMetadata(ctx))],
    openidConfiguration: [cors('GET'), publicCache, serve(() => openidConfiguration(ctx))],
  };
}
