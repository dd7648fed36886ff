import type { NextFunction, Request, Response } from 'express';
import type { Client } from '../../store/index.ts';
import type { AuthServerContext } from '../context.ts';
import { InvalidClient, InvalidRequest } from '../errors.ts';
import { single } from './params.ts';
import { safeEqual, sha256Hex } from './tokens.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    client?: Client;
  }
}

/**
 * Token/revoke client authentication (spec §2.6): public clients send `client_id` (method none);
 * confidential ones use client_secret_basic or client_secret_post. Unknown client → 401.
 */
export function authenticateClient(ctx: AuthServerContext) {
  return async function authenticateClientRequest(req: Request, res: Response, next: NextFunction): Promise<void> {
    const params = req.oauthParams ?? new Map();
    let basicId: string | undefined;
    let basicSecret: string | undefined;
    const header = req.headers.authorization;
    if (header?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new InvalidClient('Authorization header is not valid HTTP Basic credentials');
      try {
        basicId = decodeURIComponent(decoded.slice(0, colon));
        basicSecret = decodeURIComponent(decoded.slice(colon + 1));
      } catch {
        throw new InvalidClient('Authorization header credentials are not URL-encoded correctly');
      }
    }
    const paramId = single(params, 'client_id');
    if (basicId !== undefined && paramId !== undefined && basicId !== paramId) {
      throw new InvalidRequest('client_id parameter does not match the Authorization header');
    }
    const clientId = basicId ?? paramId;
    if (clientId === undefined) throw new InvalidClient('client_id is required');
    const client = await ctx.resolveClient(clientId);
    if (!client) throw new InvalidClient('client_id is unknown');
    if (client.tokenEndpointAuthMethod !== 'none') {
      const secret = client.tokenEndpointAuthMethod === 'client_secret_basic' ? basicSecret : single(params, 'client_secret');
      if (secret === undefined || !client.clientSecretHash || !safeEqual(sha256Hex(secret), client.clientSecretHash)) {
        throw new InvalidClient(`client authentication failed (${client.tokenEndpointAuthMethod})`);
      }
    }
    res.locals.client = client;
    next();
  };
}
