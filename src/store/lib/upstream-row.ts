import type { TokenCipher } from '../encryption.ts';
import { StoreError, type UpstreamTokens } from '../types.ts';
import { packUpstreamRow, unpackUpstreamRow } from './packed-upstream-row.ts';

/**
 * Upstream tokens at rest (spec §7.1): the whole row is sealed with AES-256-GCM; the AAD binds it
 * to (tsid, provider), so a sealed row copied under another session or provider fails to open.
 * `sessionExpiresAtMs` is also kept in clear beside the sealed value because `sessions.extend`
 * moves it without decrypting; the clear value wins on read. Redis keeps the text form
 * (`seal` of the JSON row), the memory store the binary one (`sealBytes` of the packed row of
 * packed-upstream-row.ts, a third smaller).
 */
export function sealUpstreamRow(cipher: TokenCipher, tsid: string, provider: string, tokens: UpstreamTokens): string {
  return cipher.seal(JSON.stringify(tokens), rowContext(tsid, provider));
}

export function openUpstreamRow(cipher: TokenCipher, tsid: string, provider: string, sealed: string, sessionExpiresAtMs: number): UpstreamTokens {
  return parseRow(cipher.open(sealed, rowContext(tsid, provider)), provider, sessionExpiresAtMs);
}

export function sealUpstreamRowBytes(cipher: TokenCipher, tsid: string, provider: string, tokens: UpstreamTokens): Buffer {
  return cipher.sealBytes(packUpstreamRow(tokens), rowContext(tsid, provider));
}

export function openUpstreamRowBytes(cipher: TokenCipher, tsid: string, provider: string, sealed: Buffer, sessionExpiresAtMs: number): UpstreamTokens {
  return unpackUpstreamRow(cipher.openBytes(sealed, rowContext(tsid, provider)), provider, sessionExpiresAtMs);
}

function parseRow(plaintext: string, provider: string, sessionExpiresAtMs: number): UpstreamTokens {
  let row: UpstreamTokens;
  try {
    row = JSON.parse(plaintext) as UpstreamTokens;
  } catch {
    throw new StoreError('corrupt_record', `upstream token row (${provider}) is not valid JSON after decryption`);
  }
  if (typeof row !== 'object' || row === null || row.provider !== provider || typeof row.accessToken !== 'string') {
    throw new StoreError('corrupt_record', `upstream token row (${provider}) has an unexpected shape`);
  }
  // Field by field, so a row written by an older version (which also kept the upstream ID
  // token) hands out only what UpstreamTokens holds today.
  return {
    provider: row.provider,
    accessToken: row.accessToken,
    refreshToken: row.refreshToken,
    expiresAtMs: row.expiresAtMs,
    sessionExpiresAtMs,
    userId: row.userId,
    upstreamSubject: row.upstreamSubject,
    clientId: row.clientId,
  };
}

function rowContext(tsid: string, provider: string): string {
  return `upstream\0${tsid}\0${provider}`;
}
