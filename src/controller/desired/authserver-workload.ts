/**
 * The auth server's workload objects of spec §4.1 steps 8–11: ServiceAccount, Deployment,
 * the public and internal Services and the NetworkPolicy.
 */
import type { KubeObject, MCPAuthServer } from '../lib/crd-types.ts';
import { effectiveAuthServer } from '../lib/effective.ts';
import { sha256Hex } from '../lib/stable-json.ts';
import {
  AUTHSERVER_CONFIG_DIR,
  authServerLabels,
  authServerSelector,
  CLIENT_CA_DIR,
  CONFIG_HASH_ANNOTATION,
  MCPSERVER_LABEL,
  names,
  RESOURCE_MAP_DIR,
  SERVER_TLS_DIR,
  sortedRecord,
  type OperatorSettings,
} from '../lib/names.ts';
import { configPaths } from './authserver-config.ts';
import { controllerRef } from './owner.ts';

/** Secret files are 0400 [OTHER-RFC 0031]; `fsGroup` makes them group-readable for the non-root user. */
const SECRET_FILE_MODE = 0o400;
const RUN_AS_USER = 65532;

function meta(as: MCPAuthServer, name: string) {
  return {
    name,
    namespace: as.metadata.namespace!,
    labels: authServerLabels(as.metadata.name),
    ownerReferences: [controllerRef(as)],
  };
}

/**
 * ServiceAccount `{name}` without a token: the auth server never calls the Kubernetes API.
 *
 * @example
 * authServerServiceAccount(as).automountServiceAccountToken // false
 */
export function authServerServiceAccount(as: MCPAuthServer): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(as, as.metadata.name), automountServiceAccountToken: false };
}

/**
 * `toolhive.stacklok.dev/config-hash`: hash of `config.json` plus the resourceVersions of the
 * Secrets whose content the pod reads once at start (signing keys, upstream client secrets,
 * Redis credentials, encryption key). TLS material and the resource map are hot-reloaded.
 *
 * @example
 * configHash('{...}', {'ns/as-signing': '42'}) // '3f2a…' (64 hex)
 */
export function configHash(configJson: string, secretResourceVersions: Record<string, string>): string {
  return sha256Hex({ configJson, secrets: sortedRecord(secretResourceVersions) });
}

export interface AuthServerDeploymentInputs {
  configHash: string;
  /** ConfigMap holding the client CA bundle and its key (spec `caBundle`, or `{name}-ca-bundle`). */
  clientCa: { name: string; key: string };
  /** Secret with the storage encryption key (spec `encryptionKeySecretRef` or the generated one). */
  encryptionKey: { name: string; key: string };
}

/**
 * Deployment `{name}` with the mounts of spec §4.1 step 9.
 *
 * The files the spec places under `/etc/toolhive/authserver` (config.json, keys/key-{i}.pem,
 * upstreams/{idp}/client-secret) come from one projected volume `config`: mounting Secrets
 * with subPath inside a read-only ConfigMap volume would need mount points in that volume and
 * subPath mounts never see updates. The paths are exactly those of the spec.
 *
 * @example
 * authServerDeployment(as, settings, inputs).spec.template.spec.containers[0].name // 'authserver'
 */
export function authServerDeployment(as: MCPAuthServer, settings: OperatorSettings, inputs: AuthServerDeploymentInputs): KubeObject {
  const eff = effectiveAuthServer(as);
  const name = as.metadata.name;
  const redis = as.spec.storage?.redis;
  const redisCa = typeof redis?.tls === 'object' ? redis.tls.caBundle : redis?.caBundle;
  const projected: unknown[] = [
    { configMap: { name: names.configConfigMap(name), items: [{ key: 'config.json', path: configPaths.configJson }] } },
    ...as.spec.signingKeys.map((k, i) => ({
      secret: { name: k.secretRef.name, items: [{ key: k.secretRef.key, path: configPaths.signingKey(i), mode: SECRET_FILE_MODE }] },
    })),
    ...as.spec.upstreamIdps
      .filter((idp) => idp.oidc)
      .map((idp) => ({
        secret: {
          name: idp.oidc!.clientSecretRef.name,
          items: [{ key: idp.oidc!.clientSecretRef.key, path: configPaths.upstreamClientSecret(idp.name), mode: SECRET_FILE_MODE }],
        },
      })),
    ...(eff.storageType === 'redis' && redis?.usernameSecretRef
      ? [{ secret: { name: redis.usernameSecretRef.name, items: [{ key: redis.usernameSecretRef.key, path: configPaths.redisUsername, mode: SECRET_FILE_MODE }] } }]
      : []),
    ...(eff.storageType === 'redis' && redis?.passwordSecretRef
      ? [{ secret: { name: redis.passwordSecretRef.name, items: [{ key: redis.passwordSecretRef.key, path: configPaths.redisPassword, mode: SECRET_FILE_MODE }] } }]
      : []),
    ...(eff.storageType === 'redis' && redisCa
      ? [{ configMap: { name: redisCa.configMapRef.name, items: [{ key: redisCa.configMapRef.key ?? 'ca.crt', path: configPaths.redisCa }] } }]
      : []),
    {
      secret: {
        name: inputs.encryptionKey.name,
        items: [{ key: inputs.encryptionKey.key, path: configPaths.encryptionKey, mode: SECRET_FILE_MODE }],
      },
    },
  ];
  const probe = (path: string) => ({
    httpGet: { path, port: 'https', scheme: 'HTTPS' },
    periodSeconds: 10,
    timeoutSeconds: 3,
    failureThreshold: 3,
  });
  const container: Record<string, unknown> = {
    name: 'authserver',
    image: settings.authServerImage,
    args: ['serve', '--config', `${AUTHSERVER_CONFIG_DIR}/config.json`],
    ports: [
      { name: 'https', containerPort: eff.port, protocol: 'TCP' },
      { name: 'https-internal', containerPort: eff.internalPort, protocol: 'TCP' },
    ],
    livenessProbe: probe('/healthz'),
    readinessProbe: probe('/readyz'),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    },
    volumeMounts: [
      { name: 'server-tls', mountPath: SERVER_TLS_DIR, readOnly: true },
      { name: 'client-ca', mountPath: CLIENT_CA_DIR, readOnly: true },
      { name: 'config', mountPath: AUTHSERVER_CONFIG_DIR, readOnly: true },
      { name: 'resource-map', mountPath: RESOURCE_MAP_DIR, readOnly: true },
    ],
  };
  if (as.spec.resources) container.resources = as.spec.resources;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(as, name),
    spec: {
      replicas: eff.replicas,
      selector: { matchLabels: authServerSelector(name) },
      template: {
        metadata: {
          labels: authServerLabels(name),
          annotations: { [CONFIG_HASH_ANNOTATION]: inputs.configHash },
        },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS_USER,
            runAsGroup: RUN_AS_USER,
            fsGroup: RUN_AS_USER,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [container],
          volumes: [
            { name: 'server-tls', secret: { secretName: names.serverCertificate(name), defaultMode: SECRET_FILE_MODE } },
            {
              name: 'client-ca',
              configMap: { name: inputs.clientCa.name, items: [{ key: inputs.clientCa.key, path: 'ca.crt' }] },
            },
            { name: 'config', projected: { defaultMode: SECRET_FILE_MODE, sources: projected } },
            {
              name: 'resource-map',
              configMap: { name: names.resourceMapConfigMap(name), items: [{ key: 'resources.json', path: 'resources.json' }] },
            },
          ],
        },
      },
    },
  };
}

