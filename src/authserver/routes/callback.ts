import type { Request, RequestHandler, Response } from 'express';
import { randomBytes } from 'node:crypto';
import type { AuthServerContext } from '../context.ts';
import { parseParams, single } from '../lib/params.ts';
import { noStore } from '../lib/http.ts';
import { redirectToClient } from '../lib/redirect.ts';
import { s256 } from '../lib/tokens.ts';
import { LOGIN_HOLD_MS, showConsent } from './consent.ts';
import { UpstreamError } from '../upstream/upstream-idp.ts';
import { toOAuthError } from '../errors.ts';
import { PENDING_TTL_MS } from './authorize.ts';
import { hashForLog } from '../../telemetry/index.ts';
import type { PendingAuthorization, UpstreamTokens } from '../../store/index.ts';
import { requestAudit } from '../lib/request-audit.ts';

function plain(res: Response, status: number, text: string): void {
  res.status(status).type('text/plain').send(text);
}

/**
 * GET /oauth/callback (spec §2.5): single-use pending row, upstream code exchange with PKCE,
 * ID token verified (signature, iss, aud, exp, nonce), user resolved, upstream tokens stored
 * under (tsid, idp), then either the next IdP of the chain or our consent page (routes/consent.ts).
 */
function handleCallback(ctx: AuthServerContext) {
  return async function completeUpstreamLogin(req: Request, res: Response): Promise<void> {
    const q = req.originalUrl.indexOf('?');
    const query = q < 0 ? '' : req.originalUrl.slice(q + 1);
    const params = parseParams(query);
    const state = single(params, 'state');
    const clientRedirect = (p: PendingAuthorization, error: string, description: string) =>
      redirectToClient(
        res,
        p.redirectUri,
        { error, error_description: description, ...(p.clientState !== undefined ? { state: p.clientState } : {}) },
        ctx.config.issuer,
      );

    // Step 1: the IdP reported an error.
    if (params.has('error')) {
      const pending = state ? await takePending(ctx, res, state) : null;
      if (pending === undefined) return;
      if (!pending) return plain(res, 502, 'upstream authentication failed');
      requestAudit(ctx, res).write({ event: 'authorize.callback', outcome: 'denied', reason: 'upstream_error', upstream_idp: pending.upstreamProvider, client_id: pending.clientId });
      return clientRedirect(pending, 'access_denied', 'the upstream identity provider denied the authorization');
    }
    // Step 2.
    const code = single(params, 'code');
    if (state === undefined) return plain(res, 400, 'state parameter is missing');
    if (code === undefined) return plain(res, 400, 'code parameter is missing');
    // Step 3: atomic load + delete.
    const pending = await takePending(ctx, res, state);
    if (pending === undefined) return;
    if (!pending || pending.createdAtMs + PENDING_TTL_MS <= ctx.now()) return plain(res, 400, 'unknown or expired state');

    const upstream = ctx.upstreams.get(pending.upstreamProvider);
    if (!upstream) return clientRedirect(pending, 'server_error', 'the upstream identity provider is no longer configured');
    // Steps 4-5.
    let tokens;
    try {
      const callbackUrl = new URL(`${ctx.config.issuer}/oauth/callback`);
      callbackUrl.search = query;
      tokens = await upstream.exchangeCode(callbackUrl, { state, codeVerifier: pending.upstreamPkceVerifier, nonce: pending.upstreamNonce });
    } catch (err) {
      const reason = err instanceof UpstreamError ? err.code : 'exchange_failed';
      ctx.logger.warn({ upstream_idp: upstream.name, reason, detail: err instanceof UpstreamError ? err.detail : String(err) }, 'upstream code exchange failed');
      requestAudit(ctx, res).write({ event: 'authorize.callback', outcome: 'error', reason, upstream_idp: upstream.name, client_id: pending.clientId });
      const description = err instanceof UpstreamError && err.code === 'identity_invalid' ? 'failed to verify user identity' : `code exchange with the upstream identity provider failed`;
      return clientRedirect(pending, 'server_error', description);
    }

    let stored = false;
    try {
      // Step 6.
      const userId = pending.resolvedUserId ?? (await ctx.store.users.resolveOrCreate(upstream.name, tokens.subject)).id;
      // Step 7, with refresh-token carry-forward.
      let refreshToken = tokens.refreshToken;
      if (!refreshToken) {
        const previous = await ctx.store.upstreamTokens.latestForUser(userId, upstream.name);
        if (previous && previous.upstreamSubject === tokens.subject) refreshToken = previous.refreshToken;
      }
      // Held only until the consent decision (routes/consent.ts): an abandoned login must not keep
      // its upstream tokens for the whole session lifetime. Allow extends them to the session's.
      const sessionExpiresAtMs = ctx.now() + LOGIN_HOLD_MS;
      const row: UpstreamTokens = {
        provider: upstream.name,
        accessToken: tokens.accessToken,
        refreshToken,
        expiresAtMs: tokens.expiresAtMs,
        sessionExpiresAtMs,
        userId,
        upstreamSubject: tokens.subject,
        clientId: pending.clientId,
      };
      await ctx.store.upstreamTokens.store(pending.tsid, upstream.name, row);
      stored = true;
      requestAudit(ctx, res).write({
        event: 'authorize.callback',
        outcome: 'success',
        upstream_idp: upstream.name,
        user_id: userId,
        upstream_subject_hash: hashForLog(tokens.subject),
        tsid_hash: hashForLog(pending.tsid),
      });

      // Step 8: the next IdP of the chain, same tsid, fresh state/verifier/nonce.
      const have = await ctx.store.upstreamTokens.getAll(pending.tsid);
      const missing = ctx.upstreams.list().find((u) => !have[u.name]);
      if (missing) {
        const internalState = randomBytes(32).toString('base64url');
        const verifier = randomBytes(32).toString('base64url');
        const nonce = randomBytes(16).toString('base64url');
        const url = await missing.authorizationUrl({ state: internalState, nonce, codeChallenge: s256(verifier) });
        await ctx.store.pending.put(
          internalState,
          { ...pending, internalState, upstreamPkceVerifier: verifier, upstreamNonce: nonce, upstreamProvider: missing.name, resolvedUserId: userId, createdAtMs: ctx.now() },
          PENDING_TTL_MS,
        );
        res.redirect(302, url.href);
        return;
      }

      // Step 9: our consent page; the session and our code come only once the user allows
      // this client (routes/consent.ts explains why).
      await showConsent(ctx, res, pending, userId);
    } catch (thrown) {
      // Step 9 failure path: nothing half-written stays behind.
      if (stored) {
        await ctx.store.upstreamTokens.delete(pending.tsid).catch(() => undefined);
        await ctx.store.sessions.delete(pending.tsid).catch(() => undefined);
      }
      const err = thrown instanceof UpstreamError ? null : toOAuthError(thrown);
      ctx.logger.error({ upstream_idp: upstream.name, detail: err?.detail ?? (thrown as Error).message }, 'callback failed after the upstream login');
      if (err && err.error === 'temporarily_unavailable') return clientRedirect(pending, 'temporarily_unavailable', err.description);
      return clientRedirect(pending, 'server_error', 'the authorization could not be completed');
    }
  };
}

/** Returns the pending row, null when unknown, or undefined after answering 503 (storage down). */
async function takePending(ctx: AuthServerContext, res: Response, state: string): Promise<PendingAuthorization | null | undefined> {
  try {
    return await ctx.store.pending.take(state);
  } catch (thrown) {
    const err = toOAuthError(thrown);
    res.status(err.status).set({ 'Cache-Control': 'no-store', ...err.headers }).json({ error: err.error, error_description: err.description });
    return undefined;
  }
}

/** GET /oauth/callback. No CORS. */
export function callbackRoute(ctx: AuthServerContext): RequestHandler[] {
  return [noStore, handleCallback(ctx)] as RequestHandler[];
}
