import type { NextFunction, Request, Response } from 'express';

/** Spec §2.0: token-bearing responses are never cached. */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  next();
}

/** Spec §2.1–2.3: discovery and JWKS are cacheable for an hour; JSON is nosniff. */
export function publicCache(_req: Request, res: Response, next: NextFunction): void {
  res.set({ 'Cache-Control': 'public, max-age=3600', 'X-Content-Type-Options': 'nosniff' });
  next();
}

/**
 * CORS for browser MCP clients (MCP Inspector) on discovery, JWKS, register, token and revoke;
 * never on authorize/callback (those are top-level navigations). No credentials are allowed, so a
 * wildcard origin is safe.
 */
export function cors(methods: string) {
  return function allowCrossOrigin(req: Request, res: Response, next: NextFunction): void {
    res.set({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': `${methods}, OPTIONS`,
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, MCP-Protocol-Version',
      'Access-Control-Max-Age': '600',
    });
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}
