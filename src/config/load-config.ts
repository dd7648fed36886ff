import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Ajv, type ErrorObject } from 'ajv';
import { CONFIG_SCHEMA } from './schema.ts';
import { DEFAULTS, LIFESPAN_BOUNDS_SECONDS } from './defaults.ts';
import { parseDurationMs } from './duration.ts';
import { ConfigError } from './errors.ts';
import type { AuthServerConfig, EncryptionKeys, SigningAlgorithm, UpstreamConfig } from './types.ts';

const ajv = new Ajv({ allErrors: false, strict: true });
const validateSchema = ajv.compile(CONFIG_SCHEMA);

/** Raw shape of config.json after schema validation (snake_case). */
interface RawConfig {
  issuer: string;
  public_listen_addr?: string;
  internal_listen_addr?: string;
  public_tls?: boolean;
  tls?: { cert_file: string; key_file: string; client_ca_file?: string; min_version?: '1.2' | '1.3'; reload_interval?: string };
  signing_keys: Array<{ file: string; algorithm: SigningAlgorithm }>;
  token_lifespans?: { access_token?: string; refresh_token?: string; auth_code?: string };
  upstreams: Array<{
    name: string;
    type: 'oidc';
    issuer_url: string;
    client_id: string;
    client_secret_file?: string;
    redirect_uri?: string;
    scopes?: string[];
  }>;
  upstream_timeout?: string;
  allowed_subjects?: {
    trust_domain: string;
    allowed_namespaces?: string[];
    allowed_names?: string[];
    allowed_servers?: Array<{ namespace: string; name: string }>;
  };
  resource_map_file: string;
  resource_map_poll_interval?: string;
  scopes_supported?: string[];
  storage?: {
    type: 'memory' | 'redis';
    redis?: {
      address: string;
      username_file?: string;
      password_file?: string;
      tls?: boolean;
      ca_file?: string;
      key_prefix?: string;
      command_timeout?: string;
    };
    encryption_keys?: Array<{ id: string; file: string }>;
  };
  dcr?: { rate_per_second?: number; burst?: number; allow_confidential?: boolean; max_clients?: number };
  authorize?: { rate_per_second?: number; burst?: number };
  client_id_metadata_documents?: {
    enabled?: boolean;
    allow_private_addresses?: boolean;
    fetch_timeout?: string;
    max_bytes?: number;
    cache_ttl?: string;
  };
  log_level?: AuthServerConfig['logLevel'];
}

export interface LoadConfigOptions {
  /** Receives one-time warnings for settings unsafe in production (mustChange). Default: stderr. */
  onWarning?: (message: string) => void;
}

const warned = new Set<string>();
function defaultWarning(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`mcp-authserver: warning: ${message}`);
}

/**
 * Reads, validates and resolves the auth server's config.json (spec §4.1). Fails fast with a
 * ConfigError whose message is one line naming the file and the field.
 *
 * @example
 * const config = loadConfig('/etc/toolhive/authserver/config.json');
 * config.tokenLifespans.accessTokenSeconds // 3600 unless configured
 */
