import type { AuthServerConfig } from '../config/index.ts';
import type { AuditLogger, AuthServerMetrics, Logger } from '../telemetry/index.ts';
import type { AuthStore, Client } from '../store/index.ts';
import type { SigningKeySet } from './keys/signing-key-set.ts';
import type { ResourceMap } from './resource-map/resource-map.ts';
import type { UpstreamIdp } from './upstream/upstream-idp.ts';

/** The upstream IdPs in configured order (spec §2.5 step 8 chains them in this order). */
export interface UpstreamSet {
  list(): readonly UpstreamIdp[];
  get(name: string): UpstreamIdp | undefined;
  /** The first configured IdP: default `audience` of the token exchange. */
  default(): UpstreamIdp;
}

/** Everything a route needs; built once by createAuthServer. */
export interface AuthServerContext {
  config: AuthServerConfig;
  store: AuthStore;
  keys: SigningKeySet;
  resourceMap: ResourceMap;
  upstreams: UpstreamSet;
  audit: AuditLogger;
  logger: Logger;
  metrics: AuthServerMetrics;
  /** Epoch milliseconds; injected for tests. */
  now: () => number;
  /** A registered (DCR) client, or a Client ID Metadata Document client; null when unknown. */
  resolveClient(clientId: string): Promise<Client | null>;
}
