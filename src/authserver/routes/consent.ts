import type { Request, RequestHandler, Response } from 'express';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AuthServerContext } from '../context.ts';
import { parseParams, single } from '../lib/params.ts';
import { noStore } from '../lib/http.ts';
import { redirectToClient } from '../lib/redirect.ts';
import { randomToken, sha256Hex } from '../lib/tokens.ts';
import { toOAuthError } from '../errors.ts';
import { requestAudit } from '../lib/request-audit.ts';
import { initialSessionExpiryMs } from '../lib/session-expiry.ts';
import { hashForLog } from '../../telemetry/index.ts';
import type { PendingAuthorization } from '../../store/index.ts';

/**
 * The auth server's own consent step, between the upstream login and our authorization code.
 *
 * Why (MCP security best practices, "confused deputy"): every MCP client reaches the upstream IdP
 * through this server's one static upstream client, so once a user has an IdP session the IdP
 * skips its login and consent pages. Without a consent step here, any dynamically registered
 * client (or Client ID Metadata Document URL) could send the user a link and receive a code for
 * the user's session with no page shown. The page names the client, where the code will be sent
 * and the MCP server it unlocks; nothing is issued until the user allows it.
 *
 * The consent id (256-bit, single use, 10 minutes) is only ever rendered into the user's own
 * browser, so a cross-site POST cannot guess it; framing is forbidden against clickjacking.
 */

const CONSENT_KEY_PREFIX = 'consent:';
const CONSENT_TTL_MS = 10 * 60_000;
/**
 * How long the upstream tokens of a login are kept before its consent is answered: the consent
 * page's own 10 minutes plus the legs of a multi-IdP chain (10 minutes each at most).
 */
export const LOGIN_HOLD_MS = 30 * 60_000;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Where the code would go, as a user should read it: the origin, or the scheme of a native app. */
function destinationOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.host ? `${url.protocol}//${url.host}` : `${url.protocol} (an application on this device)`;
}

/**
 * Stores the completed login under a fresh consent id and answers with the consent page.
 *
 * @example
 * await showConsent(ctx, res, pending, userId); // 200 text/html with Allow / Deny forms
 */
