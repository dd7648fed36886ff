import type { Request, RequestHandler, Response } from 'express';
import type { AuthServerContext } from '../context.ts';
import { cors, publicCache } from '../lib/http.ts';

/** GET /.well-known/jwks.json (spec §2.3): public parts only, active key first. */
export function jwksRoute(ctx: AuthServerContext): RequestHandler[] {
  const body = JSON.stringify(ctx.keys.jwks());
  return [
    cors('GET'),
    publicCache,
    function sendJwks(_req: Request, res: Response): void {
      res.type('application/json').send(body);
    },
  ];
}