export function loadConfig(file: string, options: LoadConfigOptions = {}): AuthServerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('file_unreadable', `config ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('invalid_json', `config ${file}: not valid JSON: ${(err as Error).message}`);
  }
  return resolveConfig(raw, { ...options, label: `config ${file}` });
}

/**
 * Validates and resolves an already parsed config.json object (same rules as loadConfig).
 *
 * @example
 * resolveConfig({ issuer: 'http://127.0.0.1:8080', signing_keys: [...], upstreams: [...], resource_map_file: 'map.json' })
 */
export function resolveConfig(raw: unknown, options: LoadConfigOptions & { label?: string } = {}): AuthServerConfig {
  const label = options.label ?? 'config';
  const warn = options.onWarning ?? defaultWarning;
  const fail = (field: string, message: string): never => {
    throw new ConfigError('invalid_config', `${label}: ${field}: ${message}`);
  };
  if (!validateSchema(raw)) {
    const error = validateSchema.errors?.[0] as ErrorObject;
    fail(fieldOf(error), describeAjvError(error));
  }
  const c = raw as RawConfig;

  const issuer = new URL(c.issuer);
  if (issuer.protocol === 'http:') {
    if (!isLoopbackHost(issuer.hostname)) fail('issuer', 'must use https (http is allowed only on a loopback host)');
    warn(`issuer ${c.issuer} uses plain http: for local development only`);
  }

  const duration = (field: string, value: string): number => {
    const ms = parseDurationMs(value);
    if (ms === null) return fail(field, `"${value}" is not a Go duration such as 30s, 10m or 1h`);
    return ms;
  };
  const lifespan = (key: keyof typeof LIFESPAN_BOUNDS_SECONDS): number => {
    const text = c.token_lifespans?.[key] ?? DEFAULTS[key];
    const seconds = Math.floor(duration(`token_lifespans.${key}`, text) / 1000);
    const [min, max] = LIFESPAN_BOUNDS_SECONDS[key];
    if (seconds < min || seconds > max) fail(`token_lifespans.${key}`, `must be between ${min}s and ${max}s, got ${text}`);
    return seconds;
  };

  const signingKeys = c.signing_keys.map((k, i) => ({
    source: k.file,
    pem: readSecret(`signing_keys[${i}].file`, k.file, label),
    algorithm: k.algorithm,
  }));

  const callback = `${c.issuer}/oauth/callback`;
  const seen = new Set<string>();
  const upstreams: UpstreamConfig[] = c.upstreams.map((u, i) => {
    const field = `upstreams[${i}]`;
    if (seen.has(u.name)) fail(`${field}.name`, `"${u.name}" is used twice; upstream names must be unique`);
    seen.add(u.name);
    const upstreamIssuer = new URL(u.issuer_url);
    if (upstreamIssuer.protocol === 'http:') {
      if (!isLoopbackHost(upstreamIssuer.hostname)) fail(`${field}.issuer_url`, 'must use https (http is allowed only on a loopback host)');
      warn(`upstream ${u.name} issuer ${u.issuer_url} uses plain http: for local development only`);
    }
    if (u.redirect_uri !== undefined && u.redirect_uri !== callback) {
      fail(`${field}.redirect_uri`, `must be ${callback} (the auth server's callback), got ${u.redirect_uri}`);
    }
    const scopes = u.scopes ?? [...DEFAULTS.upstream_scopes];
    if (!scopes.includes('openid')) fail(`${field}.scopes`, 'must contain "openid"');
    return {
      name: u.name,
      type: u.type,
      issuerUrl: u.issuer_url,
      clientId: u.client_id,
      ...(u.client_secret_file ? { clientSecret: readSecret(`${field}.client_secret_file`, u.client_secret_file, label).trim() } : {}),
      redirectUri: callback,
      scopes,
    };
  });

  const storageType = c.storage?.type ?? DEFAULTS.storage_type;
  let storage: AuthServerConfig['storage'] = { type: 'memory' };
  if (storageType === 'redis') {
    const r = c.storage?.redis ?? fail('storage.redis', 'is required when storage.type is redis');
    const commandTimeoutMs = duration('storage.redis.command_timeout', r.command_timeout ?? DEFAULTS.redis_command_timeout);
    if (commandTimeoutMs <= 0 || commandTimeoutMs > 250) fail('storage.redis.command_timeout', 'must be between 1ms and 250ms');
    const username = r.username_file ? readSecret('storage.redis.username_file', r.username_file, label).trim() : '';
    const password = r.password_file ? readSecret('storage.redis.password_file', r.password_file, label).trim() : '';
    const auth = password ? `${encodeURIComponent(username)}:${encodeURIComponent(password)}@` : '';
    if (!r.tls) warn('storage.redis.tls is off: upstream tokens are encrypted, but Redis traffic is not');
    storage = {
      type: 'redis',
      redis: {
        url: `${r.tls ? 'rediss' : 'redis'}://${auth}${r.address}`,
        keyPrefix: r.key_prefix ?? DEFAULTS.redis_key_prefix,
        commandTimeoutMs,
        tls: r.tls ?? false,
        ...(r.ca_file ? { caPem: readSecret('storage.redis.ca_file', r.ca_file, label) } : {}),
      },
    };
    if (!c.storage?.encryption_keys) fail('storage.encryption_keys', 'is required with redis storage (replicas must share the key)');
  } else if (c.storage?.redis) {
    fail('storage.redis', 'is only allowed when storage.type is redis');
  }

  let encryptionKeys: EncryptionKeys | undefined;
  if (c.storage?.encryption_keys) {
    const keys: Record<string, Buffer> = {};
    c.storage.encryption_keys.forEach((k, i) => {
      const field = `storage.encryption_keys[${i}]`;
      if (keys[k.id]) fail(`${field}.id`, `"${k.id}" is used twice`);
      keys[k.id] = readEncryptionKey(`${field}.file`, k.file, label);
    });
    encryptionKeys = { activeKeyId: c.storage.encryption_keys[0]!.id, keys };
  } else {
    warn('storage.encryption_keys not set: a random key is generated per process (upstream tokens are lost on restart)');
  }

  const tls = c.tls
    ? {
        certFile: c.tls.cert_file,
        keyFile: c.tls.key_file,
        ...(c.tls.client_ca_file ? { clientCaFile: c.tls.client_ca_file } : {}),
        minVersion: (c.tls.min_version ?? DEFAULTS.tls_min_version) === '1.3' ? ('TLSv1.3' as const) : ('TLSv1.2' as const),
        reloadIntervalMs: duration('tls.reload_interval', c.tls.reload_interval ?? DEFAULTS.tls_reload_interval),
      }
    : undefined;
  const publicTls = tls ? (c.public_tls ?? DEFAULTS.public_tls) : false;
  if (!publicTls && issuer.protocol === 'https:') {
    warn('the public listener serves plain HTTP: only behind a TLS-terminating ingress');
  }

  const cimd = c.client_id_metadata_documents ?? {};
  if (cimd.allow_private_addresses) warn('client_id_metadata_documents.allow_private_addresses is on: SSRF guard disabled');
  const dcr = c.dcr ?? {};
  return {
    issuer: c.issuer,
    publicListenAddr: c.public_listen_addr ?? DEFAULTS.public_listen_addr,
    internalListenAddr: c.internal_listen_addr ?? DEFAULTS.internal_listen_addr,
    publicTls,
    ...(tls ? { tls } : {}),
    signingKeys,
    tokenLifespans: {
      accessTokenSeconds: lifespan('access_token'),
      refreshTokenSeconds: lifespan('refresh_token'),
      authCodeSeconds: lifespan('auth_code'),
    },
    upstreams,
    upstreamTimeoutMs: duration('upstream_timeout', c.upstream_timeout ?? DEFAULTS.upstream_timeout),
    ...(c.allowed_subjects
      ? {
          allowedSubjects: {
            trustDomain: c.allowed_subjects.trust_domain,
            allowedNamespaces: c.allowed_subjects.allowed_namespaces ?? [],
            allowedNames: c.allowed_subjects.allowed_names ?? [],
            allowedServers: c.allowed_subjects.allowed_servers ?? [],
          },
        }
      : {}),
    resourceMapFile: c.resource_map_file,
    resourceMapPollIntervalMs: duration('resource_map_poll_interval', c.resource_map_poll_interval ?? DEFAULTS.resource_map_poll_interval),
    scopesSupported: c.scopes_supported ?? [],
    storage,
    ...(encryptionKeys ? { encryptionKeys } : {}),
    dcr: {
      ratePerSecond: dcr.rate_per_second ?? DEFAULTS.dcr_rate_per_second,
      burst: dcr.burst ?? DEFAULTS.dcr_burst,
      allowConfidential: dcr.allow_confidential ?? DEFAULTS.dcr_allow_confidential,
      maxClients: dcr.max_clients ?? DEFAULTS.dcr_max_clients,
    },
    authorize: {
      ratePerSecond: c.authorize?.rate_per_second ?? DEFAULTS.authorize_rate_per_second,
      burst: c.authorize?.burst ?? DEFAULTS.authorize_burst,
    },
    clientIdMetadataDocuments: {
      enabled: cimd.enabled ?? DEFAULTS.cimd_enabled,
      allowPrivateAddresses: cimd.allow_private_addresses ?? DEFAULTS.cimd_allow_private_addresses,
      fetchTimeoutMs: duration('client_id_metadata_documents.fetch_timeout', cimd.fetch_timeout ?? DEFAULTS.cimd_fetch_timeout),
      maxBytes: cimd.max_bytes ?? DEFAULTS.cimd_max_bytes,
      cacheTtlMs: duration('client_id_metadata_documents.cache_ttl', cimd.cache_ttl ?? DEFAULTS.cimd_cache_ttl),
    },
    logLevel: c.log_level ?? DEFAULTS.log_level,
  };
}

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts where plain http is tolerated. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function readSecret(field: string, file: string, label: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('secret_unreadable', `${label}: ${field}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** A 32-byte AES key, either raw or base64/hex text (what `kubectl create secret` users write). */
function readEncryptionKey(field: string, file: string, label: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError('secret_unreadable', `${label}: ${field}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (bytes.length === 32) return bytes;
  const text = bytes.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const decoded = Buffer.from(text, 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(text)) return decoded;
  throw new ConfigError('invalid_config', `${label}: ${field}: ${file} must hold a 32-byte key (raw, 64 hex chars or base64)`);
}

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^[0-9]+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return path ? `${path}.${missing}` : missing;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return path ? `${path}.${extra}` : extra;
  }
  return path || '(root)';
}

function describeAjvError(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
    case 'pattern':
      return `has an invalid format (${error.message ?? 'pattern mismatch'})`;
    default:
      return error.message ?? 'is invalid';
  }
}
