import { issue } from './lib/issue.ts';
import type { CertBundle, ExtKeyUsageName, KeyAlgorithm, KeyUsageName } from './types.ts';

export interface ClientCertOptions {
  commonName: string;
  /** URI SANs; normally exactly one `spiffe://` id. Tests pass 0 or 2 to check rejection. */
  spiffeIds?: string[];
  dnsNames?: string[];
  /** Default ['clientAuth']; pass [] or ['serverAuth'] for negative tests. */
  extKeyUsages?: ExtKeyUsageName[];
  /** Default ['digitalSignature']; add 'keyCertSign' for negative tests. */
  keyUsages?: KeyUsageName[];
  /** A CA:true "leaf", for negative tests. */
  isCA?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  keyAlgorithm?: KeyAlgorithm;
}

/**
 * Issues an mTLS client certificate (an X.509-SVID when it carries one SPIFFE URI SAN):
 * EKU clientAuth, keyUsage digitalSignature, CA:false by default. Every extension can be
 * overridden so tests can build the certificates spec §6.2 says must be rejected.
 *
 * @example
 * const svid = await issueClientCert(ca, {
 *   commonName: 'github',
 *   spiffeIds: ['spiffe://cluster.local/ns/tools/mcpserver/github'],
 * });
 */
export async function issueClientCert(ca: CertBundle, options: ClientCertOptions): Promise<CertBundle> {
  return issue(
    {
      commonName: options.commonName,
      uris: options.spiffeIds ?? [],
      dnsNames: options.dnsNames ?? [],
      extKeyUsages: options.extKeyUsages ?? ['clientAuth'],
      keyUsages: options.keyUsages ?? ['digitalSignature'],
      isCA: options.isCA ?? false,
      ...(options.notBefore ? { notBefore: options.notBefore } : {}),
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
      ...(options.keyAlgorithm ? { keyAlgorithm: options.keyAlgorithm } : {}),
    },
    ca,
  );
}
