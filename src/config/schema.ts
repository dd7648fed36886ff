/**
 * JSON Schema of the auth server's `config.json` (spec §4.1), snake_case as written on disk.
 * Compiled once by ajv in load-config.ts. Defaults are NOT in the schema: they sit in one
 * commented table (defaults.ts) so they are visible in one place.
 */
import { GO_DURATION_PATTERN } from './duration.ts';

const duration = { type: 'string', pattern: GO_DURATION_PATTERN } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;
const dnsLabel = { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$', maxLength: 63 } as const;
const listenAddr = { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^\\s:\\[\\]]*):[0-9]{1,5}$' } as const;

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['issuer', 'signing_keys', 'upstreams', 'resource_map_file'],
  properties: {
    schema_version: { const: 'v1' },
    issuer: { type: 'string', pattern: '^https?://[^\\s?#]+[^/\\s?#]$' },
    public_listen_addr: listenAddr,
    internal_listen_addr: listenAddr,
    public_tls: { type: 'boolean' },
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['cert_file', 'key_file'],
      properties: {
        cert_file: nonEmpty,
        key_file: nonEmpty,
        client_ca_file: nonEmpty,
        min_version: { enum: ['1.2', '1.3'] },
        reload_interval: duration,
      },
    },
    signing_keys: {
      type: 'array',
      minItems: 1,
      maxItems: 5,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['file', 'algorithm'],
        properties: {
          file: nonEmpty,
          algorithm: { enum: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] },
        },
      },
    },
    token_lifespans: {
      type: 'object',
      additionalProperties: false,
      properties: { access_token: duration, refresh_token: duration, auth_code: duration },
    },
    upstreams: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'type', 'issuer_url', 'client_id'],
        properties: {
          name: dnsLabel,
          type: { const: 'oidc' },
          issuer_url: { type: 'string', pattern: '^https?://[^\\s?#]+$' },
          client_id: nonEmpty,
          client_secret_file: nonEmpty,
          redirect_uri: { type: 'string', pattern: '^https?://[^\\s#]+$' },
          scopes: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' } },
        },
      },
    },
    upstream_timeout: duration,
    allowed_subjects: {
      type: 'object',
      additionalProperties: false,
      required: ['trust_domain'],
      properties: {
        trust_domain: { type: 'string', pattern: '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$', maxLength: 255 },
        allowed_namespaces: { type: 'array', items: dnsLabel },
        allowed_names: { type: 'array', items: dnsLabel },
        allowed_servers: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['namespace', 'name'],
            properties: { namespace: dnsLabel, name: dnsLabel },
          },
        },
      },
    },
    resource_map_file: nonEmpty,
    resource_map_poll_interval: duration,
    scopes_supported: { type: 'array', items: nonEmpty },
    storage: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { enum: ['memory', 'redis'] },
        redis: {
          type: 'object',
          additionalProperties: false,
          required: ['address'],
          properties: {
            address: { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^\\s:/\\[\\]]+):[0-9]{1,5}$' },
            username_file: nonEmpty,
            password_file: nonEmpty,
            tls: { type: 'boolean' },
            ca_file: nonEmpty,
            key_prefix: { type: 'string', pattern: '^[^{}]*\\{[^{}]+\\}[^{}]*:$' },
            command_timeout: duration,
          },
        },
        encryption_keys: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'file'],
            properties: { id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' }, file: nonEmpty },
          },
        },
      },
    },
    dcr: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rate_per_second: { type: 'number', exclusiveMinimum: 0 },
        burst: { type: 'integer', minimum: 1 },
        allow_confidential: { type: 'boolean' },
        max_clients: { type: 'integer', minimum: 1 },
      },
    },
    authorize: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rate_per_second: { type: 'number', exclusiveMinimum: 0 },
        burst: { type: 'integer', minimum: 1 },
      },
    },
    client_id_metadata_documents: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        allow_private_addresses: { type: 'boolean' },
        fetch_timeout: duration,
        max_bytes: { type: 'integer', minimum: 256, maximum: 65536 },
        cache_ttl: duration,
      },
    },
    log_level: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
  },
} as const;
