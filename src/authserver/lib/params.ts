import type { NextFunction, Request, Response } from 'express';
import { InvalidRequest, type OAuthError } from '../errors.ts';

/** Request parameters as a multimap, so duplicates stay visible (RFC 6749 §3.1: no repeats). */
export type Params = Map<string, string[]>;

declare module 'express-serve-static-core' {
  interface Request {
    oauthParams?: Map<string, string[]>;
    rawBody?: Buffer;
  }
}

/**
 * Parses `application/x-www-form-urlencoded` text (or a query string) into a multimap.
 *
 * @example
 * parseParams('a=1&a=2&b=').get('a') // ['1', '2']
 */
export function parseParams(text: string): Params {
  const params: Params = new Map();
  for (const [key, value] of new URLSearchParams(text)) {
    const list = params.get(key);
    if (list) list.push(value);
    else params.set(key, [value]);
  }
  return params;
}

/** The single value of a parameter; empty strings count as absent (RFC 6749 §3.1). */
export function single(params: Params, name: string): string | undefined {
  const v = params.get(name)?.[0];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
 * `except` names parameters whose repetition has its own error (resource → invalid_target).
 */
export function findDuplicate(params: Params, except: ReadonlySet<string> = new Set()): string | undefined {
  for (const [key, values] of params) if (values.length > 1 && !except.has(key)) return key;
  return undefined;
}

/**
 * Middleware reading the body up to `limitBytes`; larger bodies are refused with the error built
 * by `tooLarge` (the caller picks the RFC code). The connection is not left hanging.
 */
export function readBody(limitBytes: number, tooLarge: (limitBytes: number) => OAuthError) {
  return function readLimitedBody(req: Request, _res: Response, next: NextFunction): void {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limitBytes) {
      req.resume();
      next(tooLarge(limitBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limitBytes) {
        failed = true;
        next(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      req.rawBody = Buffer.concat(chunks);
      next();
    });
    req.on('error', (err) => {
      if (!failed) next(err);
    });
  };
}

/** Form body → `req.oauthParams`; refuses any other content type. */
export function parseFormBody(req: Request, _res: Response, next: NextFunction): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    next(new InvalidRequest('Content-Type must be application/x-www-form-urlencoded'));
    return;
  }
  req.oauthParams = parseParams((req.rawBody ?? Buffer.alloc(0)).toString('utf8'));
  next();
}
