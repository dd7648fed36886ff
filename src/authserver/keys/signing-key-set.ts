import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningAlgorithm, SigningKeyConfig } from '../../config/index.ts';

/** One loaded key: imported once at start (conventions §12). */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public JWK as published on JWKS (kid, alg, use included). */
  publicJwk: JWK;
}

/**
 * The signing keys of spec §3.1 signingKeys / REV f: the first signs, all verify and appear on
 * JWKS. Shared with the internal exchange (src/exchange) to verify subject tokens.
 */
export interface SigningKeySet {
  active: SigningKey;
  all: readonly SigningKey[];
  /** Distinct algorithms of the configured keys: the only ones accepted on verification. */
  algorithms: readonly SigningAlgorithm[];
  byKid(kid: string): SigningKey | undefined;
  jwks(): { keys: JWK[] };
}

export type KeyLoadProblem = 'unreadable_pem' | 'not_private_key' | 'algorithm_mismatch' | 'rsa_too_small' | 'duplicate_key';

/** Internal error with a stable code (conventions §5). Message never contains key material. */
export class KeyLoadError extends Error {
  constructor(
    readonly code: KeyLoadProblem,
    message: string,
  ) {
    super(message);
    this.name = 'KeyLoadError';
  }
}

const CURVE_ALG: Record<string, SigningAlgorithm> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/**
 * Parses PEM private keys (PKCS#1, PKCS#8 or SEC1: `crypto.createPrivateKey` reads all three, jose's
 * importPKCS8 only PKCS#8), checks algorithm/key-type match and RSA ≥ 2048 bits (spec §3.1), and
 * computes kid = RFC 7638 SHA-256 thumbprint.
 *
 * @example
 * const keys = await loadSigningKeys([{ source: 'key-0.pem', pem, algorithm: 'ES256' }]);
 * keys.jwks().keys[0].kid === keys.active.kid
 */
export async function loadSigningKeys(configs: readonly SigningKeyConfig[]): Promise<SigningKeySet> {
  if (configs.length === 0) throw new KeyLoadError('unreadable_pem', 'no signing keys configured');
  const all: SigningKey[] = [];
  for (const [i, cfg] of configs.entries()) {
    const where = `signing_keys[${i}] (${cfg.source})`;
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: cfg.pem, format: 'pem' });
    } catch {
      throw new KeyLoadError('unreadable_pem', `${where}: not a PEM private key (PKCS#1, PKCS#8 or SEC1 expected)`);
    }
    if (privateKey.type !== 'private') throw new KeyLoadError('not_private_key', `${where}: not a private key`);
    checkAlgorithm(where, privateKey, cfg.algorithm);
    const publicKey = createPublicKey(privateKey);
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    if (all.some((k) => k.kid === kid)) throw new KeyLoadError('duplicate_key', `${where}: the same key is configured twice (kid ${kid})`);
    all.push({ kid, alg: cfg.algorithm, privateKey, publicKey, publicJwk: { ...jwk, kid, alg: cfg.algorithm, use: 'sig' } });
  }
  const byKid = new Map(all.map((k) => [k.kid, k]));
  const jwks = { keys: all.map((k) => k.publicJwk) };
  return {
    active: all[0] as SigningKey,
    all,
    algorithms: [...new Set(all.map((k) => k.alg))],
    byKid: (kid) => byKid.get(kid),
    jwks: () => jwks,
  };
}

function checkAlgorithm(where: string, key: KeyObject, alg: SigningAlgorithm): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    if (!alg.startsWith('RS')) throw mismatch(where, alg, 'an RSA key');
    if ((details.modulusLength ?? 0) < 2048) {
      throw new KeyLoadError('rsa_too_small', `${where}: RSA key has ${details.modulusLength} bits; at least 2048 are required`);
    }
    return;
  }
  if (type === 'ec') {
    const expected = CURVE_ALG[details.namedCurve ?? ''];
    if (expected !== alg) throw mismatch(where, alg, `an EC ${details.namedCurve} key (use ${expected ?? 'a P-256/P-384/P-521 key'})`);
    return;
  }
  if (type === 'ed25519') {
    if (alg !== 'EdDSA') throw mismatch(where, alg, 'an Ed25519 key');
    return;
  }
  throw mismatch(where, alg, `a ${type} key`);
}

function mismatch(where: string, alg: string, got: string): KeyLoadError {
  return new KeyLoadError('algorithm_mismatch', `${where}: algorithm ${alg} does not match ${got}`);
}
