import type { Request, Response } from 'express';
import type { AuthServerContext } from '../context.ts';
import { InvalidGrant, InvalidRequest, InvalidTarget } from '../errors.ts';
import { normalizedResourceParam } from '../checks/resource.ts';
import { CODE_VERIFIER } from '../checks/pkce.ts';
import { single } from '../lib/params.ts';
import { s256, safeEqual, sha256Hex } from '../lib/tokens.ts';
import { issueTokens, sendIssuedTokens } from '../lib/issue-tokens.ts';
import { revokeGrant } from '../lib/revoke-grant.ts';
import { hashForLog } from '../../telemetry/index.ts';
import { requestAudit } from '../lib/request-audit.ts';

export const grantType = 'authorization_code';
export const parameters: ReadonlySet<string> = new Set(['code', 'redirect_uri', 'code_verifier', 'resource']);

/**
 * RFC 6749 §4.1.3 + RFC 7636 §4.6 + spec §2.6: same client and redirect_uri as at authorize, S256
 * verifier, resource equal to the authorize one, then single use (reuse revokes what it issued).
 */
export function handler(ctx: AuthServerContext) {
  return async function authorizationCodeGrant(req: Request, res: Response): Promise<void> {
    const params = req.oauthParams!;
    const client = res.locals.client!;
    const code = single(params, 'code');
    if (code === undefined) throw new InvalidRequest('code is required');
    const redirectUri = single(params, 'redirect_uri');
    if (redirectUri === undefined) throw new InvalidRequest('redirect_uri is required');
    const verifier = single(params, 'code_verifier');
    if (verifier === undefined) throw new InvalidRequest('code_verifier is required (PKCE)');
    if (!CODE_VERIFIER.test(verifier)) throw new InvalidRequest('code_verifier must be 43-128 characters of [A-Za-z0-9._~-] (RFC 7636)');
    const resource = normalizedResourceParam(params, false);

    // Everything a party without the client's PKCE verifier would fail is checked BEFORE the code
    // is spent: otherwise an intercepted code could be burned with a junk verifier, and the real
    // client's redemption would then look like a replay and revoke the user's grant.
    const codeHash = sha256Hex(code);
    const record = await ctx.store.codes.peek(codeHash);
    if (!record || record.expiresAtMs <= ctx.now()) throw new InvalidGrant('code is invalid or expired');
    if (record.clientId !== client.clientId) throw new InvalidGrant('code was issued to another client');
    if (record.redirectUri !== redirectUri) throw new InvalidGrant('redirect_uri does not match the one used at authorization');
    if (!safeEqual(s256(verifier), record.pkceChallenge)) throw new InvalidGrant('code_verifier does not match the code_challenge (PKCE S256)');
    if (resource !== undefined && resource !== record.resource) throw new InvalidTarget('resource does not match the one used at authorization');

    const consumed = await ctx.store.codes.consume(codeHash);
    if (!consumed) throw new InvalidGrant('code is invalid or expired');
    if (consumed.alreadyUsed) {
      // RFC 6749 §4.1.2: a reused code SHOULD revoke the tokens previously issued from it.
      await revokeGrant(ctx, { familyId: record.familyId, tsid: record.tsid });
      ctx.metrics.replaysDetected.inc({ kind: 'code' });
      requestAudit(ctx, res).write({ event: 'code.replay_detected', outcome: 'denied', reason: 'code_reused', client_id: client.clientId, family_id: record.familyId, tsid_hash: hashForLog(record.tsid) });
      throw new InvalidGrant('code was already used; tokens issued from it have been revoked');
    }

    const session = await ctx.store.sessions.get(record.tsid);
    if (!session || session.revokedAtMs !== undefined) throw new InvalidGrant('the session of this code no longer exists');

    const body = await issueTokens(
      ctx,
      client,
      { userId: record.userId, tsid: record.tsid, familyId: record.familyId, scopes: record.scopes, resource: record.resource },
      (next) => ctx.store.refreshTokens.create(next),
    );
    sendIssuedTokens(ctx, res, grantType, client.clientId, record, body);
  };
}
