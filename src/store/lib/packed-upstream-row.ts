import { StoreError, type UpstreamTokens } from '../types.ts';

/**
 * The plaintext of an upstream row in the memory store, in binary instead of JSON (issue 7: the
 * row is most of a session's memory). What it saves over `JSON.stringify(tokens)`: the field
 * names, and a quarter of each token, because a token whose '.'-separated parts are all canonical
 * base64url (a JWT, or an opaque random token) is kept as the decoded bytes of its parts: ~385 of
 * ~1,230 bytes for a 934-character upstream JWT. Any other token is kept as its UTF-8 text, so
 * every string round-trips exactly. The memory store lives and dies with the process, so the
 * layout needs no migration; the version byte only makes a foreign plaintext fail loudly.
 *
 * Layout: `0x02`, then provider, accessToken, refreshToken, userId, upstreamSubject, clientId as
 * fields (`u32 length` + bytes), then expiresAtMs as a float64. A token field starts with a
 * form byte: `0x00` + UTF-8 text, or `0x01` + its base64url parts as fields.
 * `sessionExpiresAtMs` is not inside: the store keeps it in clear beside the sealed row.
 */
const VERSION = 0x02;
const TEXT = 0x00;
const BASE64URL_PARTS = 0x01;

export function packUpstreamRow(tokens: UpstreamTokens): Buffer {
  const fields = [
    Buffer.from(tokens.provider, 'utf8'),
    packToken(tokens.accessToken),
    packToken(tokens.refreshToken),
    Buffer.from(tokens.userId, 'utf8'),
    Buffer.from(tokens.upstreamSubject, 'utf8'),
    Buffer.from(tokens.clientId, 'utf8'),
  ];
  const expiresAt = Buffer.allocUnsafe(8);
  expiresAt.writeDoubleBE(tokens.expiresAtMs);
  return Buffer.concat([Buffer.of(VERSION), ...fields.flatMap(withLength), expiresAt]);
}

/** Throws StoreError 'corrupt_record' when `plaintext` is not a packed row of `provider`. */
export function unpackUpstreamRow(plaintext: Buffer, provider: string, sessionExpiresAtMs: number): UpstreamTokens {
  if (plaintext[0] !== VERSION) corrupt(provider, 'unknown format');
  const reader = new FieldReader(plaintext, 1, plaintext.length, provider);
  const row: UpstreamTokens = {
    provider: reader.text(),
    accessToken: reader.token(),
    refreshToken: reader.token(),
    userId: reader.text(),
    upstreamSubject: reader.text(),
    clientId: reader.text(),
    expiresAtMs: 0,
    sessionExpiresAtMs,
  };
  if (reader.at + 8 !== plaintext.length) corrupt(provider, 'wrong length');
  row.expiresAtMs = plaintext.readDoubleBE(reader.at);
  if (row.provider !== provider) corrupt(provider, 'another provider');
  return row;
}

function packToken(token: string): Buffer {
  const parts = token.split('.');
  const decoded = parts.map((part) => Buffer.from(part, 'base64url'));
  // Node's base64url decoder skips characters outside the alphabet and ignores stray bits, so
  // only a part that encodes back to itself is kept decoded.
  if (decoded.every((bytes, i) => bytes.toString('base64url') === parts[i])) {
    return Buffer.concat([Buffer.of(BASE64URL_PARTS), ...decoded.flatMap(withLength)]);
  }
  return Buffer.concat([Buffer.of(TEXT), Buffer.from(token, 'utf8')]);
}

function withLength(bytes: Buffer): Buffer[] {
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
}

/**
 * Reads `u32 length` + bytes fields of `bytes` between `at` and `limit`, decoding each straight
 * from the buffer (no slice per field: a row is opened on every token exchange).
 */
class FieldReader {
  /** The bounds of the field read last. */
  private start = 0;
  private end = 0;

  constructor(
    private readonly bytes: Buffer,
    public at: number,
    private readonly limit: number,
    private readonly provider: string,
  ) {}

  text(): string {
    this.next();
    return this.bytes.toString('utf8', this.start, this.end);
  }

  token(): string {
    this.next();
    const form = this.bytes[this.start];
    if (form === TEXT) return this.bytes.toString('utf8', this.start + 1, this.end);
    if (form !== BASE64URL_PARTS) corrupt(this.provider, 'unknown token form');
    const parts = new FieldReader(this.bytes, this.start + 1, this.end, this.provider);
    let token = parts.base64url();
    while (parts.at < parts.limit) token += `.${parts.base64url()}`;
    return token;
  }

  private base64url(): string {
    this.next();
    return this.bytes.toString('base64url', this.start, this.end);
  }

  private next(): void {
    if (this.at + 4 > this.limit) corrupt(this.provider, 'truncated');
    this.start = this.at + 4;
    this.end = this.start + this.bytes.readUInt32BE(this.at);
    if (this.end > this.limit) corrupt(this.provider, 'truncated');
    this.at = this.end;
  }
}

function corrupt(provider: string, why: string): never {
  throw new StoreError('corrupt_record', `upstream token row (${provider}) is not a packed row after decryption (${why})`);
}
