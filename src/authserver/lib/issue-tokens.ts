import { randomUUID } from 'node:crypto';
import type { Client } from '../../store/index.ts';
import type { AuthServerContext } from '../context.ts';
import { signAccessToken } from '../keys/access-token.ts';
import { randomToken, sha256Hex } from './tokens.ts';
import type { Response } from 'express';
import { hashForLog } from '../../telemetry/index.ts';
import { requestAudit } from './request-audit.ts';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

export interface Grant {
  userId: string;
  tsid: string;
  familyId: string;
  scopes: string[];
  resource: string;
}

/**
 * Mints an access token (spec §5.1) and, when the client may refresh, a new refresh token of the
 * same family. `persistRefresh` stores the refresh record: a plain create after a code, the atomic
 * rotate after a refresh (it returns false when the rotation lost).
 */
export async function issueTokens(
  ctx: AuthServerContext,
  client: Client,
  grant: Grant,
  persistRefresh: (record: import('../../store/index.ts').RefreshTokenRecord) => Promise<void>,
): Promise<TokenResponse> {
  const nowMs = ctx.now();
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + ctx.config.tokenLifespans.accessTokenSeconds;
  const jti = randomUUID();
  const wantsRefresh = client.grantTypes.includes('refresh_token');
  let refreshToken: string | undefined;
  if (wantsRefresh) {
    refreshToken = randomToken();
    await persistRefresh({
      hash: sha256Hex(refreshToken),
      familyId: grant.familyId,
      clientId: client.clientId,
      tsid: grant.tsid,
      userId: grant.userId,
      scopes: grant.scopes,
      resource: grant.resource,
      expiresAtMs: nowMs + ctx.config.tokenLifespans.refreshTokenSeconds * 1000,
      usedAtMs: null,
      revokedAtMs: null,
    });
  }
  // Remember the jti (family revocation deny-lists it) while signing.
  const [, accessToken] = await Promise.all([
    ctx.store.refreshTokens.addAccessToken(grant.familyId, jti, exp * 1000),
    signAccessToken(ctx.keys, {
    iss: ctx.config.issuer,
    sub: grant.userId,
    aud: [grant.resource],
    exp,
    iat,
    nbf: iat,
    jti,
    client_id: client.clientId,
    ...(grant.scopes.length ? { scope: grant.scopes.join(' ') } : {}),
    tsid: grant.tsid,
    }),
  ]);
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: exp - iat,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    ...(grant.scopes.length ? { scope: grant.scopes.join(' ') } : {}),
  };
}

/**
 * The end of every successful token grant: the metric, the `token.issue` audit event of spec
 * §6.3 (no token material, tsid hashed) and the 200 response.
 *
 * @example
 * sendIssuedTokens(ctx, res, 'refresh_token', client.clientId, record, body);
 */
export function sendIssuedTokens(
  ctx: AuthServerContext,
  res: Response,
  grantType: string,
  clientId: string,
  grant: { userId: string; tsid: string; familyId: string; resource: string },
  body: TokenResponse,
): void {
  ctx.metrics.tokensIssued.inc({ grant_type: grantType });
  requestAudit(ctx, res).write({
    event: 'token.issue',
    outcome: 'success',
    grant_type: grantType,
    client_id: clientId,
    sub: grant.userId,
    tsid_hash: hashForLog(grant.tsid),
    family_id: grant.familyId,
    aud: [grant.resource],
  });
  res.status(200).json(body);
}
