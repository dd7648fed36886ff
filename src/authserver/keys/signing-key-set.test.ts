import { describe, expect, it } from 'vitest';
import { generateKeyPairSync, createSecretKey } from 'node:crypto';
import { calculateJwkThumbprint, SignJWT, UnsecuredJWT, decodeProtectedHeader } from 'jose';
import { KeyLoadError, loadSigningKeys } from './signing-key-set.ts';
import { signAccessToken, verifyAccessToken, type AccessTokenClaims } from './access-token.ts';
import type { SigningAlgorithm } from '../../config/index.ts';

const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ed = generateKeyPairSync('ed25519');
const pem = (key: import('node:crypto').KeyObject, type: 'pkcs1' | 'pkcs8' | 'sec1') => key.export({ format: 'pem', type }) as string;
const cfg = (p: string, algorithm: SigningAlgorithm) => ({ source: 'test.pem', pem: p, algorithm });

describe('loadSigningKeys', () => {
  it('reads PKCS#1, PKCS#8 and SEC1 PEM; kid is the RFC 7638 thumbprint; first key is active', async () => {
    const keys = await loadSigningKeys([
      cfg(pem(p256.privateKey, 'sec1'), 'ES256'),
      cfg(pem(rsa2048.privateKey, 'pkcs1'), 'RS256'),
      cfg(pem(ed.privateKey, 'pkcs8'), 'EdDSA'),
    ]);
    expect(keys.all.map((k) => k.alg)).toEqual(['ES256', 'RS256', 'EdDSA']);
    expect(keys.active.alg).toBe('ES256');
    const expectedKid = await calculateJwkThumbprint(p256.publicKey.export({ format: 'jwk' }) as never, 'sha256');
    expect(keys.active.kid).toBe(expectedKid);
    expect(keys.algorithms).toEqual(['ES256', 'RS256', 'EdDSA']);
    const jwks = keys.jwks().keys;
    expect(jwks.map((k) => k.kid)).toEqual(keys.all.map((k) => k.kid));
    for (const jwk of jwks) {
      expect(jwk.use).toBe('sig');
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(priv);
    }
  });

  it('reordering keys never changes kids (rotation procedure, spec §5.8)', async () => {
    const a = await loadSigningKeys([cfg(pem(p256.privateKey, 'pkcs8'), 'ES256'), cfg(pem(p384.privateKey, 'pkcs8'), 'ES384')]);
    const b = await loadSigningKeys([cfg(pem(p384.privateKey, 'pkcs8'), 'ES384'), cfg(pem(p256.privateKey, 'pkcs8'), 'ES256')]);
    expect(new Set(a.all.map((k) => k.kid))).toEqual(new Set(b.all.map((k) => k.kid)));
    expect(b.active.kid).toBe(a.all[1]!.kid);
  });

  it.each([
    ['RSA key declared ES256', () => cfg(pem(rsa2048.privateKey, 'pkcs8'), 'ES256'), 'algorithm_mismatch', /algorithm ES256 does not match an RSA key/],
    ['P-384 key declared ES256', () => cfg(pem(p384.privateKey, 'sec1'), 'ES256'), 'algorithm_mismatch', /does not match an EC secp384r1 key \(use ES384\)/],
    ['Ed25519 key declared RS256', () => cfg(pem(ed.privateKey, 'pkcs8'), 'RS256'), 'algorithm_mismatch', /does not match an Ed25519 key/],
    ['RSA 1024', () => cfg(pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, 'pkcs1'), 'RS256'), 'rsa_too_small', /1024 bits; at least 2048/],
    ['not a PEM', () => cfg('hello', 'ES256'), 'unreadable_pem', /not a PEM private key/],
    ['a public key', () => cfg(p256.publicKey.export({ format: 'pem', type: 'spki' }) as string, 'ES256'), 'unreadable_pem', /not a PEM private key/],
  ] as const)('%s is refused at load', async (_name, make, code, message) => {
    const err = await loadSigningKeys([make()]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyLoadError);
    expect((err as KeyLoadError).code).toBe(code);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toMatch(/BEGIN/);
  });

  it('the same key twice is refused', async () => {
    const p = pem(p256.privateKey, 'pkcs8');
    await expect(loadSigningKeys([cfg(p, 'ES256'), cfg(pem(p256.privateKey, 'sec1'), 'ES256')])).rejects.toMatchObject({ code: 'duplicate_key' });
  });
});

describe('access tokens', () => {
  const issuer = 'https://auth.example.com';
  const nowS = Math.floor(Date.now() / 1000);
  const claims: AccessTokenClaims = { iss: issuer, sub: 'u', aud: ['https://h/mcp'], iat: nowS, nbf: nowS, exp: nowS + 60, jti: 'j', client_id: 'c', tsid: 't' };

  it('are signed by the active key with typ at+jwt and verify with any configured key', async () => {
    const keys = await loadSigningKeys([cfg(pem(p256.privateKey, 'pkcs8'), 'ES256'), cfg(pem(rsa2048.privateKey, 'pkcs8'), 'RS256')]);
    const jwt = await signAccessToken(keys, claims);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: keys.active.kid, typ: 'at+jwt' });
    await expect(verifyAccessToken(keys, jwt, { issuer })).resolves.toMatchObject({ tsid: 't' });
    // A token signed by the second (verify-only) key still verifies.
    const old = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: keys.all[1]!.kid, typ: 'at+jwt' }).sign(rsa2048.privateKey);
    await expect(verifyAccessToken(keys, old, { issuer })).resolves.toBeTruthy();
  });

  it.each([
    ['alg none', async () => new UnsecuredJWT(claims).encode(), 'unknown_kid'],
    ['HS256 signed with the public key bytes', async (kid: string) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(createSecretKey(p256.publicKey.export({ format: 'der', type: 'spki' }))), 'bad_algorithm'],
    ['unknown kid', async () => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'nope' }).sign(p256.privateKey), 'unknown_kid'],
    ['kid of a removed key', async () => new SignJWT(claims).setProtectedHeader({ alg: 'ES384', kid: 'removed' }).sign(p384.privateKey), 'unknown_kid'],
    ['signed by another key with our kid', async (kid: string) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), 'bad_signature'],
    ['expired', async (kid: string) => new SignJWT({ ...claims, exp: nowS - 120 }).setProtectedHeader({ alg: 'ES256', kid }).sign(p256.privateKey), 'expired'],
    ['nbf in the future', async (kid: string) => new SignJWT({ ...claims, nbf: nowS + 600 }).setProtectedHeader({ alg: 'ES256', kid }).sign(p256.privateKey), 'not_yet_valid'],
    ['iss with trailing slash', async (kid: string) => new SignJWT({ ...claims, iss: `${issuer}/` }).setProtectedHeader({ alg: 'ES256', kid }).sign(p256.privateKey), 'claims'],
    ['not 3 segments', async () => 'abc.def', 'malformed'],
  ] as const)('rejects %s', async (_name, make, code) => {
    const keys = await loadSigningKeys([cfg(pem(p256.privateKey, 'pkcs8'), 'ES256')]);
    const token = await make(keys.active.kid);
    await expect(verifyAccessToken(keys, token, { issuer })).rejects.toMatchObject({ code });
  });
});
