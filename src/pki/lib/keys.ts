import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { PkiError, type KeyAlgorithm } from '../types.ts';

type GenParams = EcKeyGenParams | RsaHashedKeyGenParams;

const subtle = webcrypto.subtle as unknown as SubtleCrypto;

/** WebCrypto parameters per supported key algorithm (signing = ECDSA/SHA-256 or RSASSA/SHA-256). */
export function keyParams(alg: KeyAlgorithm): { gen: GenParams; sign: Algorithm | EcdsaParams } {
  switch (alg) {
    case 'ECDSA-P256':
      return { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams };
    case 'ECDSA-P384':
      return { gen: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams };
    case 'RSA-2048':
      return {
        gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
        sign: { name: 'RSASSA-PKCS1-v1_5' },
      };
  }
}

export async function generateKeyPair(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(keyParams(alg).gen, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function exportPkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}-----END PRIVATE KEY-----\n`;
}

/** Imports a PKCS#8 (or SEC1/PKCS#1, via node's key parser) PEM private key for signing. */
export async function importSigningKey(keyPem: string): Promise<{ key: CryptoKey; alg: KeyAlgorithm }> {
  let nodeKey: KeyObject;
  try {
    nodeKey = createPrivateKey(keyPem);
  } catch {
    throw new PkiError('invalid_pem', 'CA private key is not a valid PEM private key');
  }
  const details = nodeKey.asymmetricKeyDetails;
  let alg: KeyAlgorithm;
  if (nodeKey.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') alg = 'ECDSA-P256';
  else if (nodeKey.asymmetricKeyType === 'ec' && details?.namedCurve === 'secp384r1') alg = 'ECDSA-P384';
  else if (nodeKey.asymmetricKeyType === 'rsa') alg = 'RSA-2048';
  else throw new PkiError('unsupported_key', `unsupported CA key type ${nodeKey.asymmetricKeyType ?? 'unknown'}`);
  const der = nodeKey.export({ format: 'der', type: 'pkcs8' });
  const gen = keyParams(alg).gen;
  const importParams = gen.name === 'ECDSA' ? gen : { name: gen.name, hash: 'SHA-256' };
  const key = await webcrypto.subtle.importKey('pkcs8', der, importParams, true, ['sign']);
  return { key: key as unknown as CryptoKey, alg };
}
