import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface AuthServerMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  httpDurationSeconds: Histogram<'route'>;
  tokensIssued: Counter<'grant_type'>;
  replaysDetected: Counter<'kind'>;
  storeFailures: Counter<'operation'>;
}

/**
 * A prom-client registry per server instance (tests run several in one process).
 *
 * @example
 * const metrics = createMetrics({ defaultMetrics: true });
 * metrics.tokensIssued.inc({ grant_type: 'refresh_token' });
 * await metrics.registry.metrics(); // Prometheus text
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): AuthServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'mcp_authserver_http_requests_total',
      help: 'HTTP requests on the public listener by route and status',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    httpDurationSeconds: new Histogram({
      name: 'mcp_authserver_http_request_duration_seconds',
      help: 'Public listener request latency',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    tokensIssued: new Counter({
      name: 'mcp_authserver_tokens_issued_total',
      help: 'Access tokens issued by grant type',
      labelNames: ['grant_type'],
      registers: [registry],
    }),
    replaysDetected: new Counter({
      name: 'mcp_authserver_replays_detected_total',
      help: 'Refresh-token or authorization-code replays (family revoked)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    storeFailures: new Counter({
      name: 'mcp_authserver_store_failures_total',
      help: 'Storage operations that failed (mapped to 503)',
      labelNames: ['operation'],
      registers: [registry],
    }),
  };
}
