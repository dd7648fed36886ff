import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface SvidFields {
  uriSans: string[];
  isCA: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
  extKeyUsages: string[];
  commonName: string;
}

/** Reads the extensions an SVID check needs from DER (ASN.1 via @peculiar/x509, not string parsing). */
export function readSvidFields(der: Buffer): SvidFields {
  const cert = new x509.X509Certificate(new Uint8Array(der));
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const uriSans = (san?.names.items ?? []).filter((n) => n.type === 'url').map((n) => n.value);
  const cn = cert.subjectName.getField('CN')[0] ?? '';
  return {
    uriSans,
    isCA: basic?.ca === true,
    keyCertSign: ku ? (ku.usages & x509.KeyUsageFlags.keyCertSign) !== 0 : false,
    cRLSign: ku ? (ku.usages & x509.KeyUsageFlags.cRLSign) !== 0 : false,
    extKeyUsages: (eku?.usages ?? []).map(String),
    commonName: cn,
  };
}
