import type { AuthServerContext } from '../context.ts';

/**
 * Spec §5.3/§5.7 cascade: revoke the whole refresh family, deny-list every access token `jti`
 * issued in it until its `exp`, mark the session revoked and delete its upstream tokens.
 *
 * @example
 * await revokeGrant(ctx, { familyId, tsid });
 */
export async function revokeGrant(ctx: AuthServerContext, grant: { familyId: string; tsid: string }): Promise<void> {
  const nowMs = ctx.now();
  await ctx.store.refreshTokens.revokeFamily(grant.familyId, nowMs);
  const issued = await ctx.store.refreshTokens.listAccessTokens(grant.familyId);
  await Promise.all(issued.filter((t) => t.expMs > nowMs).map((t) => ctx.store.denyList.deny(t.jti, t.expMs)));
  await ctx.store.sessions.markRevoked(grant.tsid, nowMs);
  await ctx.store.upstreamTokens.delete(grant.tsid);
}
