import type { TokenCipher } from '../encryption.ts';
import { StoreError, type UpstreamTokens } from '../types.ts';

/**
 * Upstream tokens at rest (spec §7.1): the whole row is sealed with AES-256-GCM; the AAD binds it
 * to (tsid, provider), so a sealed row copied under another session or provider fails to open.
 * `sessionExpiresAtMs` is also kept in clear beside the sealed value because `sessions.extend`
 * moves it without decrypting; the clear value wins on read.
 */
export function sealUpstreamRow(cipher: TokenCipher, tsid: string, provider: string, tokens: UpstreamTokens): string {
  return cipher.seal(JSON.stringify(tokens), rowContext(tsid, provider));
}

export function openUpstreamRow(cipher: TokenCipher, tsid: string, provider: string, sealed: string, sessionExpiresAtMs: number): UpstreamTokens {
  const plaintext = cipher.open(sealed, rowContext(tsid, provider));
  let tokens: UpstreamTokens;
  try {
    tokens = JSON.parse(plaintext) as UpstreamTokens;
  } catch {
    throw new StoreError('corrupt_record', `upstream token row (${provider}) is not valid JSON after decryption`);
  }
  if (typeof tokens !== 'object' || tokens === null || tokens.provider !== provider || typeof tokens.accessToken !== 'string') {
    throw new StoreError('corrupt_record', `upstream token row (${provider}) has an unexpected shape`);
  }
  return { ...tokens, sessionExpiresAtMs };
}

function rowContext(tsid: string, provider: string): string {
  return `upstream\0${tsid}\0${provider}`;
}
