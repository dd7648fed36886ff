import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthServerContext } from '../context.ts';
import { InvalidClientMetadata, InvalidRedirectUri, TemporarilyUnavailable, TooManyRequests } from '../errors.ts';
import { DEFAULTS } from '../../config/index.ts';
import { cors, noStore } from '../lib/http.ts';
import { readBody } from '../lib/params.ts';
import { createTokenBucket } from '../lib/token-bucket.ts';
import { validateClientMetadata } from '../checks/client-metadata.ts';
import { randomToken, sha256Hex } from '../lib/tokens.ts';
import type { Client } from '../../store/index.ts';
import { requestAudit } from '../lib/request-audit.ts';

const BODY_LIMIT_BYTES = 64 * 1024;

/** Spec §2.7: process-wide token bucket → 429 + Retry-After. Checked before reading the body. */
function rateLimit(ctx: AuthServerContext) {
  const bucket = createTokenBucket({ ratePerSecond: ctx.config.dcr.ratePerSecond, burst: ctx.config.dcr.burst, now: ctx.now });
  return function limitRegistrationRate(req: Request, _res: Response, next: NextFunction): void {
    if (req.method !== 'POST') return next();
    if (bucket.take()) return next();
    const err = new TooManyRequests('too many registration requests; retry later');
    err.headers['Retry-After'] = String(bucket.retryAfterSeconds());
    req.resume();
    throw err;
  };
}

/** Spec §2.7 [CODE]: 503 + Retry-After when the client capacity is exhausted (clients never expire). */
function enforceClientCapacity(ctx: AuthServerContext) {
  const maxClients = ctx.config.dcr.maxClients ?? DEFAULTS.dcr_max_clients;
  return async function limitRegisteredClients(req: Request, _res: Response, next: NextFunction): Promise<void> {
    if ((await ctx.store.clients.count()) < maxClients) return next();
    req.resume();
    const err = new TemporarilyUnavailable('client registration capacity is exhausted; retry later');
    err.headers['Retry-After'] = String(CAPACITY_RETRY_AFTER_SECONDS);
    throw err;
  };
}
const CAPACITY_RETRY_AFTER_SECONDS = 3600;

/** RFC 7591 §3.2.2: the body must be JSON. */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/json')) {
    req.resume();
    throw new InvalidClientMetadata('Content-Type must be application/json');
  }
  next();
}

function registerClient(ctx: AuthServerContext) {
  return async function registerNewClient(req: Request, res: Response): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse((req.rawBody ?? Buffer.alloc(0)).toString('utf8'));
    } catch {
      throw new InvalidClientMetadata('request body is not valid JSON');
    }
    const checked = validateClientMetadata(body, ctx.config.dcr.allowConfidential);
    if (!checked.ok) {
      throw checked.problem.code === 'invalid_redirect_uri'
        ? new InvalidRedirectUri(checked.problem.message)
        : new InvalidClientMetadata(checked.problem.message);
    }
    const m = checked.value;
    const secret = m.tokenEndpointAuthMethod === 'none' ? undefined : randomToken();
    const client: Client = {
      clientId: randomUUID(),
      redirectUris: m.redirectUris,
      grantTypes: m.grantTypes,
      responseTypes: m.responseTypes,
      tokenEndpointAuthMethod: m.tokenEndpointAuthMethod,
      clientIdIssuedAt: Math.floor(ctx.now() / 1000),
      ...(m.clientName !== undefined ? { clientName: m.clientName } : {}),
      ...(m.scope !== undefined ? { scope: m.scope } : {}),
      ...(secret ? { clientSecretHash: sha256Hex(secret) } : {}),
    };
    await ctx.store.clients.register(client);
    requestAudit(ctx, res).write({
      event: 'client.register',
      outcome: 'success',
      client_id: client.clientId,
      redirect_uri_count: client.redirectUris.length,
      auth_method: client.tokenEndpointAuthMethod,
    });
    res.status(201).json({
      client_id: client.clientId,
      client_id_issued_at: client.clientIdIssuedAt,
      redirect_uris: client.redirectUris,
      ...(client.clientName !== undefined ? { client_name: client.clientName } : {}),
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      grant_types: client.grantTypes,
      response_types: client.responseTypes,
      ...(client.scope !== undefined ? { scope: client.scope } : {}),
      ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
    });
  };
}

/** POST /oauth/register (RFC 7591, spec §2.7). */
export function registerRoute(ctx: AuthServerContext): RequestHandler[] {
  return [
    cors('POST'),
    noStore,
    rateLimit(ctx),
    enforceClientCapacity(ctx),
    requireJson,
    readBody(BODY_LIMIT_BYTES, (limit) => new InvalidClientMetadata(`request body exceeds ${limit} bytes`)),
    registerClient(ctx),
  ] as RequestHandler[];
}
