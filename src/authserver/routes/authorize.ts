import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { randomBytes } from 'node:crypto';
import type { AuthServerContext } from '../context.ts';
import {
  InvalidClient,
  InvalidRequest,
  InvalidTarget,
  OAuthError,
  ServerError,
  TemporarilyUnavailable,
  UnsupportedResponseType,
  toOAuthError,
  sendOAuthError,
} from '../errors.ts';
import { findDuplicate, parseFormBody, parseParams, readBody, single, type Params } from '../lib/params.ts';
import { noStore } from '../lib/http.ts';
import { redirectUriMatches } from '../checks/redirect-uri.ts';
import { CODE_CHALLENGE } from '../checks/pkce.ts';
import { normalizedResourceParam } from '../checks/resource.ts';
import { parseScopes } from '../checks/scope.ts';
import { s256 } from '../lib/tokens.ts';
import { redirectToClient } from '../lib/redirect.ts';
import { UpstreamError } from '../upstream/upstream-idp.ts';
import type { Client, PendingAuthorization } from '../../store/index.ts';
import { requestAudit } from '../lib/request-audit.ts';
import { createTokenBucket } from '../lib/token-bucket.ts';
import { DEFAULTS } from '../../config/index.ts';

/** Spec §5.2: pending authorizations live 10 minutes. */
export const PENDING_TTL_MS = 10 * 60 * 1000;
const BODY_LIMIT_BYTES = 64 * 1024;

declare module 'express-serve-static-core' {
  interface Locals {
    redirectUri?: string;
  }
}

/** GET query or POST form (RFC 6749 §3.1 allows both) → `req.oauthParams`. */
function collectParams(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET') {
    const q = req.originalUrl.indexOf('?');
    req.oauthParams = parseParams(q < 0 ? '' : req.originalUrl.slice(q + 1));
    next();
    return;
  }
  readBody(BODY_LIMIT_BYTES, (limit) => new InvalidRequest(`request body exceeds ${limit} bytes`))(req, res, (err?: unknown) => {
    if (err) return next(err);
    parseFormBody(req, res, next);
  });
}

/**
 * Spec §2.4: the client and its redirect_uri are checked first; while either is in doubt the
 * server must not redirect (open-redirect defence), so these errors are JSON.
 */
function identifyClientAndRedirect(ctx: AuthServerContext) {
  return async function checkClientAndRedirectUri(req: Request, res: Response, next: NextFunction): Promise<void> {
    const params = req.oauthParams!;
    if ((params.get('client_id')?.length ?? 0) > 1) throw new InvalidRequest('parameter client_id must not be repeated');
    if ((params.get('redirect_uri')?.length ?? 0) > 1) throw new InvalidRequest('parameter redirect_uri must not be repeated');
    const clientId = single(params, 'client_id');
    if (clientId === undefined) throw new InvalidRequest('client_id is required');
    const client = await ctx.resolveClient(clientId);
    if (!client) throw new InvalidClient('client_id is unknown');
    const redirectUri = single(params, 'redirect_uri');
    if (redirectUri === undefined) throw new InvalidRequest('redirect_uri is required');
    if (!redirectUriMatches(client.redirectUris, redirectUri)) {
      throw new InvalidRequest('redirect_uri does not match any URI registered for this client');
    }
    res.locals.client = client;
    res.locals.redirectUri = redirectUri;
    next();
  };
}

/** Checks of spec §2.4 after the redirect target is trusted; failures redirect with 303. */
function validateAuthorizationRequest(params: Params, client: Client): { scopes: string[]; resource: string; challenge: string; state?: string } {
  const dup = findDuplicate(params, new Set(['resource']));
  if (dup !== undefined) throw new InvalidRequest(`parameter ${dup} must not be repeated`);
  const state = single(params, 'state');
  if (state !== undefined && state.length < 8) throw new InvalidRequest('state must be at least 8 characters long');
  const responseType = single(params, 'response_type');
  if (responseType === undefined) throw new InvalidRequest('response_type is required');
  if (responseType !== 'code') throw new UnsupportedResponseType(`response_type "${responseType.slice(0, 64)}" is not supported; only "code"`);
  const challenge = single(params, 'code_challenge');
  if (challenge === undefined) throw new InvalidRequest('code_challenge is required (PKCE)');
  const method = single(params, 'code_challenge_method');
  if (method === undefined) throw new InvalidRequest('code_challenge_method is required and must be S256 (plain is not allowed)');
  if (method !== 'S256') throw new InvalidRequest(`code_challenge_method "${method.slice(0, 32)}" is not allowed; use S256`);
  if (!CODE_CHALLENGE.test(challenge)) throw new InvalidRequest('code_challenge must be 43-128 base64url characters');
  const scopes = parseScopes(single(params, 'scope'), client.scope);
  const resource = normalizedResourceParam(params, true);
  return { scopes, resource, challenge, ...(state !== undefined ? { state } : {}) };
}