export async function showConsent(ctx: AuthServerContext, res: Response, pending: PendingAuthorization, userId: string): Promise<void> {
  const consentId = randomBytes(32).toString('base64url');
  await ctx.store.pending.put(CONSENT_KEY_PREFIX + consentId, { ...pending, resolvedUserId: userId, createdAtMs: ctx.now() }, CONSENT_TTL_MS);
  const client = await ctx.resolveClient(pending.clientId);
  const action = (decision: 'allow' | 'deny') => escapeHtml(`${ctx.config.issuer}/oauth/consent?consent=${consentId}&decision=${decision}`);
  const name = client?.clientName ? `${escapeHtml(client.clientName)} <small>(name given by the client)</small>` : 'An MCP client';
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Allow access</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1rem;margin:.25rem 0;width:100%}code{word-break:break-all}</style></head>
<body><h1>Allow access</h1>
<p>${name} wants to use your account at the MCP server <code>${escapeHtml(pending.resource)}</code>.</p>
<p>Client id: <code>${escapeHtml(pending.clientId)}</code><br>The authorization will be sent to: <code>${escapeHtml(destinationOf(pending.redirectUri))}</code></p>
<p>Allow only if you started this sign-in yourself, from that application.</p>
<form method="post" action="${action('allow')}"><button type="submit">Allow</button></form>
<form method="post" action="${action('deny')}"><button type="submit">Deny</button></form>
</body></html>`;
  res
    .status(200)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
    })
    .send(html);
}

function plain(res: Response, status: number, text: string): void {
  res.status(status).type('text/plain').send(text);
}

/** POST /oauth/consent?consent=ID&decision=allow|deny: single use; allow mints the code (spec §2.5 step 9). */
function decideConsent(ctx: AuthServerContext) {
  return async function recordConsentDecision(req: Request, res: Response): Promise<void> {
    const q = req.originalUrl.indexOf('?');
    const params = parseParams(q < 0 ? '' : req.originalUrl.slice(q + 1));
    req.resume();
    const consentId = single(params, 'consent');
    const decision = single(params, 'decision');
    if (consentId === undefined) return plain(res, 400, 'consent parameter is missing');
    if (decision !== 'allow' && decision !== 'deny') return plain(res, 400, 'decision must be allow or deny');
    let pending: PendingAuthorization | null;
    try {
      pending = await ctx.store.pending.take(CONSENT_KEY_PREFIX + consentId);
    } catch (thrown) {
      const err = toOAuthError(thrown);
      res.status(err.status).set({ 'Cache-Control': 'no-store', ...err.headers }).json({ error: err.error, error_description: err.description });
      return;
    }
    if (!pending || pending.createdAtMs + CONSENT_TTL_MS <= ctx.now() || !pending.resolvedUserId) return plain(res, 400, 'unknown or expired consent');
    const userId = pending.resolvedUserId;
    const toClient = (params_: Record<string, string>) =>
      redirectToClient(res, pending.redirectUri, { ...params_, ...(pending.clientState !== undefined ? { state: pending.clientState } : {}) }, ctx.config.issuer);
    const audit = (outcome: 'success' | 'denied' | 'error', reason?: string) =>
      requestAudit(ctx, res).write({ event: 'authorize.consent', outcome, ...(reason ? { reason } : {}), client_id: pending.clientId, user_id: userId, resource: pending.resource, tsid_hash: hashForLog(pending.tsid) });

    if (decision === 'deny') {
      await ctx.store.upstreamTokens.delete(pending.tsid).catch(() => undefined);
      audit('denied', 'user_denied');
      return toClient({ error: 'access_denied', error_description: 'the user denied the authorization' });
    }
    try {
      const rows = Object.values(await ctx.store.upstreamTokens.getAll(pending.tsid));
      if (rows.length === 0) throw new Error('the upstream tokens of this login are gone');
      // The login's upstream rows were held for LOGIN_HOLD_MS; now they live as long as the session.
      const expiresAtMs = initialSessionExpiryMs(ctx.now(), ctx.config.tokenLifespans.refreshTokenSeconds * 1000);
      for (const row of rows) await ctx.store.upstreamTokens.store(pending.tsid, row.provider, { ...row, sessionExpiresAtMs: expiresAtMs });
      const familyId = randomUUID();
      await ctx.store.sessions.create({
        tsid: pending.tsid,
        owner: pending.owner,
        resource: pending.resource,
        clientId: pending.clientId,
        userId,
        familyId,
        createdAtMs: ctx.now(),
        expiresAtMs,
      });
      const code = randomToken();
      await ctx.store.codes.create(sha256Hex(code), {
        clientId: pending.clientId,
        redirectUri: pending.redirectUri,
        pkceChallenge: pending.pkceChallenge,
        scopes: pending.scopes,
        resource: pending.resource,
        userId,
        tsid: pending.tsid,
        familyId,
        expiresAtMs: ctx.now() + ctx.config.tokenLifespans.authCodeSeconds * 1000,
      });
      audit('success');
      toClient({ code });
    } catch (thrown) {
      // Nothing half-written stays behind (spec §2.5 step 9).
      await ctx.store.upstreamTokens.delete(pending.tsid).catch(() => undefined);
      await ctx.store.sessions.delete(pending.tsid).catch(() => undefined);
      const err = toOAuthError(thrown);
      ctx.logger.error({ detail: err.detail ?? (thrown as Error).message }, 'consent could not be completed');
      audit('error', err.error);
      if (err.error === 'temporarily_unavailable') return toClient({ error: 'temporarily_unavailable', error_description: err.description });
      return toClient({ error: 'server_error', error_description: 'the authorization could not be completed' });
    }
  };
}

/** POST /oauth/consent. No CORS: a top-level form submission from our own page. */
export function consentRoute(ctx: AuthServerContext): RequestHandler[] {
  return [noStore, decideConsent(ctx)] as RequestHandler[];
}
