import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthServerContext } from '../context.ts';
import { InvalidRequest } from '../errors.ts';
import { cors, noStore } from '../lib/http.ts';
import { findDuplicate, parseFormBody, readBody, single } from '../lib/params.ts';
import { authenticateClient } from '../lib/client-auth.ts';
import { revokeGrant } from '../lib/revoke-grant.ts';
import { sha256Hex } from '../lib/tokens.ts';
import { verifyAccessToken } from '../keys/access-token.ts';
import { hashForLog } from '../../telemetry/index.ts';
import { requestAudit } from '../lib/request-audit.ts';

const BODY_LIMIT_BYTES = 64 * 1024;

function requireToken(req: Request, _res: Response, next: NextFunction): void {
  const dup = findDuplicate(req.oauthParams!);
  if (dup !== undefined) throw new InvalidRequest(`parameter ${dup} must not be repeated`);
  if (single(req.oauthParams!, 'token') === undefined) throw new InvalidRequest('token is required');
  next();
}

/**
 * RFC 7009 + spec §2.8/§5.7: always 200; only tokens of the authenticated client are affected.
 * A refresh token revokes its family, access tokens, session and upstream tokens; an access
 * token is deny-listed until `exp` and its session is revoked for exchange.
 */
function revokeToken(ctx: AuthServerContext) {
  return async function revokePresentedToken(req: Request, res: Response): Promise<void> {
    const token = single(req.oauthParams!, 'token')!;
    const hint = single(req.oauthParams!, 'token_type_hint');
    const client = res.locals.client!;
    const tryRefresh = async (): Promise<boolean> => {
      const record = await ctx.store.refreshTokens.get(sha256Hex(token));
      if (!record) return false;
      if (record.clientId === client.clientId) {
        await revokeGrant(ctx, { familyId: record.familyId, tsid: record.tsid });
        requestAudit(ctx, res).write({ event: 'token.revoke', outcome: 'success', token_type: 'refresh_token', client_id: client.clientId, family_id: record.familyId, tsid_hash: hashForLog(record.tsid) });
      }
      return true;
    };
    const tryAccess = async (): Promise<boolean> => {
      if (token.split('.').length !== 3) return false;
      let claims;
      try {
        claims = await verifyAccessToken(ctx.keys, token, { issuer: ctx.config.issuer, currentDate: new Date(ctx.now()) });
      } catch {
        return false;
      }
      if (claims.client_id === client.clientId) {
        await ctx.store.denyList.deny(claims.jti, claims.exp * 1000);
        if (typeof claims.tsid === 'string' && claims.tsid) await ctx.store.sessions.markRevoked(claims.tsid, ctx.now());
        requestAudit(ctx, res).write({ event: 'token.revoke', outcome: 'success', token_type: 'access_token', client_id: client.clientId, tsid_hash: hashForLog(String(claims.tsid)) });
      }
      return true;
    };
    if (hint === 'access_token') {
      if (!(await tryAccess())) await tryRefresh();
    } else if (!(await tryRefresh())) {
      await tryAccess();
    }
    res.status(200).end();
  };
}

/** POST /oauth/revoke (RFC 7009). */
export function revokeRoute(ctx: AuthServerContext): RequestHandler[] {
  return [
    cors('POST'),
    noStore,
    readBody(BODY_LIMIT_BYTES, (limit) => new InvalidRequest(`request body exceeds ${limit} bytes`)),
    parseFormBody,
    requireToken,
    authenticateClient(ctx),
    revokeToken(ctx),
  ] as RequestHandler[];
}
