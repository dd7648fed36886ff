import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTokenCipher } from './encryption.ts';
import { StoreError } from './types.ts';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

function expectStoreError(fn: () => unknown, code: StoreError['code'], message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe(code);
    expect((err as StoreError).message).toMatch(message);
    return;
  }
  throw new Error('expected a StoreError');
}

/** Flips one bit of the base64url part at `index` of a sealed value. */
function flipBit(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('createTokenCipher', () => {
  const cipher = createTokenCipher({ activeKeyId: 'k1', keys: { k1 } });

  it('round-trips and never contains the plaintext', () => {
    const sealed = cipher.seal('upstream-secret-access-token', 'tsid-1\0github');
    expect(sealed).not.toContain('upstream-secret');
    expect(sealed.startsWith('v1.k1.')).toBe(true);
    expect(cipher.open(sealed, 'tsid-1\0github')).toBe('upstream-secret-access-token');
  });

  it('uses a fresh IV per record', () => {
    const a = cipher.seal('same', 'ctx');
    const b = cipher.seal('same', 'ctx');
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it.each([
    ['IV', 2],
    ['ciphertext', 3],
    ['tag', 4],
  ])('rejects a tampered %s with decrypt_failed', (_name, index) => {
    const sealed = cipher.seal('upstream-secret', 'ctx');
    expectStoreError(() => cipher.open(flipBit(sealed, index), 'ctx'), 'decrypt_failed', /failed authentication/);
  });

  it('rejects a ciphertext moved to another row (AAD binds tsid + provider)', () => {
    const sealed = cipher.seal('upstream-secret', 'tsid-1\0github');
    expectStoreError(() => cipher.open(sealed, 'tsid-2\0github'), 'decrypt_failed', /failed authentication/);
    expectStoreError(() => cipher.open(sealed, 'tsid-1\0google'), 'decrypt_failed', /failed authentication/);
  });

  it('rejects an unknown key id, naming it', () => {
    const other = createTokenCipher({ activeKeyId: 'k9', keys: { k9: k2 } });
    expectStoreError(() => cipher.open(other.seal('x', 'ctx'), 'ctx'), 'decrypt_failed', /key id "k9".*not configured/);
  });

  it('rejects a record relabelled with another configured key id', () => {
    const both = createTokenCipher({ activeKeyId: 'k1', keys: { k1, k2 } });
    const relabelled = both.seal('x', 'ctx').replace('v1.k1.', 'v1.k2.');
    expectStoreError(() => both.open(relabelled, 'ctx'), 'decrypt_failed', /failed authentication/);
  });

  it.each(['', 'not-sealed', 'v2.k1.a.b.c', 'v1.k1.a.b'])('rejects malformed input %j as corrupt_record', (value) => {
    expectStoreError(() => cipher.open(value, 'ctx'), 'corrupt_record', /format/);
  });

  it('rotation: records under the old key stay readable, new records use the active key', () => {
    const before = createTokenCipher({ activeKeyId: 'k1', keys: { k1 } });
    const oldRecord = before.seal('old-token', 'ctx');
    const after = createTokenCipher({ activeKeyId: 'k2', keys: { k1, k2 } });
    expect(after.open(oldRecord, 'ctx')).toBe('old-token');
    const newRecord = after.seal('new-token', 'ctx');
    expect(newRecord.startsWith('v1.k2.')).toBe(true);
    // Once k1 is removed, its records can no longer be read; k2 records still can.
    const retired = createTokenCipher({ activeKeyId: 'k2', keys: { k2 } });
    expect(retired.open(newRecord, 'ctx')).toBe('new-token');
    expectStoreError(() => retired.open(oldRecord, 'ctx'), 'decrypt_failed', /key id "k1"/);
  });

  it.each([
    [{ activeKeyId: 'k1', keys: {} }, /encryptionKeys\.keys: at least one key/],
    [{ activeKeyId: 'k1', keys: { k1: randomBytes(16) } }, /encryptionKeys\.keys\.k1: must be a 32-byte Buffer.*got 16 bytes/],
    [{ activeKeyId: 'k1', keys: { k1: 'x'.repeat(32) as unknown as Buffer } }, /encryptionKeys\.keys\.k1: must be a 32-byte Buffer.*got string/],
    [{ activeKeyId: 'nope', keys: { k1 } }, /encryptionKeys\.activeKeyId: "nope" is not one of/],
    [{ activeKeyId: 'a.b', keys: { 'a.b': k1 } }, /key id must match/],
  ])('rejects bad key configuration %#', (keys, message) => {
    expect(() => createTokenCipher(keys)).toThrow(message);
  });

  it('copies key material, so later mutation of the caller Buffer has no effect', () => {
    const material = Buffer.from(k1);
    const c = createTokenCipher({ activeKeyId: 'k1', keys: { k1: material } });
    const sealed = c.seal('x', 'ctx');
    material.fill(0);
    expect(c.open(sealed, 'ctx')).toBe('x');
  });

  describe('binary form (sealBytes / openBytes, the memory store)', () => {
    const rotated = createTokenCipher({ activeKeyId: 'k2', keys: { k1, k2 } });

    it('round-trips, carries the key id, never contains the plaintext, and is a quarter smaller than the text form', () => {
      const plaintext = 'upstream-secret-access-token'.repeat(20);
      const sealed = rotated.sealBytes(Buffer.from(plaintext), 'tsid-1\0github');
      expect(sealed.toString('latin1')).not.toContain('upstream-secret');
      expect(sealed.subarray(0, 4)).toEqual(Buffer.from([0x01, 2, 0x6b, 0x32])); // version, "k2"
      expect(rotated.openBytes(sealed, 'tsid-1\0github').toString()).toBe(plaintext);
      expect(sealed.length).toBeLessThan(rotated.seal(plaintext, 'tsid-1\0github').length * 0.8);
    });

    it.each([
      ['key id', 2],
      ['IV', 5],
      ['ciphertext', 20],
      ['tag', -1],
    ])('rejects a tampered %s with decrypt_failed', (_name, offset) => {
      const sealed = rotated.sealBytes(Buffer.from('upstream-secret'), 'ctx');
      const index = offset < 0 ? sealed.length + offset : offset;
      sealed[index] = sealed[index]! ^ 0x01;
      expectStoreError(() => rotated.openBytes(sealed, 'ctx'), 'decrypt_failed', offset === 2 ? /key id "j2"/ : /failed authentication/);
    });

    it('rejects a moved ciphertext, a retired key, and bytes that are not the format', () => {
      const sealed = rotated.sealBytes(Buffer.from('upstream-secret'), 'tsid-1\0github');
      expectStoreError(() => rotated.openBytes(sealed, 'tsid-2\0github'), 'decrypt_failed', /failed authentication/);
      expectStoreError(() => cipher.openBytes(sealed, 'tsid-1\0github'), 'decrypt_failed', /key id "k2", which is not configured/);
      expectStoreError(() => rotated.openBytes(Buffer.from('v1.k2.xx'), 'ctx'), 'corrupt_record', /binary v1 format/);
      expectStoreError(() => rotated.openBytes(sealed.subarray(0, 20), 'ctx'), 'corrupt_record', /binary v1 format/);
    });
  });
});
