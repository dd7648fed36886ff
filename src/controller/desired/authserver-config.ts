/**
 * The auth server's runtime configuration (`config.json`, spec §4.1) and the ConfigMap
 * `{name}-config` that carries it. Key order follows the spec's example so the file reads the
 * same as the documentation; the serialisation is deterministic.
 */
import type { KubeObject, MCPAuthServer } from '../lib/crd-types.ts';
import { effectiveAuthServer, scopesOf } from '../lib/effective.ts';
import {
  AUTHSERVER_CONFIG_DIR,
  authServerLabels,
  CLIENT_CA_DIR,
  names,
  RESOURCE_MAP_DIR,
  SERVER_TLS_DIR,
} from '../lib/names.ts';
import { controllerRef } from './owner.ts';

/** Files inside the projected `config` volume mounted at {@link AUTHSERVER_CONFIG_DIR}. */
export const configPaths = {
  configJson: 'config.json',
  signingKey: (i: number) => `keys/key-${i}.pem`,
  upstreamClientSecret: (idp: string) => `upstreams/${idp}/client-secret`,
  redisUsername: 'storage/redis-username',
  redisPassword: 'storage/redis-password',
  redisCa: 'storage/redis-ca.crt',
  encryptionKey: 'storage/encryption-key',
} as const;

const abs = (rel: string) => `${AUTHSERVER_CONFIG_DIR}/${rel}`;

/**
 * Renders the auth server's `config.json` object for an MCPAuthServer.
 *
 * @example
 * authServerConfig(as).issuer // 'https://auth.mcp.example.com'
 */
export function authServerConfig(as: MCPAuthServer, encryptionKey: { id: string } = { id: defaultEncryptionKeyId(as) }): Record<string, unknown> {
  const eff = effectiveAuthServer(as);
  const redis = as.spec.storage?.redis;
  const storage: Record<string, unknown> = { type: eff.storageType };
  if (eff.storageType === 'redis' && redis) {
    const caBundle = typeof redis.tls === 'object' ? redis.tls.caBundle : redis.caBundle;
    storage.redis = {
      ...(redis.address !== undefined ? { address: redis.address } : {}),
      ...(redis.usernameSecretRef ? { username_file: abs(configPaths.redisUsername) } : {}),
      ...(redis.passwordSecretRef ? { password_file: abs(configPaths.redisPassword) } : {}),
      tls: typeof redis.tls === 'object' ? (redis.tls.enabled ?? true) : (redis.tls ?? false),
      ...(caBundle ? { ca_file: abs(configPaths.redisCa) } : {}),
      // Spec §5.4: one hash-tagged prefix per MCPAuthServer, so Lua scripts stay on one cluster slot.
      key_prefix: `thv:auth:{${as.metadata.namespace}:${as.metadata.name}}:`,
    };
  }
  storage.encryption_keys = [{ id: encryptionKey.id, file: abs(configPaths.encryptionKey) }];
  return {
    schema_version: 'v1',
    issuer: eff.issuer,
    public_listen_addr: `:${eff.port}`,
    internal_listen_addr: `:${eff.internalPort}`,
    public_tls: true,
    tls: {
      cert_file: `${SERVER_TLS_DIR}/tls.crt`,
      key_file: `${SERVER_TLS_DIR}/tls.key`,
      client_ca_file: `${CLIENT_CA_DIR}/ca.crt`,
      min_version: '1.2',
    },
    signing_keys: as.spec.signingKeys.map((k, i) => ({ file: abs(configPaths.signingKey(i)), algorithm: k.algorithm })),
    token_lifespans: {
      access_token: eff.accessTokenLifespan,
      refresh_token: eff.refreshTokenLifespan,
      auth_code: eff.authCodeLifespan,
    },
    upstreams: as.spec.upstreamIdps.map((idp) => ({
      name: idp.name,
      type: idp.type,
      issuer_url: idp.oidc?.issuer,
      client_id: idp.oidc?.clientId,
      client_secret_file: abs(configPaths.upstreamClientSecret(idp.name)),
      redirect_uri: `${eff.issuer}/oauth/callback`,
      scopes: scopesOf(idp.oidc?.scopes),
    })),
    allowed_subjects: {
      trust_domain: eff.trustDomain,
      allowed_namespaces: [...eff.allowedNamespaces],
      allowed_names: [...eff.allowedNames],
      allowed_servers: eff.allowedServers.map((s) => ({ namespace: s.namespace, name: s.name })),
    },
    resource_map_file: `${RESOURCE_MAP_DIR}/resources.json`,
    storage,
    dcr: { rate_per_second: 1, burst: 5, allow_confidential: false },
  };
}

/**
 * Id of the upstream-token encryption key: the Secret's name, so records written under one key
 * stay attributable when the Secret is replaced.
 *
 * @example
 * defaultEncryptionKeyId(as) // 'mcp-auth-encryption-key'
 */
export function defaultEncryptionKeyId(as: MCPAuthServer): string {
  return (as.spec.storage?.encryptionKeySecretRef?.name ?? names.encryptionKeySecret(as.metadata.name)).slice(0, 64);
}

/** The exact bytes of `config.json` (2-space JSON, trailing newline). */
export function renderAuthServerConfig(as: MCPAuthServer): string {
  return `${JSON.stringify(authServerConfig(as), null, 2)}\n`;
}

/**
 * ConfigMap `{name}-config` with key `config.json`.
 *
 * @example
 * authServerConfigMap(as).data['config.json'] // '{\n  "schema_version": "v1", ...'
 */
export function authServerConfigMap(as: MCPAuthServer): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: names.configConfigMap(as.metadata.name),
      namespace: as.metadata.namespace!,
      labels: authServerLabels(as.metadata.name),
      ownerReferences: [controllerRef(as)],
    },
    data: { 'config.json': renderAuthServerConfig(as) },
  };
}
