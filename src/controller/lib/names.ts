/**
 * Names, labels and constants of spec §4 ("Naming conventions"). One place, so builders,
 * the apply layer and the tests agree on every name.
 */

export const GROUP = 'toolhive.stacklok.dev';
export const API_VERSION = `${GROUP}/v1alpha1`;
export const FIELD_MANAGER = 'mcp-authserver';
export const FINALIZER = 'toolhive.stacklok.dev/mcpauthserver-cleanup';
export const SELF_SIGNED_ISSUER = 'toolhive-selfsigned';
export const CONFIG_HASH_ANNOTATION = 'toolhive.stacklok.dev/config-hash';
export const MCPSERVER_LABEL = 'toolhive.stacklok.dev/mcpserver';
export const MCPAUTHSERVER_LABEL = 'toolhive.stacklok.dev/mcpauthserver';
/** Cluster-scoped and cross-namespace children also carry the owner's namespace [OURS]. */
export const MCPAUTHSERVER_NAMESPACE_LABEL = 'toolhive.stacklok.dev/mcpauthserver-namespace';
export const EXTERNAL_AUTH_CONFIG_LABEL = 'toolhive.stacklok.dev/externalauthconfig';
export const MANAGED_BY = 'mcp-authserver';

export const AUTHSERVER_CONFIG_DIR = '/etc/toolhive/authserver';
export const SERVER_TLS_DIR = '/etc/toolhive/server-tls';
export const CLIENT_CA_DIR = '/etc/toolhive/client-ca';
export const RESOURCE_MAP_DIR = '/etc/toolhive/resource-map';

/** Options of the operator process that shape the desired objects (CLI flags and env). */
export interface OperatorSettings {
  /** cert-manager's cluster-resource namespace (`--cluster-resource-namespace`). */
  clusterResourceNamespace: string;
  /** `--cluster-domain`. */
  clusterDomain: string;
  /** `TOOLHIVE_AUTHSERVER_IMAGE`. */
  authServerImage: string;
  /** `TOOLHIVE_PROXY_IMAGE`. */
  proxyImage: string;
}

export const DEFAULT_SETTINGS: OperatorSettings = {
  clusterResourceNamespace: 'cert-manager',
  clusterDomain: 'cluster.local',
  authServerImage: 'ghcr.io/stacklok/mcp-authserver:latest',
  proxyImage: 'ghcr.io/stacklok/mcp-authserver:latest',
};

/** Labels on every child of an MCPAuthServer (spec §4). */
export function authServerLabels(name: string): Record<string, string> {
  return {
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/name': 'mcpauthserver',
    [MCPAUTHSERVER_LABEL]: name,
  };
}

/** Labels for children living outside the owner's namespace (or cluster-scoped). */
export function crossNamespaceLabels(namespace: string, name: string): Record<string, string> {
  return { ...authServerLabels(name), [MCPAUTHSERVER_NAMESPACE_LABEL]: namespace };
}

/** Pod selector of the auth server Deployment (immutable once created). */
export function authServerSelector(name: string): Record<string, string> {
  return { 'app.kubernetes.io/instance': name, 'app.kubernetes.io/name': 'mcpauthserver' };
}

/**
 * Labels on every child of an MCPServer; the pod label `toolhive.stacklok.dev/mcpserver` is what the pod webhook and the NetworkPolicy select on.
 *
 * @example
 * mcpServerLabels('github-tools')['toolhive.stacklok.dev/mcpserver'] // 'github-tools'
 */
export function mcpServerLabels(srv: string): Record<string, string> {
  return {
    'app.kubernetes.io/instance': srv,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/name': 'mcpserver',
    [MCPSERVER_LABEL]: srv,
  };
}

/**
 * Pod selector of the MCPServer Deployment and Service: narrower than the
 * `toolhive.stacklok.dev/mcpserver` label alone, which other pods may carry to get the client
 * identity injected (and must not receive the server's traffic).
 *
 * @example
 * mcpServerSelector('github-tools') // {'app.kubernetes.io/instance': 'github-tools', 'app.kubernetes.io/name': 'mcpserver'}
 */
export function mcpServerSelector(srv: string): Record<string, string> {
  return { 'app.kubernetes.io/instance': srv, 'app.kubernetes.io/name': 'mcpserver' };
}

/** Name of the auto-CA Certificate, its Secret and ClusterIssuer: `thv-as-{ns}-{name}-ca`. */
export function caName(namespace: string, name: string): string {
  return `thv-as-${namespace}-${name}-ca`;
}

export const names = {
  serverCertificate: (name: string) => `${name}-tls`,
  caBundleConfigMap: (name: string) => `${name}-ca-bundle`,
  configConfigMap: (name: string) => `${name}-config`,
  resourceMapConfigMap: (name: string) => `${name}-resource-map`,
  internalService: (name: string) => `${name}-internal`,
  networkPolicy: (name: string) => `${name}-internal`,
  encryptionKeySecret: (name: string) => `${name}-encryption-key`,
  clientCertificate: (srv: string) => `${srv}-mtls`,
  authServerCaConfigMap: (cfg: string) => `${cfg}-authserver-ca`,
};

/** `{svc}`, `{svc}.{ns}`, `{svc}.{ns}.svc`, `{svc}.{ns}.svc.{domain}`. */
export function serviceDnsNames(service: string, namespace: string, clusterDomain: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.${clusterDomain}`];
}

/**
 * `status.internalUrl` of an MCPAuthServer (spec §3.1).
 *
 * @example
 * internalUrl('mcp-auth', 'toolhive-system', 'cluster.local') // 'https://mcp-auth-internal.toolhive-system.svc.cluster.local'
 */
export function internalUrl(name: string, namespace: string, clusterDomain: string): string {
  return `https://${names.internalService(name)}.${namespace}.svc.${clusterDomain}`;
}

/**
 * The SPIFFE ID of an MCPServer's client certificate (spec §4.2 step 3).
 *
 * @example
 * spiffeId('toolhive.local', 'mcp-prod', 'github-tools') // 'spiffe://toolhive.local/ns/mcp-prod/mcpserver/github-tools'
 */
export function spiffeId(trustDomain: string, namespace: string, srv: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/mcpserver/${srv}`;
}

/** Sorted copy of a string map, so serialised objects are byte-stable. */
export function sortedRecord<V>(record: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
