import { issue } from './lib/issue.ts';
import type { CertBundle, KeyAlgorithm } from './types.ts';

export interface ServerCertOptions {
  commonName: string;
  dnsNames: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
  keyAlgorithm?: KeyAlgorithm;
}

/**
 * Issues a TLS server leaf: EKU serverAuth only, keyUsage digitalSignature+keyEncipherment,
 * CA:false. Its lack of `clientAuth` is what makes the internal listener reject it as a client
 * certificate (spec §6.1 "server certs from the same CA rejected").
 *
 * @example
 * const ca = await createCA({ commonName: 'dev CA' });
 * const { certPem, keyPem, caPem } = await issueServerCert(ca, {
 *   commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'],
 * });
 */
export async function issueServerCert(ca: CertBundle, options: ServerCertOptions): Promise<CertBundle> {
  return issue(
    {
      commonName: options.commonName,
      dnsNames: options.dnsNames,
      ipAddresses: options.ipAddresses ?? [],
      extKeyUsages: ['serverAuth'],
      keyUsages: ['digitalSignature', 'keyEncipherment'],
      ...(options.notBefore ? { notBefore: options.notBefore } : {}),
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
      ...(options.keyAlgorithm ? { keyAlgorithm: options.keyAlgorithm } : {}),
    },
    ca,
  );
}
