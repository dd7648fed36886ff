/**
 * Public side of the auth server (spec §2.0–§2.9): the OAuth app, plus what the internal
 * token exchange (src/exchange) needs: signing keys, resource map, upstream IdPs, audit logger.
 */
export { createAuthServer, type AuthServer, type CreateAuthServerOptions } from './create-auth-server.ts';
export type { AuthServerContext, UpstreamSet } from './context.ts';
export { loadSigningKeys, KeyLoadError, type SigningKey, type SigningKeySet } from './keys/signing-key-set.ts';
export { signAccessToken, verifyAccessToken, AccessTokenError, type AccessTokenClaims } from './keys/access-token.ts';
export { watchResourceMap, parseResourceMap, type ResourceMap, type ResourceEntry } from './resource-map/resource-map.ts';
export { createUpstreamIdp, UpstreamError, type UpstreamIdp, type UpstreamTokenSet } from './upstream/upstream-idp.ts';
export * from './errors.ts';
export { loadConfig, resolveConfig, type AuthServerConfig } from '../config/index.ts';
