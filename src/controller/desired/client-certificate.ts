import type { CertManagerIssuerReference, KubeObject, MCPServer } from '../lib/crd-types.ts';
import { withIssuerDefaults } from '../lib/effective.ts';
import { EXTERNAL_AUTH_CONFIG_LABEL, MANAGED_BY, MCPSERVER_LABEL, names, spiffeId } from '../lib/names.ts';
import { controllerRef } from './owner.ts';

export interface ClientCertificateInputs {
  /** Name of the MCPExternalAuthConfig (type authServer) the server references. */
  externalAuthConfig: string;
  trustDomain: string;
  issuerRef: CertManagerIssuerReference;
}

/**
 * Client `Certificate {srv}-mtls` of spec §4.2 step 3: CN = server name, exactly one URI SAN
 * `spiffe://{trustDomain}/ns/{ns}/mcpserver/{srv}`, client-auth usages, 90 d / 15 d, no DNS SANs.
 * Owned by the MCPServer, so deleting the server removes its identity.
 *
 * @example
 * clientCertificate(srv, {externalAuthConfig: 'cfg', trustDomain: 'td', issuerRef}).spec.uris
 * // ['spiffe://td/ns/mcp-prod/mcpserver/github-tools']
 */
export function clientCertificate(srv: MCPServer, inputs: ClientCertificateInputs): KubeObject {
  const ns = srv.metadata.namespace!;
  const name = names.clientCertificate(srv.metadata.name);
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name,
      namespace: ns,
      labels: {
        'app.kubernetes.io/managed-by': MANAGED_BY,
        'app.kubernetes.io/name': 'mcpserver-client-cert',
        [EXTERNAL_AUTH_CONFIG_LABEL]: inputs.externalAuthConfig,
        [MCPSERVER_LABEL]: srv.metadata.name,
      },
      ownerReferences: [controllerRef(srv)],
    },
    spec: {
      secretName: name,
      commonName: srv.metadata.name,
      uris: [spiffeId(inputs.trustDomain, ns, srv.metadata.name)],
      duration: '2160h',
      renewBefore: '360h',
      usages: ['client auth', 'digital signature', 'key encipherment'],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: withIssuerDefaults(inputs.issuerRef),
    },
  };
}
