import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StoreError, type UpstreamTokens } from '../types.ts';
import { packUpstreamRow, unpackUpstreamRow } from './packed-upstream-row.ts';

const b64 = (bytes: number) => randomBytes(bytes).toString('base64url');
/** A token shaped like an Okta or Entra access token: three base64url parts, ~930 characters. */
const jwtLike = `${b64(27)}.${b64(600)}.${b64(64)}`;

function row(overrides: Partial<UpstreamTokens> = {}): UpstreamTokens {
  return {
    provider: 'corp',
    accessToken: jwtLike,
    refreshToken: b64(48),
    expiresAtMs: 1_796_590_852_025,
    sessionExpiresAtMs: 1_797_192_052_025,
    userId: '6f52bb06-c2f7-4c4c-bc85-a5b941170782',
    upstreamSubject: 'user-42',
    clientId: 'client-1',
    ...overrides,
  };
}

const roundTrip = (tokens: UpstreamTokens) => unpackUpstreamRow(packUpstreamRow(tokens), tokens.provider, tokens.sessionExpiresAtMs);

describe('packed upstream row (the memory store plaintext)', () => {
  it('round-trips a typical row and is about a third smaller than its JSON', () => {
    const tokens = row();
    expect(roundTrip(tokens)).toEqual(tokens);
    const packed = packUpstreamRow(tokens).length;
    const json = Buffer.byteLength(JSON.stringify(tokens));
    expect(packed).toBeLessThan(json * 0.72);
  });

  it.each([
    ['empty', ''],
    ['padded base64', 'YWJjZA=='],
    ['stray bits in the last character (decodes to the same bytes as "YWI")', 'YWJ'],
    ['characters outside base64url', 'ab+c/d e'],
    ['a dot at either end', '.abc.'],
    ['unicode', 'tøken-ü-漢字'],
    ['an opaque Google-style token', `ya29.${b64(150)}`],
  ])('round-trips a token that is %s exactly', (_name, token) => {
    const tokens = row({ accessToken: token, refreshToken: token });
    expect(roundTrip(tokens)).toEqual(tokens);
  });

  it('round-trips any strings and expiry (property)', () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme' }), fc.base64String(), fc.stringMatching(/^[A-Za-z0-9_.=+/-]{0,80}$/));
    fc.assert(
      fc.property(text, text, text, text, fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 52 })), (accessToken, refreshToken, userId, upstreamSubject, expiresAtMs) => {
        const tokens = row({ accessToken, refreshToken, userId, upstreamSubject, expiresAtMs });
        expect(roundTrip(tokens)).toEqual(tokens);
      }),
    );
  });

  it('keeps sessionExpiresAtMs out of the bytes: the value passed to unpack wins', () => {
    const packed = packUpstreamRow(row());
    expect(unpackUpstreamRow(packed, 'corp', 123).sessionExpiresAtMs).toBe(123);
  });

  it.each([
    ['another format (a JSON row)', () => Buffer.from(JSON.stringify(row())), /unknown format/],
    ['a truncated row', () => packUpstreamRow(row()).subarray(0, 500), /truncated/],
    ['a row with bytes after the end', () => Buffer.concat([packUpstreamRow(row()), Buffer.of(0)]), /wrong length/],
    ['a row without its expiry', () => packUpstreamRow(row()).subarray(0, -8), /truncated|wrong length/],
  ])('rejects %s with corrupt_record', (_name, bytes, message) => {
    expect(() => unpackUpstreamRow(bytes(), 'corp', 1)).toThrow(StoreError);
    expect(() => unpackUpstreamRow(bytes(), 'corp', 1)).toThrow(message);
  });

  it('rejects a row of another provider and an unknown token form', () => {
    expect(() => unpackUpstreamRow(packUpstreamRow(row({ provider: 'github' })), 'corp', 1)).toThrow(/another provider/);
    const packed = packUpstreamRow(row({ provider: 'p' }));
    // version, provider field (4 + 1 bytes), then the access token field: length, then its form byte.
    packed[1 + 5 + 4] = 0x07;
    expect(() => unpackUpstreamRow(packed, 'p', 1)).toThrow(/unknown token form/);
  });

  it('keeps a base64url token as its decoded bytes, not as its text', () => {
    const packed = packUpstreamRow(row()).toString('latin1');
    expect(packed).not.toContain(jwtLike.slice(0, 20));
  });
});
