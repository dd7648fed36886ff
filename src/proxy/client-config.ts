import { Ajv } from 'ajv';
// The function's own module, not the API index: the proxy need not load every CRD schema (issue 7).
import { parseGoDuration } from '../api/v1alpha1/parse-go-duration.ts';

/** `TOOLHIVE_AUTHSERVER_CONFIG` (spec §4.3), resolved: camelCase, units in names. */
export interface ExchangeClientConfig {
  url: string;
  clientCertPath: string;
  clientKeyPath: string;
  caBundlePath: string;
  upstreamIdp?: string;
  cacheDefaultTtlMs: number;
  cacheMaxEntries: number;
}

export const CLIENT_CONFIG_ENV = 'TOOLHIVE_AUTHSERVER_CONFIG';

const schema = {
  type: 'object',
  required: ['url', 'client_cert_path', 'client_key_path', 'ca_bundle_path'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', minLength: 1, pattern: '^https://' },
    client_cert_path: { type: 'string', minLength: 1 },
    client_key_path: { type: 'string', minLength: 1 },
    ca_bundle_path: { type: 'string', minLength: 1 },
    upstream_idp: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$', maxLength: 63 },
    cache_default_ttl: { type: 'string', minLength: 1 },
    cache_max_entries: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

/** Proxy cache TTL cap (spec §7 item 7): a revocation reaches every proxy within 5 minutes. */
export const MAX_CACHE_TTL_MS = 5 * 60_000;

/**
 * Parses and validates the JSON of `TOOLHIVE_AUTHSERVER_CONFIG`; every problem is reported at
 * once, naming the field and the rule (e.g. `TOOLHIVE_AUTHSERVER_CONFIG.url must match "^https://"`).
 *
 * @example
 * parseClientConfig('{"url":"https://a-internal.ns.svc","client_cert_path":"/c/tls.crt","client_key_path":"/c/tls.key","ca_bundle_path":"/ca/ca.crt"}')
 * // → { url: 'https://a-internal.ns.svc', ..., cacheDefaultTtlMs: 300000, cacheMaxEntries: 10000 }
 */
export function parseClientConfig(text: string): ExchangeClientConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${CLIENT_CONFIG_ENV} is not valid JSON`);
  }
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => {
      const field = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '';
      const extra = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
      return `${CLIENT_CONFIG_ENV}${field ? `.${field}` : ''} ${e.message ?? 'is invalid'}${extra}`;
    });
    throw new Error(problems.join('; '));
  }
  const cfg = raw as {
    url: string;
    client_cert_path: string;
    client_key_path: string;
    ca_bundle_path: string;
    upstream_idp?: string;
    cache_default_ttl?: string;
    cache_max_entries?: number;
  };
  let url: URL;
  try {
    url = new URL(cfg.url);
  } catch {
    throw new Error(`${CLIENT_CONFIG_ENV}.url is not a valid URL`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new Error(`${CLIENT_CONFIG_ENV}.url must not carry userinfo, query or fragment`);
  }
  let ttlMs = MAX_CACHE_TTL_MS;
  if (cfg.cache_default_ttl !== undefined) {
    const parsed = parseGoDuration(cfg.cache_default_ttl);
    if (parsed === null || parsed <= 0) {
      throw new Error(`${CLIENT_CONFIG_ENV}.cache_default_ttl must be a positive Go duration such as "5m"`);
    }
    ttlMs = Math.min(parsed, MAX_CACHE_TTL_MS);
  }
  return {
    url: cfg.url.replace(/\/+$/, ''),
    clientCertPath: cfg.client_cert_path,
    clientKeyPath: cfg.client_key_path,
    caBundlePath: cfg.ca_bundle_path,
    ...(cfg.upstream_idp ? { upstreamIdp: cfg.upstream_idp } : {}),
    cacheDefaultTtlMs: ttlMs,
    cacheMaxEntries: cfg.cache_max_entries ?? 10_000,
  };
}