/** RFC 6749 §4.1.2.1 `temporarily_unavailable`, sent to the client's redirect URI (not JSON). */
class AuthorizationBudgetExhausted extends OAuthError {
  readonly error = 'temporarily_unavailable';
}

function startAuthorization(ctx: AuthServerContext) {
  // Every authorization stores a pending row for 10 minutes; a process-wide budget keeps anyone
  // with a client id (free through DCR or a metadata-document URL) from filling the store.
  const budget = createTokenBucket({
    ratePerSecond: ctx.config.authorize?.ratePerSecond ?? DEFAULTS.authorize_rate_per_second,
    burst: ctx.config.authorize?.burst ?? DEFAULTS.authorize_burst,
    now: ctx.now,
  });
  return async function redirectToUpstream(req: Request, res: Response): Promise<void> {
    const params = req.oauthParams!;
    const client = res.locals.client!;
    const redirectUri = res.locals.redirectUri!;
    const rawState = params.get('state')?.[0];
    const clientState = rawState === '' ? undefined : rawState;
    let internalState: string | undefined;
    try {
      const request = validateAuthorizationRequest(params, client);
      const owner = ctx.resourceMap.lookup(request.resource);
      if (!owner) throw new InvalidTarget('resource is not registered with this authorization server');
      if (!budget.take()) {
        res.set('Retry-After', String(budget.retryAfterSeconds()));
        throw new AuthorizationBudgetExhausted('too many authorization requests; retry later');
      }
      const upstream = ctx.upstreams.list()[0]!;
      internalState = randomBytes(32).toString('base64url');
      const verifier = randomBytes(32).toString('base64url');
      const nonce = randomBytes(16).toString('base64url');
      const pending: PendingAuthorization = {
        clientId: client.clientId,
        redirectUri,
        ...(request.state !== undefined ? { clientState: request.state } : {}),
        pkceChallenge: request.challenge,
        pkceMethod: 'S256',
        scopes: request.scopes,
        resource: request.resource,
        owner: { namespace: owner.namespace, name: owner.name },
        internalState,
        upstreamPkceVerifier: verifier,
        upstreamNonce: nonce,
        upstreamProvider: upstream.name,
        tsid: randomBytes(24).toString('base64url'),
        createdAtMs: ctx.now(),
      };
      const url = await upstream.authorizationUrl({ state: internalState, nonce, codeChallenge: s256(verifier) });
      await ctx.store.pending.put(internalState, pending, PENDING_TTL_MS);
      requestAudit(ctx, res).write({
        event: 'authorize.start',
        outcome: 'success',
        client_id: client.clientId,
        redirect_uri: redirectUri,
        resource: request.resource,
        owner: `${owner.namespace}/${owner.name}`,
        scopes: request.scopes,
        upstream_idp: upstream.name,
      });
      res.redirect(302, url.href);
    } catch (thrown) {
      const err = mapAuthorizeError(thrown);
      requestAudit(ctx, res).write({ event: 'authorize.start', outcome: err.status >= 500 ? 'error' : 'denied', reason: err.error, client_id: client.clientId });
      // Task: storage failures fail closed with 503 and an OAuth body, not a redirect.
      if (err instanceof TemporarilyUnavailable && !(thrown instanceof UpstreamError)) {
        sendOAuthError(res, err);
        return;
      }
      redirectToClient(res, redirectUri, { error: err.error, error_description: err.description, ...(clientState !== undefined ? { state: clientState } : {}) }, ctx.config.issuer);
    }
  };
}

function mapAuthorizeError(thrown: unknown): OAuthError {
  if (thrown instanceof UpstreamError) return new TemporarilyUnavailable(thrown.message, thrown.detail);
  const err = toOAuthError(thrown);
  return err instanceof ServerError ? new ServerError(err.description) : err;
}

/** GET|POST /oauth/authorize (spec §2.4). No CORS: this is a browser navigation. */
export function authorizeRoute(ctx: AuthServerContext): RequestHandler[] {
  return [noStore, collectParams, identifyClientAndRedirect(ctx), startAuthorization(ctx)] as RequestHandler[];
}
