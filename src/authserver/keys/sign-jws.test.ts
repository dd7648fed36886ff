import { describe, expect, it } from 'vitest';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { compactVerify, SignJWT } from 'jose';
import { signCompactJws } from './sign-jws.ts';
import type { SigningAlgorithm } from '../../config/index.ts';

// jose, an independent JWS implementation, is the oracle: it must accept every token we sign.
const KEYS: Array<{ alg: SigningAlgorithm; pair: { privateKey: KeyObject; publicKey: KeyObject }; signatureBytes?: number }> = [
  { alg: 'ES256', pair: generateKeyPairSync('ec', { namedCurve: 'P-256' }), signatureBytes: 64 },
  { alg: 'ES384', pair: generateKeyPairSync('ec', { namedCurve: 'P-384' }), signatureBytes: 96 },
  { alg: 'ES512', pair: generateKeyPairSync('ec', { namedCurve: 'P-521' }), signatureBytes: 132 },
  { alg: 'RS256', pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), signatureBytes: 256 },
  { alg: 'RS384', pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), signatureBytes: 256 },
  { alg: 'RS512', pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), signatureBytes: 256 },
  { alg: 'EdDSA', pair: generateKeyPairSync('ed25519'), signatureBytes: 64 },
];
const claims = { iss: 'https://auth.example.com', sub: 'user-ü', aud: ['https://mcp.example.com/mcp'], exp: 2_000_000_000, iat: 1_700_000_000, jti: 'j-1', tsid: 't-1' };

describe('signCompactJws', () => {
  for (const { alg, pair, signatureBytes } of KEYS) {
    it(`${alg}: jose verifies the signature; header and payload are the bytes jose's SignJWT writes`, async () => {
      const header = { alg, kid: 'kid-1', typ: 'at+jwt' };
      const jwt = await signCompactJws(pair.privateKey, alg, header, claims);
      const verified = await compactVerify(jwt, pair.publicKey, { algorithms: [alg] });
      expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(claims);
      expect(verified.protectedHeader).toEqual(header);
      const josesOwn = await new SignJWT(claims).setProtectedHeader(header).sign(pair.privateKey);
      expect(jwt.split('.').slice(0, 2)).toEqual(josesOwn.split('.').slice(0, 2));
      expect(Buffer.from(jwt.split('.')[2]!, 'base64url')).toHaveLength(signatureBytes!);
    });
  }

  it('a signature does not verify for another payload or another key', async () => {
    const { pair } = KEYS[0]!;
    const jwt = await signCompactJws(pair.privateKey, 'ES256', { alg: 'ES256' }, claims);
    const [h, , s] = jwt.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url')}.${s}`;
    await expect(compactVerify(forged, pair.publicKey)).rejects.toThrow(/signature verification failed/);
    await expect(compactVerify(jwt, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).rejects.toThrow(/signature verification failed/);
  });

  it('refuses a header whose alg is not the key algorithm', async () => {
    await expect(signCompactJws(KEYS[0]!.pair.privateKey, 'ES256', { alg: 'RS256' }, claims)).rejects.toThrow(/header alg RS256 differs from the key's ES256/);
  });

  it('refuses a key of another type than the algorithm needs instead of producing a token', async () => {
    // node:crypto alone would sign RS256 with an EC key (a DER ECDSA signature under an RSA label).
    await expect(signCompactJws(KEYS[0]!.pair.privateKey, 'RS256', { alg: 'RS256' }, claims)).rejects.toThrow(/key type ec cannot sign RS256/);
    await expect(signCompactJws(KEYS[3]!.pair.privateKey, 'EdDSA', { alg: 'EdDSA' }, claims)).rejects.toThrow(/key type rsa cannot sign EdDSA/);
  });
});
