import type { KubeObject, MCPAuthServer } from '../lib/crd-types.ts';
import { effectiveAuthServer } from '../lib/effective.ts';
import { authServerLabels, caName, names, serviceDnsNames, type OperatorSettings } from '../lib/names.ts';
import { controllerRef } from './owner.ts';

/**
 * Server `Certificate {name}-tls` of spec §4.1 step 4: SANs for the public and the internal
 * Service (four forms each) plus `additionalDnsNames`; issued by the spec's `issuerRef` or, in
 * auto-CA mode, by the generated CA ClusterIssuer.
 *
 * @example
 * serverCertificate(as, settings).spec.dnsNames[0] // 'mcp-auth'
 */
export function serverCertificate(as: MCPAuthServer, settings: OperatorSettings): KubeObject {
  const eff = effectiveAuthServer(as);
  const ns = as.metadata.namespace!;
  const name = as.metadata.name;
  const dnsNames = [
    ...serviceDnsNames(name, ns, settings.clusterDomain),
    ...serviceDnsNames(names.internalService(name), ns, settings.clusterDomain),
  ];
  for (const extra of eff.additionalDnsNames) if (!dnsNames.includes(extra)) dnsNames.push(extra);
  const issuerRef = eff.issuerRef ?? { name: caName(ns, name), kind: 'ClusterIssuer', group: 'cert-manager.io' };
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: names.serverCertificate(name),
      namespace: ns,
      labels: authServerLabels(name),
      ownerReferences: [controllerRef(as)],
    },
    spec: {
      secretName: names.serverCertificate(name),
      secretTemplate: { labels: authServerLabels(name) },
      commonName: `${name}.${ns}.svc.${settings.clusterDomain}`,
      dnsNames,
      duration: eff.serverCertDuration,
      renewBefore: eff.serverCertRenewBefore,
      usages: ['server auth', 'digital signature', 'key encipherment'],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef,
    },
  };
}
