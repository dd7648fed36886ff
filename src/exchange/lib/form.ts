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
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.off('data', onData);
        req.resume();
        reject(new PayloadTooLarge('body_too_large', `request body exceeds ${limitBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * Parses `application/x-www-form-urlencoded`; a repeated parameter is an error (RFC 6749 §3.2:
 * "Request and response parameters MUST NOT be included more than once").
 */
export function parseForm(body: Buffer): Map<string, string> {
  const params = new URLSearchParams(body.toString('utf8'));
  const out = new Map<string, string>();
  for (const [k, v] of params) {
    if (out.has(k)) throw new InvalidRequest('duplicate_parameter', `parameter ${k} must not be repeated`);
    out.set(k, v);
  }
  return out;
}

/** True when the media type (ignoring parameters such as charset) is form-urlencoded. */
export function isFormContentType(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(';', 1)[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}
