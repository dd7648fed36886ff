import type { Request, Response } from 'express';
import type { AuthServerContext } from '../context.ts';
import { InvalidGrant, InvalidRequest, InvalidScope, InvalidTarget } from '../errors.ts';
import { normalizedResourceParam } from '../checks/resource.ts';
import { parseScopes } from '../checks/scope.ts';
import { single } from '../lib/params.ts';
import { sha256Hex } from '../lib/tokens.ts';
import { issueTokens, sendIssuedTokens } from '../lib/issue-tokens.ts';
import { revokeGrant } from '../lib/revoke-grant.ts';
import { sessionExtensionMs } from '../lib/session-expiry.ts';
import { hashForLog } from '../../telemetry/index.ts';
import type { RotateOutcome } from '../../store/index.ts';
import { requestAudit } from '../lib/request-audit.ts';

export const grantType = 'refresh_token';
export const parameters: ReadonlySet<string> = new Set(['refresh_token', 'scope', 'resource']);

const REJECTION: Record<Exclude<RotateOutcome, 'ok'>, string> = {
  replay: 'refresh token was already used; the whole grant has been revoked',
  not_found: 'refresh token is invalid',
  expired: 'refresh token is expired',
  revoked: 'refresh token has been revoked',
};

/**
 * RFC 6749 §6 + spec §5.3: rotation on every use (atomic compare-and-set in the store); a replayed
 * token revokes the whole family, its access tokens, the session and its upstream tokens.
 * Scope may only narrow; resource must stay the same; the session and its upstream row must
 * still exist (a dead upstream grant forces a new login).
 */
export function handler(ctx: AuthServerContext) {
  return async function refreshTokenGrant(req: Request, res: Response): Promise<void> {
    const params = req.oauthParams!;
    const client = res.locals.client!;
    const token = single(params, 'refresh_token');
    if (token === undefined) throw new InvalidRequest('refresh_token is required');
    const resource = normalizedResourceParam(params, false);
    const hash = sha256Hex(token);

    const record = await ctx.store.refreshTokens.get(hash);
    if (!record) throw new InvalidGrant(REJECTION.not_found);
    if (record.clientId !== client.clientId) throw new InvalidGrant('refresh token was issued to another client');
    if (record.usedAtMs !== null || record.revokedAtMs !== null) {
      await replayDetected(ctx, res, record.familyId, record.tsid, client.clientId);
      throw new InvalidGrant(REJECTION.replay);
    }
    if (record.expiresAtMs <= ctx.now()) throw new InvalidGrant(REJECTION.expired);
    const requested = single(params, 'scope');
    let scopes = record.scopes;
    if (requested !== undefined) {
      scopes = parseScopes(requested, undefined);
      const broader = scopes.find((s) => !record.scopes.includes(s));
      if (broader !== undefined) throw new InvalidScope(`scope "${broader}" was not granted originally; refresh may only narrow scope`);
    }
    if (resource !== undefined && resource !== record.resource) throw new InvalidTarget('resource does not match the one of the original grant');

    const [session, upstream] = await Promise.all([ctx.store.sessions.get(record.tsid), ctx.store.upstreamTokens.getAll(record.tsid)]);
    if (!session || session.revokedAtMs !== undefined || session.expiresAtMs <= ctx.now()) {
      throw new InvalidGrant('the session of this refresh token no longer exists');
    }
    if (Object.keys(upstream).length === 0) throw new InvalidGrant('the upstream login of this session is gone; authorize again');

    let outcome: RotateOutcome = 'ok';
    const body = await issueTokens(ctx, client, { ...record, scopes }, async (next) => {
      outcome = await ctx.store.refreshTokens.rotate(hash, next, ctx.now());
      if (outcome !== 'ok') throw new RotationLost(outcome);
    }).catch(async (err: unknown) => {
      if (!(err instanceof RotationLost)) throw err;
      if (err.outcome === 'replay' || err.outcome === 'revoked') await replayDetected(ctx, res, record.familyId, record.tsid, client.clientId);
      throw new InvalidGrant(REJECTION[err.outcome]);
    });
    const extended = sessionExtensionMs(ctx.now(), ctx.config.tokenLifespans.refreshTokenSeconds * 1000, session.expiresAtMs);
    if (extended !== null) await ctx.store.sessions.extend(record.tsid, extended);
    sendIssuedTokens(ctx, res, grantType, client.clientId, record, body);
  };
}

class RotationLost extends Error {
  constructor(readonly outcome: Exclude<RotateOutcome, 'ok'>) {
    super(`refresh rotation: ${outcome}`);
  }
}

async function replayDetected(ctx: AuthServerContext, res: Response, familyId: string, tsid: string, clientId: string): Promise<void> {
  await revokeGrant(ctx, { familyId, tsid });
  ctx.metrics.replaysDetected.inc({ kind: 'refresh_token' });
  requestAudit(ctx, res).write({ event: 'refresh.replay_detected', outcome: 'denied', reason: 'refresh_token_reused', client_id: clientId, family_id: familyId, tsid_hash: hashForLog(tsid) });
}
