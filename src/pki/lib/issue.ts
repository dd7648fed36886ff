import { randomBytes } from 'node:crypto';
// Type-only: the library itself (~20 MB resident with its ASN.1 schemas) is loaded on the first
// issue() call, so servers that only read certificates (proxy, webhook) never load it.
import type * as X509 from '@peculiar/x509';
import { exportPkcs8Pem, generateKeyPair, importSigningKey, keyParams } from './keys.ts';
import type { CertBundle, ExtKeyUsageName, KeyAlgorithm, KeyUsageName } from '../types.ts';

type X509Lib = typeof X509;

function ekuOid(x509: X509Lib, usage: ExtKeyUsageName): string {
  return usage === 'serverAuth' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth;
}

function keyUsageFlag(x509: X509Lib, usage: KeyUsageName): number {
  return x509.KeyUsageFlags[usage];
}

/** Everything a certificate can carry; the public issue* functions pick safe defaults. */
export interface IssueSpec {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  uris?: string[];
  extKeyUsages?: ExtKeyUsageName[];
  keyUsages?: KeyUsageName[];
  isCA?: boolean;
  pathLength?: number;
  notBefore?: Date;
  notAfter?: Date;
  keyAlgorithm?: KeyAlgorithm;
}

const DAY_MS = 86_400_000;

/** Random positive 128-bit serial (RFC 5280 §4.1.2.2: ≤ 20 octets, positive). */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function buildExtensions(x509: X509Lib, spec: IssueSpec, publicKey: CryptoKey): Promise<X509.Extension[]> {
  return (async () => {
    const exts: X509.Extension[] = [];
    exts.push(new x509.BasicConstraintsExtension(spec.isCA === true, spec.isCA ? spec.pathLength : undefined, true));
    const usages = spec.keyUsages ?? [];
    if (usages.length > 0) {
      const flags = usages.reduce((acc, u) => acc | keyUsageFlag(x509, u), 0);
      exts.push(new x509.KeyUsagesExtension(flags, true));
    }
    const ekus = spec.extKeyUsages ?? [];
    if (ekus.length > 0) exts.push(new x509.ExtendedKeyUsageExtension(ekus.map((e) => ekuOid(x509, e)), false));
    const names: X509.JsonGeneralName[] = [
      ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
      ...(spec.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ];
    if (names.length > 0) exts.push(new x509.SubjectAlternativeNameExtension(names, false));
    exts.push(await x509.SubjectKeyIdentifierExtension.create(publicKey));
    return exts;
  })();
}

/**
 * Issues one certificate. With `issuer` undefined the certificate is self-signed (a root).
 * No validation of the combination: negative tests need certificates that break the rules.
 */
export async function issue(spec: IssueSpec, issuer?: CertBundle): Promise<CertBundle> {
  const { x509 } = await import('./x509.ts');
  const keys = await generateKeyPair(spec.keyAlgorithm ?? 'ECDSA-P256');
  const notBefore = spec.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = spec.notAfter ?? new Date(notBefore.getTime() + (spec.isCA ? 3650 : 90) * DAY_MS);
  const extensions = await buildExtensions(x509, spec, keys.publicKey);
  const subject = `CN=${spec.commonName.replace(/([,+="\\<>;#])/g, '\\$1')}`;
  let cert: X509.X509Certificate;
  if (!issuer) {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerialHex(),
      name: subject,
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: keyParams(spec.keyAlgorithm ?? 'ECDSA-P256').sign,
      extensions,
    });
  } else {
    const caCert = new x509.X509Certificate(issuer.certPem);
    const { key: caKey, alg: caAlg } = await importSigningKey(issuer.keyPem);
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(caCert, false));
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialHex(),
      subject,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: keyParams(caAlg).sign,
      extensions,
    });
  }
  const chain = issuer ? [issuer.certPem.trim(), issuer.caPem?.trim()].filter(Boolean).join('\n') + '\n' : undefined;
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: await exportPkcs8Pem(keys.privateKey),
    ...(chain ? { caPem: chain } : {}),
  };
}
