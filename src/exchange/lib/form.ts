import type { IncomingMessage } from 'node:http';
import { InvalidRequest, PayloadTooLarge } from '../errors.ts';

export const BODY_LIMIT_BYTES = 64 * 1024;

/** Reads the request body up to `limitBytes`; a larger body is refused without buffering it all. */
export function readBody(req: IncomingMessage, limitBytes = BODY_LIMIT_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    return Promise.reject(new PayloadTooLarge('body_too_large', `request body exceeds ${limitBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Listeners are plain arrows passed in place and added with `on`, not `once`: a request ends
    // (or fails) at most once and is dropped afterwards, a settled promise ignores a second
    // call, and nothing is wrapped or named per request on this hot path.
    req.on('data', (chunk: Buffer) => {
      if (size > limitBytes) return; // already refused: the rest is read and dropped
      size += chunk.length;
      if (size > limitBytes) {
        chunks.length = 0;
        reject(new PayloadTooLarge('body_too_large', `request body exceeds ${limitBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Parses `application/x-www-form-urlencoded`; a repeated parameter is an error (RFC 6749 §3.2:
 * "Request and response parameters MUST NOT be included more than once").
 *
 * Same result as `URLSearchParams` (property-tested): pairs are split here and decoded with
 * `decodeURIComponent` (after `+` → space), which is several times cheaper per request; a pair
 * `decodeURIComponent` refuses (a stray `%`, invalid UTF-8) sends the whole body through
 * `URLSearchParams`, whose lenient decoding then decides.
 */
export function parseForm(body: Buffer): Map<string, string> {
  const text = body.toString('utf8');
  const out = new Map<string, string>();
  let start = text.startsWith('?') ? 1 : 0; // URLSearchParams drops a leading "?"
  try {
    while (start <= text.length) {
      let end = text.indexOf('&', start);
      if (end === -1) end = text.length;
      if (end > start) {
        // Search "=" within this pair only: a body of pairs without "=" stays linear.
        const pair = text.slice(start, end);
        const eq = pair.indexOf('=');
        const k = decodeFormComponent(eq === -1 ? pair : pair.slice(0, eq));
        const v = eq === -1 ? '' : decodeFormComponent(pair.slice(eq + 1));
        if (out.has(k)) throw duplicate(k);
        out.set(k, v);
      }
      start = end + 1;
    }
    return out;
  } catch (err) {
    if (!(err instanceof URIError)) throw err;
  }
  const lenient = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(text)) {
    if (lenient.has(k)) throw duplicate(k);
    lenient.set(k, v);
  }
  return lenient;
}

function decodeFormComponent(raw: string): string {
  const part = raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
  if (!part.includes('%')) return part;
  if (part.length > DECODED_MAX_LENGTH) return decodeURIComponent(part);
  let text = decoded.get(part);
  if (text === undefined) {
    text = decodeURIComponent(part); // a URIError is thrown, not remembered
    if (decoded.size >= DECODED_MAX) decoded.clear();
    decoded.set(part, text);
  }
  return text;
}

/**
 * Short percent-encoded components and their decoded text: the exchange's constant URNs
 * (`grant_type`, `subject_token_type`) arrive percent-encoded in every request, and a lookup costs
 * a fraction of decoding them again. Bounded (entries and their length); cleared when full.
 */
const DECODED_MAX = 64;
const DECODED_MAX_LENGTH = 256;
const decoded = new Map<string, string>();

function duplicate(name: string): InvalidRequest {
  return new InvalidRequest('duplicate_parameter', `parameter ${name} must not be repeated`);
}

/** True when the media type (ignoring parameters such as charset) is form-urlencoded. */
export function isFormContentType(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(';', 1)[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}
