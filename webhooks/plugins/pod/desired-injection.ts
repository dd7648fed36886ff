import type { FieldError, KubeObject } from '../../framework/types.ts';

/** Pod label naming the MCPServer a pod belongs to (spec §4.3). */
export const MCPSERVER_LABEL = 'toolhive.stacklok.dev/mcpserver';
/** Pod annotation naming the container that gets the client material, instead of `proxy`. */
export const CLIENT_CONTAINER_ANNOTATION = 'toolhive.stacklok.dev/authserver-client-container';
export const DEFAULT_CLIENT_CONTAINER = 'proxy';
export const ENV_NAME = 'TOOLHIVE_AUTHSERVER_CONFIG';
export const CLIENT_CERT_VOLUME = 'authserver-client-cert';
export const CA_BUNDLE_VOLUME = 'authserver-ca-bundle';
export const CLIENT_CERT_DIR = '/etc/toolhive/authserver-mtls';
export const CA_BUNDLE_DIR = '/etc/toolhive/authserver-ca';
/** Proxy cache defaults written into the client config (spec §4.3, §7.7). */
export const CACHE_DEFAULT_TTL = '5m';
export const CACHE_MAX_ENTRIES = 10_000;

export interface Volume {
  name: string;
  secret?: { secretName: string };
  configMap?: { name: string; items: Array<{ key: string; path: string }> };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly: true;
}

export interface EnvVar {
  name: string;
  value: string;
}

/** What the pod webhook adds to a pod of an MCPServer whose config is `type: authServer`. */
export interface InjectionMaterial {
  volumes: Volume[];
  mounts: VolumeMount[];
  env: EnvVar;
}

/** Client configuration of spec §4.3, in the order the spec shows it. */
export interface AuthServerClientConfig {
  url: string;
  client_cert_path: string;
  client_key_path: string;
  ca_bundle_path: string;
  upstream_idp?: string;
  cache_default_ttl: string;
  cache_max_entries: number;
}

export type DesiredInjectionResult = { ok: true; material: InjectionMaterial } | { ok: false; error: FieldError };

/**
 * Pure: the volumes, mounts and `TOOLHIVE_AUTHSERVER_CONFIG` for a pod of MCPServer `serverName`
 * whose MCPExternalAuthConfig is `config` (type authServer), per spec §4.3:
 * - Secret `{srv}-mtls` → `/etc/toolhive/authserver-mtls` (tls.crt, tls.key);
 * - ConfigMap `caBundle.configMapRef.name` (default `{cfg}-authserver-ca`), key → `ca.crt`,
 *   at `/etc/toolhive/authserver-ca`; whole-directory read-only mounts, never subPath, so
 *   cert-manager's in-place rotation reaches the running proxy;
 * - url: `authServer.url`, else `https://{ref.name}-internal.{ref.namespace}.svc.{clusterDomain}`.
 *
 * @example
 * const r = desiredInjection({ serverName: 'github-tools', config, clusterDomain: 'cluster.local' });
 * if (r.ok) r.material.env.value // '{"url":"https://mcp-auth-internal.toolhive-system.svc.cluster.local",...}'
 */
export function desiredInjection(input: { serverName: string; config: KubeObject; clusterDomain: string }): DesiredInjectionResult {
  const { serverName, config, clusterDomain } = input;
  const cfgName = config.metadata?.name ?? '';
  const cfgNs = config.metadata?.namespace ?? '';
  const spec = asRecord(config.spec);
  const authServer = asRecord(spec?.authServer);
  const where = `MCPExternalAuthConfig ${cfgNs}/${cfgName}`;
  if (!authServer) {
    return problem('external-auth-config-valid', `${where} has type authServer but no spec.authServer block`);
  }
  let url: string | undefined;
  if (typeof authServer.url === 'string' && authServer.url !== '') {
    url = authServer.url;
  } else {
    const ref = asRecord(authServer.authServerRef);
    if (ref && typeof ref.name === 'string' && ref.name !== '') {
      const refNs = typeof ref.namespace === 'string' && ref.namespace !== '' ? ref.namespace : cfgNs;
      url = `https://${ref.name}-internal.${refNs}.svc.${clusterDomain}`;
    }
  }
  if (!url) {
    return problem('external-auth-config-valid', `${where} sets neither spec.authServer.url nor spec.authServer.authServerRef.name`);
  }
  const caRef = asRecord(asRecord(authServer.caBundle)?.configMapRef);
  const caConfigMap = typeof caRef?.name === 'string' && caRef.name !== '' ? caRef.name : `${cfgName}-authserver-ca`;
  const caKey = typeof caRef?.key === 'string' && caRef.key !== '' ? caRef.key : 'ca.crt';
  const clientConfig: AuthServerClientConfig = {
    url,
    client_cert_path: `${CLIENT_CERT_DIR}/tls.crt`,
    client_key_path: `${CLIENT_CERT_DIR}/tls.key`,
    ca_bundle_path: `${CA_BUNDLE_DIR}/ca.crt`,
    ...(typeof authServer.upstreamIdp === 'string' && authServer.upstreamIdp !== '' ? { upstream_idp: authServer.upstreamIdp } : {}),
    cache_default_ttl: CACHE_DEFAULT_TTL,
    cache_max_entries: CACHE_MAX_ENTRIES,
  };
  return {
    ok: true,
    material: {
      volumes: [
        { name: CLIENT_CERT_VOLUME, secret: { secretName: `${serverName}-mtls` } },
        // items maps whatever key holds the bundle to the file name the proxy reads.
        { name: CA_BUNDLE_VOLUME, configMap: { name: caConfigMap, items: [{ key: caKey, path: 'ca.crt' }] } },
      ],
      mounts: [
        { name: CLIENT_CERT_VOLUME, mountPath: CLIENT_CERT_DIR, readOnly: true },
        { name: CA_BUNDLE_VOLUME, mountPath: CA_BUNDLE_DIR, readOnly: true },
      ],
      env: { name: ENV_NAME, value: JSON.stringify(clientConfig) },
    },
  };
}

function problem(rule: string, message: string): DesiredInjectionResult {
  return { ok: false, error: { path: `metadata.labels[${MCPSERVER_LABEL}]`, rule, message } };
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
