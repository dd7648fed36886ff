/**
 * Spec §4.1 step 2: a signing key must parse as a PEM private key (PKCS#1/PKCS#8/SEC1), match
 * its declared algorithm (RSA→RS*, P-256→ES256, P-384→ES384, P-521→ES512, Ed25519→EdDSA) and,
 * for RSA, have at least 2048 bits. The kid is the RFC 7638 thumbprint of the public key.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';

export type SigningKeyCheck = { ok: true; kid: string } | { ok: false; reason: 'InvalidKey' | 'KeyAlgorithmMismatch'; message: string };

const CURVE_ALG: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/**
 * @example
 * await checkSigningKey(pem, 'ES256') // {ok: true, kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'}
 */
export async function checkSigningKey(pem: string, algorithm: string): Promise<SigningKeyCheck> {
  let key;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return { ok: false, reason: 'InvalidKey', message: 'is not a PEM private key (PKCS#1, PKCS#8 or SEC1)' };
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  let expected: string[];
  if (type === 'rsa') {
    if ((details.modulusLength ?? 0) < 2048) {
      return { ok: false, reason: 'InvalidKey', message: `RSA key has ${details.modulusLength} bits; at least 2048 are required` };
    }
    expected = ['RS256', 'RS384', 'RS512'];
  } else if (type === 'ec') {
    const alg = CURVE_ALG[details.namedCurve ?? ''];
    if (!alg) return { ok: false, reason: 'InvalidKey', message: `EC curve ${details.namedCurve} is not supported (P-256, P-384, P-521)` };
    expected = [alg];
  } else if (type === 'ed25519') {
    expected = ['EdDSA'];
  } else {
    return { ok: false, reason: 'InvalidKey', message: `key type ${type} is not supported` };
  }
  if (!expected.includes(algorithm)) {
    return { ok: false, reason: 'KeyAlgorithmMismatch', message: `algorithm ${algorithm} does not match the ${describe(type, details.namedCurve)} key (use ${expected.join(' or ')})` };
  }
  const kid = await calculateJwkThumbprint(await exportJWK(createPublicKey(key)));
  return { ok: true, kid };
}

function describe(type: string | undefined, curve: string | undefined): string {
  if (type === 'ec') return `EC ${curve}`;
  return type === 'rsa' ? 'RSA' : String(type);
}
