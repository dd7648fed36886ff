import { generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { p1363ToDer } from './ecdsa-der.ts';

/** Reference encoding by another route: BigInt → minimal two's-complement bytes. */
function derInteger(bytes: Uint8Array): Buffer {
  const value = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let body = Buffer.from(hex, 'hex');
  if (body[0]! & 0x80) body = Buffer.concat([Buffer.of(0), body]);
  return Buffer.concat([Buffer.of(0x02, body.length), body]);
}
function referenceDer(signature: Uint8Array, half: number): Buffer {
  const body = Buffer.concat([derInteger(signature.subarray(0, half)), derInteger(signature.subarray(half))]);
  const length = body.length < 0x80 ? Buffer.of(body.length) : Buffer.of(0x81, body.length);
  return Buffer.concat([Buffer.of(0x30), length, body]);
}

describe('p1363ToDer', () => {
  for (const [half, namedCurve, hash] of [
    [32, 'P-256', 'sha256'],
    [48, 'P-384', 'sha384'],
    [66, 'P-521', 'sha512'],
  ] as const) {
    it(`encodes like the reference for any ${half * 2}-byte input, leading zeros and high bits included (property)`, () => {
      const edge = fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff);
      const bytes = fc.oneof(
        fc.uint8Array({ minLength: half * 2, maxLength: half * 2 }),
        fc.array(edge, { minLength: half * 2, maxLength: half * 2 }).map((a) => Uint8Array.from(a)),
      );
      fc.assert(
        fc.property(bytes, (sig) => {
          expect(p1363ToDer(sig, half).toString('hex')).toBe(referenceDer(sig, half).toString('hex'));
        }),
        { numRuns: 2000 },
      );
    });

    it(`verifies exactly the ${namedCurve} signatures node:crypto verifies in P1363 form`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
      const data = Buffer.from('header.payload');
      for (let i = 0; i < 50; i++) {
        const good = sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const bad = Buffer.from(good);
        bad[i % bad.length]! ^= 1;
        for (const sig of [good, bad]) {
          expect(verify(hash, data, publicKey, p1363ToDer(sig, half))).toBe(verify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig));
        }
      }
    });
  }

  it('encodes zero as 02 01 00', () => {
    expect(p1363ToDer(new Uint8Array(64), 32).toString('hex')).toBe('3006020100020100');
  });
});
