// Proxy context: the MCP server's front door (spec §0, §2.11, §4.3, §4.4).
export { parseClientConfig, CLIENT_CONFIG_ENV, MAX_CACHE_TTL_MS, type ExchangeClientConfig } from './client-config.ts';
export { ExchangeClient, ExchangeClientError, cacheTtlMs, SAFETY_BUFFER_MS, EXCHANGE_MAX_CONNECTIONS, type ExchangeClientOptions, type ExchangeFailure } from './exchange-client.ts';
export { createClientJwtVerifier, ClientJwtError, ACCEPTED_ALGORITHMS, type ClientClaims, type ClientJwtVerifierOptions } from './verify-client-jwt.ts';
export { createProxy, startProxy, type Proxy, type ProxyOptions, type TokenExchanger } from './create-proxy.ts';
export { buildMetadata, metadataLocation, type ProtectedResourceMetadata } from './protected-resource-metadata.ts';
