import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { StoreError } from './types.ts';

/**
 * Keys for encryption at rest (spec §7.1): AES-256-GCM, 32-byte keys from a Secret. New records
 * are written with `activeKeyId`; every key in `keys` stays readable, so a key can be rotated by
 * adding the new one, making it active, and removing the old one after the longest session.
 */
export interface EncryptionKeys {
  activeKeyId: string;
  keys: Record<string, Buffer>;
}

/** Seals and opens small secrets bound to a context string (the AAD). */
export interface TokenCipher {
  readonly activeKeyId: string;
  /** Returns `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts). */
  seal(plaintext: string, context: string): string;
  /** Throws StoreError 'decrypt_failed' (tampered, wrong context, unknown key) or 'corrupt_record'. */
  open(sealed: string, context: string): string;
  /**
   * The same sealing in binary, `0x01 <keyId length> <keyId> <iv> <ciphertext> <tag>`, of a
   * binary plaintext: a quarter smaller than the base64 text, for the memory store, which keeps
   * it as a one-byte string.
   */
  sealBytes(plaintext: Buffer, context: string): Buffer;
  /** Opens what `sealBytes` returned, to the plaintext bytes; the same errors as `open`. */
  openBytes(sealed: Buffer, context: string): Buffer;
}

const FORMAT_VERSION = 'v1';
const BINARY_FORMAT_VERSION = 0x01;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Builds the cipher for upstream tokens. Validates the keys eagerly (a bad key set stops start-up
 * with a message naming the field) and imports each key once.
 *
 * The AAD is `v1 \0 keyId \0 context`: the context binds a ciphertext to its row (the store
 * passes tsid + provider), so a ciphertext copied into another row fails authentication, and the
 * key id is bound too, so relabelling a record with another key id fails as well.
 *
 * @example
 * ```ts
 * const cipher = createTokenCipher({ activeKeyId: 'k2', keys: { k1: oldKey, k2: newKey } });
 * const sealed = cipher.seal('upstream-refresh-token', 'tsid\0github');
 * cipher.open(sealed, 'tsid\0github'); // 'upstream-refresh-token'
 * ```
 */
export function createTokenCipher(encryptionKeys: EncryptionKeys): TokenCipher {
  const keys = importKeys(encryptionKeys);
  const activeKeyId = encryptionKeys.activeKeyId;
  const maybeActiveKey = keys.get(activeKeyId);
  if (maybeActiveKey === undefined) {
    throw new TypeError(`encryptionKeys.activeKeyId: "${activeKeyId}" is not one of encryptionKeys.keys`);
  }
  const activeKey: KeyObject = maybeActiveKey;
  function encrypt(plaintext: Buffer, context: string): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', activeKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(activeKeyId, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { iv, ciphertext, tag: cipher.getAuthTag() };
  }
  function decrypt(keyId: string, iv: Buffer, ciphertext: Buffer, tag: Buffer, context: string): Buffer {
    const key = keys.get(keyId);
    if (key === undefined) {
      throw new StoreError('decrypt_failed', `encrypted record uses key id "${keyId}", which is not configured in encryptionKeys.keys`);
    }
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new StoreError('decrypt_failed', 'encrypted record has a malformed IV or authentication tag');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(keyId, context));
      decipher.setAuthTag(tag);
      const head = decipher.update(ciphertext);
      // GCM is a stream mode: final() only checks the tag and returns no bytes, so the usual
      // answer is `head` as it is (no concatenated copy per read).
      const tail = decipher.final();
      return tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch {
      throw new StoreError('decrypt_failed', 'encrypted record failed authentication (tampered, moved to another row, or wrong key)');
    }
  }
  const activeKeyIdBytes = Buffer.from(activeKeyId, 'latin1');
  return {
    activeKeyId,
    seal(plaintext, context) {
      const { iv, ciphertext, tag } = encrypt(Buffer.from(plaintext, 'utf8'), context);
      return [FORMAT_VERSION, activeKeyId, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
    },
    open(sealed, context) {
      const parts = sealed.split('.');
      const [version, keyId, ivPart, ciphertextPart, tagPart] = parts;
      if (parts.length !== 5 || version !== FORMAT_VERSION || !keyId || ivPart === undefined || ciphertextPart === undefined || tagPart === undefined) {
        throw new StoreError('corrupt_record', 'encrypted record is not in the v1.<keyId>.<iv>.<ciphertext>.<tag> format');
      }
      return decrypt(keyId, Buffer.from(ivPart, 'base64url'), Buffer.from(ciphertextPart, 'base64url'), Buffer.from(tagPart, 'base64url'), context).toString('utf8');
    },
    sealBytes(plaintext, context) {
      const { iv, ciphertext, tag } = encrypt(plaintext, context);
      return Buffer.concat([Buffer.of(BINARY_FORMAT_VERSION, activeKeyIdBytes.length), activeKeyIdBytes, iv, ciphertext, tag]);
    },
    openBytes(sealed, context) {
      const keyIdEnd = 2 + (sealed[1] ?? 0);
      if (sealed[0] !== BINARY_FORMAT_VERSION || sealed.length < keyIdEnd + IV_BYTES + TAG_BYTES) {
        throw new StoreError('corrupt_record', 'encrypted record is not in the binary v1 format');
      }
      const ivEnd = keyIdEnd + IV_BYTES;
      const tagStart = sealed.length - TAG_BYTES;
      return decrypt(sealed.toString('latin1', 2, keyIdEnd), sealed.subarray(keyIdEnd, ivEnd), sealed.subarray(ivEnd, tagStart), sealed.subarray(tagStart), context);
    },
  };
}

function additionalData(keyId: string, context: string): Buffer {
  return Buffer.from(`${FORMAT_VERSION}\0${keyId}\0${context}`, 'utf8');
}

function importKeys(encryptionKeys: EncryptionKeys): Map<string, KeyObject> {
  if (typeof encryptionKeys !== 'object' || encryptionKeys === null || typeof encryptionKeys.keys !== 'object' || encryptionKeys.keys === null) {
    throw new TypeError('encryptionKeys: must be { activeKeyId: string; keys: Record<string, Buffer> }');
  }
  const entries = Object.entries(encryptionKeys.keys);
  if (entries.length === 0) throw new TypeError('encryptionKeys.keys: at least one key is required');
  const imported = new Map<string, KeyObject>();
  for (const [keyId, material] of entries) {
    if (!KEY_ID_PATTERN.test(keyId)) {
      throw new TypeError(`encryptionKeys.keys["${keyId}"]: key id must match ${KEY_ID_PATTERN.source}`);
    }
    if (!Buffer.isBuffer(material) || material.length !== KEY_BYTES) {
      const got = Buffer.isBuffer(material) ? `${material.length} bytes` : typeof material;
      throw new TypeError(`encryptionKeys.keys.${keyId}: must be a ${KEY_BYTES}-byte Buffer (AES-256), got ${got}`);
    }
    imported.set(keyId, createSecretKey(Buffer.from(material)));
  }
  return imported;
}
