import { issue } from './lib/issue.ts';
import type { CertBundle, KeyAlgorithm } from './types.ts';

export interface CreateCAOptions {
  commonName: string;
  notBefore?: Date;
  /** Default: 10 years after notBefore. */
  notAfter?: Date;
  /** Default ECDSA-P256. */
  keyAlgorithm?: KeyAlgorithm;
  /** Sign with this CA instead of self-signing (an intermediate, for enterprise-chain tests). */
  parent?: CertBundle;
}

/**
 * Creates a CA certificate (self-signed root by default): basicConstraints CA:true (critical),
 * keyUsage keyCertSign+cRLSign (critical). For the dev stack and tests; in clusters cert-manager
 * issues the real CA (spec §4.1, REV i).
 *
 * @example
 * const ca = await createCA({ commonName: 'mcp-authserver dev CA' });
 * const server = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'] });
 */
export async function createCA(options: CreateCAOptions): Promise<CertBundle> {
  return issue(
    {
      commonName: options.commonName,
      isCA: true,
      keyUsages: ['keyCertSign', 'cRLSign', 'digitalSignature'],
      ...(options.notBefore ? { notBefore: options.notBefore } : {}),
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
      ...(options.keyAlgorithm ? { keyAlgorithm: options.keyAlgorithm } : {}),
    },
    options.parent,
  );
}
