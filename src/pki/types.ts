/** PEM-encoded certificate + private key (PKCS#8), optionally with the issuing CA chain. */
export interface CertBundle {
  certPem: string;
  keyPem: string;
  /** PEM of the issuing CA (and any chain above it); absent on a self-signed root. */
  caPem?: string;
}

/** Key algorithms the test/dev CA supports. ECDSA P-256 is the default everywhere. */
export type KeyAlgorithm = 'ECDSA-P256' | 'ECDSA-P384' | 'RSA-2048';

/** Extended key usages by name (RFC 5280 §4.2.1.12). */
export type ExtKeyUsageName = 'serverAuth' | 'clientAuth';

/** Key usage bits by name (RFC 5280 §4.2.1.3). */
export type KeyUsageName = 'digitalSignature' | 'keyEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';

export type PkiErrorCode = 'invalid_pem' | 'key_mismatch' | 'unsupported_key' | 'not_loaded' | 'read_failed';

/** Internal PKI failure with a stable code (conventions §5). */
export class PkiError extends Error {
  constructor(
    readonly code: PkiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PkiError';
  }
}
