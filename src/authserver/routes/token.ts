import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthServerContext } from '../context.ts';
import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../errors.ts';
import { cors, noStore } from '../lib/http.ts';
import { findDuplicate, parseFormBody, readBody, single } from '../lib/params.ts';
import { authenticateClient } from '../lib/client-auth.ts';
import * as authorizationCode from '../grants/authorization-code.ts';
import * as refreshToken from '../grants/refresh-token.ts';

const BODY_LIMIT_BYTES = 64 * 1024;
const grants = [authorizationCode, refreshToken];

/** RFC 6749 §3.1: no repeated parameters; a repeated `resource` is invalid_target (RFC 8707), checked by the grant. */
function rejectDuplicateParams(req: Request, _res: Response, next: NextFunction): void {
  const dup = findDuplicate(req.oauthParams!, new Set(['resource']));
  if (dup !== undefined) throw new InvalidRequest(`parameter ${dup} must not be repeated`);
  next();
}

/** Spec §2.6: only authorization_code and refresh_token; everything else (token exchange included) is unsupported here. */
function pickGrant(ctx: AuthServerContext) {
  const handlers = new Map(grants.map((g) => [g.grantType, g.handler(ctx)]));
  return async function dispatchGrant(req: Request, res: Response): Promise<void> {
    const grantType = single(req.oauthParams!, 'grant_type');
    if (grantType === undefined) throw new InvalidRequest('grant_type is required');
    const handler = handlers.get(grantType);
    if (!handler) throw new UnsupportedGrantType(`grant_type "${grantType.slice(0, 100)}" is not supported; use authorization_code or refresh_token`);
    const client = res.locals.client!;
    if (!client.grantTypes.includes(grantType)) throw new UnauthorizedClient(`this client is not registered for grant_type ${grantType}`);
    await handler(req, res);
  };
}

/** POST /oauth/token (spec §2.6). */
export function tokenRoute(ctx: AuthServerContext): RequestHandler[] {
  return [
    cors('POST'),
    noStore,
    readBody(BODY_LIMIT_BYTES, (limit) => new InvalidRequest(`request body exceeds ${limit} bytes`)),
    parseFormBody,
    rejectDuplicateParams,
    authenticateClient(ctx),
    pickGrant(ctx),
  ] as RequestHandler[];
}