/**
 * Public Service `{name}`: 443 `https` → the public port, type from `spec.publicService`.
 *
 * @example
 * publicService(as).spec.ports // [{name: 'https', port: 443, targetPort: 'https', protocol: 'TCP'}]
 */
export function publicService(as: MCPAuthServer): KubeObject {
  const eff = effectiveAuthServer(as);
  const metadata: KubeObject['metadata'] = meta(as, as.metadata.name);
  if (Object.keys(eff.publicServiceAnnotations).length > 0) metadata.annotations = sortedRecord(eff.publicServiceAnnotations);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      type: eff.publicServiceType,
      selector: authServerSelector(as.metadata.name),
      ports: [{ name: 'https', port: 443, targetPort: eff.port, protocol: 'TCP' }],
    },
  };
}

/**
 * Internal Service `{name}-internal`: always ClusterIP, 443 `https-internal` → the internal port [REV h].
 *
 * @example
 * internalService(as).spec.type // 'ClusterIP'
 */
export function internalService(as: MCPAuthServer): KubeObject {
  const eff = effectiveAuthServer(as);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(as, names.internalService(as.metadata.name)),
    spec: {
      type: 'ClusterIP',
      selector: authServerSelector(as.metadata.name),
      ports: [{ name: 'https-internal', port: 443, targetPort: eff.internalPort, protocol: 'TCP' }],
    },
  };
}

/**
 * NetworkPolicy `{name}-internal` (spec §4.1 step 11): the public port from anywhere; the
 * internal port only from MCPServer pods (label `toolhive.stacklok.dev/mcpserver`) in the
 * allowed namespaces (all namespaces when `allowedNamespaces` is empty). Null when disabled.
 *
 * @example
 * authServerNetworkPolicy(as)?.spec.policyTypes // ['Ingress']
 */
export function authServerNetworkPolicy(as: MCPAuthServer): KubeObject | null {
  const eff = effectiveAuthServer(as);
  if (!eff.networkPolicyEnabled) return null;
  const namespaceSelector =
    eff.allowedNamespaces.length > 0
      ? { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...eff.allowedNamespaces].sort() }] }
      : {};
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(as, names.networkPolicy(as.metadata.name)),
    spec: {
      podSelector: { matchLabels: authServerSelector(as.metadata.name) },
      policyTypes: ['Ingress'],
      ingress: [
        { ports: [{ port: eff.port, protocol: 'TCP' }] },
        {
          from: [{ namespaceSelector, podSelector: { matchExpressions: [{ key: MCPSERVER_LABEL, operator: 'Exists' }] } }],
          ports: [{ port: eff.internalPort, protocol: 'TCP' }],
        },
      ],
    },
  };
}

/**
 * Secret `{name}-encryption-key` holding a 32-byte key for upstream tokens at rest, created
 * only when `storage.encryptionKeySecretRef` is absent and never overwritten. The key bytes
 * come from the caller (random, once), so this builder stays pure.
 *
 * @example
 * encryptionKeySecret(as, randomBytes(32)).data.key // base64 of the 32 bytes
 */
export function encryptionKeySecret(as: MCPAuthServer, key: Buffer): KubeObject {
  if (key.length !== 32) throw new Error(`internal error: encryption key must be 32 bytes, got ${key.length}`);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(as, names.encryptionKeySecret(as.metadata.name)),
    type: 'Opaque',
    data: { key: key.toString('base64') },
  };
}
