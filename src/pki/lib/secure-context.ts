import type { SecureContextOptions } from 'node:tls';
import type { CertMaterial } from '../file-cert-source.ts';

/** Base TLS settings of every listener: TLS 1.2 minimum (spec §2.0), 1.3 preferred by Node. */
export const BASE_TLS: SecureContextOptions = { minVersion: 'TLSv1.2' };

export function secureContextOptions(material: CertMaterial, base: SecureContextOptions = {}): SecureContextOptions {
  return { ...BASE_TLS, ...base, cert: material.cert, key: material.key, ...(material.ca ? { ca: material.ca } : {}) };
}
