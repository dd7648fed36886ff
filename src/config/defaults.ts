/**
 * Every default of config.json in one table (conventions §6). Durations are Go strings here,
 * as in the file; load-config.ts converts them to the unit named by the resolved field.
 */
export const DEFAULTS = {
  /** Public OAuth listener (spec §2.0: container port 8443). */
  public_listen_addr: ':8443',
  /** Internal mTLS token-exchange listener (spec §2.0: 9443). */
  internal_listen_addr: ':9443',
  /** HTTPS on the public listener whenever a tls block exists. */
  public_tls: true,
  /** Spec §2.0: TLS 1.2 minimum. */
  tls_min_version: '1.2',
  /** cert-manager rotates files in place; spec §2.0 asks for a poll at least every 60 s. */
  tls_reload_interval: '30s',
  /** Spec §7.4 / §5.2. */
  access_token: '1h',
  refresh_token: '168h',
  auth_code: '10m',
  /** Default upstream scopes (spec §3.1). */
  upstream_scopes: ['openid', 'profile', 'email'],
  /** Spec §2.10 step 12 / conventions §13: upper bound of any upstream IdP call. */
  upstream_timeout: '10s',
  /** Hot reload of the resource map ConfigMap (kubelet updates it in place). */
  resource_map_poll_interval: '5s',
  storage_type: 'memory',
  /** Must carry a {hash tag} (Redis Cluster slot); the reconciler renders thv:auth:{<ns>:<name>}:. */
  redis_key_prefix: 'thv:auth:{default}:',
  /** Store contract: ≤ 250 ms so requests fail closed quickly when Redis hangs. */
  redis_command_timeout: '250ms',
  /** Spec §2.7: token bucket 1 req/s, burst 5. */
  dcr_rate_per_second: 1,
  dcr_burst: 5,
  dcr_allow_confidential: false,
  // Clients never expire: without a bound, registration alone could fill the store (spec §2.7).
  dcr_max_clients: 100_000,
  // Each authorize stores a pending row for 10 minutes: this bounds them (~60,000 at most).
  authorize_rate_per_second: 100,
  authorize_burst: 300,
  /** Spec §7.11 / issue 3: Client ID Metadata Documents with SSRF guards. */
  cimd_enabled: true,
  cimd_allow_private_addresses: false,
  cimd_fetch_timeout: '5s',
  cimd_max_bytes: 5120,
  cimd_cache_ttl: '10m',
  log_level: 'info',
} as const;

/** Bounds of token lifespans (spec §3.1 / §5.2), in seconds. */
export const LIFESPAN_BOUNDS_SECONDS = {
  access_token: [60, 24 * 3600],
  refresh_token: [3600, 720 * 3600],
  auth_code: [30, 600],
} as const;
