// Exchange context: the internal mTLS token-exchange listener (spec §2.10, REV a/h).
export { createExchangeApp, type CreateExchangeAppOptions, type ExchangeApp } from './create-exchange-app.ts';
export { startInternalListener, type InternalListener, type InternalListenerOptions } from './start-internal-listener.ts';
export { UpstreamRefreshCoordinator, needsRefresh, EXPIRY_BUFFER_MS, type UpstreamRefresher } from './refresh-upstream.ts';
export { identityParseCount } from './peer-identity.ts';
export type { VerificationKeys } from './lib/verify-subject-token.ts';
export type { ResourceLookup } from './token-exchange.ts';
export {
  TOKEN_EXCHANGE_PATH,
  GRANT_TYPE_TOKEN_EXCHANGE,
  TOKEN_TYPE_JWT,
  TOKEN_TYPE_ACCESS_TOKEN,
} from './token-exchange.ts';
