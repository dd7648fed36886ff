import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { checkSigningKey } from './check-signing-key.ts';

const pem = (type: 'ec' | 'rsa' | 'ed25519', opts: object, format: 'pkcs8' | 'sec1' | 'pkcs1' = 'pkcs8') => {
  const { privateKey, publicKey } = generateKeyPairSync(type as never, opts as never) as unknown as { privateKey: import('node:crypto').KeyObject; publicKey: import('node:crypto').KeyObject };
  return { pem: privateKey.export({ type: format, format: 'pem' }).toString(), publicKey };
};

describe('checkSigningKey', () => {
  it('accepts matching keys in PKCS#8, SEC1 and PKCS#1 and returns the RFC 7638 kid', async () => {
    const ec = pem('ec', { namedCurve: 'P-256' }, 'sec1');
    const r = await checkSigningKey(ec.pem, 'ES256');
    expect(r).toEqual({ ok: true, kid: await calculateJwkThumbprint(await exportJWK(ec.publicKey)) });
    expect((await checkSigningKey(pem('ec', { namedCurve: 'P-384' }).pem, 'ES384')).ok).toBe(true);
    expect((await checkSigningKey(pem('rsa', { modulusLength: 2048 }, 'pkcs1').pem, 'RS256')).ok).toBe(true);
    expect((await checkSigningKey(pem('ed25519', {}).pem, 'EdDSA')).ok).toBe(true);
  });

  it('rejects algorithm/key mismatches', async () => {
    expect(await checkSigningKey(pem('ec', { namedCurve: 'P-256' }).pem, 'RS256')).toMatchObject({ ok: false, reason: 'KeyAlgorithmMismatch' });
    expect(await checkSigningKey(pem('ec', { namedCurve: 'P-256' }).pem, 'ES384')).toMatchObject({ ok: false, reason: 'KeyAlgorithmMismatch', message: /ES256/ });
    expect(await checkSigningKey(pem('rsa', { modulusLength: 2048 }).pem, 'EdDSA')).toMatchObject({ ok: false, reason: 'KeyAlgorithmMismatch' });
  });

  it('rejects short RSA keys and non-keys', async () => {
    expect(await checkSigningKey(pem('rsa', { modulusLength: 1024 }).pem, 'RS256')).toMatchObject({ ok: false, reason: 'InvalidKey', message: /1024 bits/ });
    expect(await checkSigningKey('not a key', 'ES256')).toMatchObject({ ok: false, reason: 'InvalidKey' });
    expect(await checkSigningKey('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'ES256')).toMatchObject({ ok: false, reason: 'InvalidKey' });
  });
});
