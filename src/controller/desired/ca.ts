/**
 * Auto-CA objects of spec §4.1 step 3 [REV i]: the shared bootstrap self-signed ClusterIssuer,
 * one CA Certificate per MCPAuthServer in cert-manager's cluster-resource namespace, the CA
 * ClusterIssuer that signs server and client certificates, and the ConfigMap that carries the
 * public `ca.crt` (never the key) into the MCPAuthServer's namespace.
 */
import type { KubeObject, MCPAuthServer } from '../lib/crd-types.ts';
import {
  authServerLabels,
  caName,
  crossNamespaceLabels,
  MANAGED_BY,
  names,
  SELF_SIGNED_ISSUER,
  type OperatorSettings,
} from '../lib/names.ts';
import { controllerRef } from './owner.ts';

/**
 * `ClusterIssuer toolhive-selfsigned`, shared by every MCPAuthServer in auto-CA mode.
 *
 * @example
 * selfSignedClusterIssuer().spec // {selfSigned: {}}
 */
export function selfSignedClusterIssuer(): KubeObject {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: SELF_SIGNED_ISSUER, labels: { 'app.kubernetes.io/managed-by': MANAGED_BY } },
    spec: { selfSigned: {} },
  };
}

/**
 * CA `Certificate thv-as-{ns}-{name}-ca` in the cluster-resource namespace. `rotationPolicy: Never`
 * keeps the CA key stable across renewals so leaves issued before a renewal stay valid.
 *
 * @example
 * caCertificate(as, settings).metadata.name // 'thv-as-toolhive-system-mcp-auth-ca'
 */
export function caCertificate(as: MCPAuthServer, settings: OperatorSettings): KubeObject {
  const ns = as.metadata.namespace!;
  const name = caName(ns, as.metadata.name);
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: settings.clusterResourceNamespace, labels: crossNamespaceLabels(ns, as.metadata.name) },
    spec: {
      isCA: true,
      commonName: `ToolHive mTLS CA (${ns}/${as.metadata.name})`,
      secretName: name,
      // Labels on the Secret let the controller map CA renewals back to the MCPAuthServer.
      secretTemplate: { labels: crossNamespaceLabels(ns, as.metadata.name) },
      duration: '87600h',
      renewBefore: '8760h',
      privateKey: { algorithm: 'ECDSA', size: 384, rotationPolicy: 'Never' },
      issuerRef: { name: SELF_SIGNED_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    },
  };
}

/**
 * `ClusterIssuer thv-as-{ns}-{name}-ca` backed by the CA Certificate's Secret.
 *
 * @example
 * caClusterIssuer(as).spec // {ca: {secretName: 'thv-as-toolhive-system-mcp-auth-ca'}}
 */
export function caClusterIssuer(as: MCPAuthServer): KubeObject {
  const ns = as.metadata.namespace!;
  const name = caName(ns, as.metadata.name);
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name, labels: crossNamespaceLabels(ns, as.metadata.name) },
    spec: { ca: { secretName: name } },
  };
}

/**
 * ConfigMap `{name}-ca-bundle` with the CA's public certificate only (key `ca.crt`).
 *
 * @example
 * caBundleConfigMap(as, pem).data // {'ca.crt': pem}
 */
export function caBundleConfigMap(as: MCPAuthServer, caCrtPem: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: names.caBundleConfigMap(as.metadata.name),
      namespace: as.metadata.namespace!,
      labels: authServerLabels(as.metadata.name),
      ownerReferences: [controllerRef(as)],
    },
    data: { 'ca.crt': caCrtPem },
  };
}
