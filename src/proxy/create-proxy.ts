import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
// The function's own module, not the API index: the proxy need not load every CRD schema (issue 7).
import { normalizeResource } from '../api/v1alpha1/normalize-resource.ts';
import { ExchangeClientError } from './exchange-client.ts';
import { forwardRequest, createUpstreamAgent } from './forward.ts';
import { buildMetadata, metadataLocation } from './protected-resource-metadata.ts';
import { ClientJwtError, createClientJwtVerifier, type ClientJwtVerifierOptions } from './verify-client-jwt.ts';

/** What the proxy needs of the exchange client (ExchangeClient satisfies it). */
export interface TokenExchanger {
  exchange(subjectToken: string, tsid: string): Promise<{ accessToken: string; cached: boolean }>;
}

export interface ProxyOptions {
  /** The MCP server's public URL (oidcConfig.resourceUrl); normalized per spec §5.6. */
  resourceUrl: string;
  /** The auth server issuer (public URL). */
  issuer: string;
  /** Default `${issuer}/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** Where the MCP server listens, e.g. http://127.0.0.1:8080. */
  upstreamUrl: string;
  exchanger: TokenExchanger;
  scopes?: string[];
  jwks?: Pick<ClientJwtVerifierOptions, 'fetch' | 'jwksCooldownMs' | 'jwksTimeoutMs' | 'jwksCacheMaxAgeMs'>;
  /** Called once per denied/failed request with a reason code (no tokens). */
  onEvent?: (event: { outcome: 'forwarded' | 'denied' | 'error'; reason: string; status: number }) => void;
}

export interface Proxy {
  handle(req: IncomingMessage, res: ServerResponse): void;
  metadataUrl: string;
  close(): Promise<void>;
}

/**
 * The MCP server's front door (spec §0 "Proxy", §2.11): RFC 9728 metadata, bearer JWT check
 * against the auth server's JWKS, token exchange over mTLS (cached), then streaming forward to the
 * MCP server with the upstream token. Error mapping per §2.11: invalid JWT / `invalid_grant` →
 * 401 with `resource_metadata`; `access_denied`/`invalid_client` → 403; network/5xx → 503.
 *
 * @example
 * const proxy = createProxy({ resourceUrl, issuer, upstreamUrl: 'http://127.0.0.1:8080', exchanger: client });
 * http.createServer(proxy.handle).listen(8000);
 */
export function createProxy(options: ProxyOptions): Proxy {
  const normalized = normalizeResource(options.resourceUrl);
  if (!normalized.ok) throw new Error(`--resource-url ${normalized.message}`);
  const resource = normalized.value;
  const issuer = options.issuer;
  requireHttpUrl('--issuer', issuer);
  const jwksUrl = options.jwksUrl ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
  requireHttpUrl('--jwks-url', jwksUrl);
  const upstreamOrigin = requireHttpUrl('--upstream', options.upstreamUrl).origin;
  const location = metadataLocation(resource);
  const metadataBody = JSON.stringify(buildMetadata({ resource, issuer, jwksUrl, ...(options.scopes ? { scopes: options.scopes } : {}) }));
  const verify = createClientJwtVerifier({ issuer, audience: resource, jwksUrl, ...options.jwks });
  const agent: Dispatcher = createUpstreamAgent();
  const challenge = (extra = '') => `Bearer ${extra}resource_metadata="${location.url}"`;
  const report = options.onEvent ?? (() => undefined);

  const fail = (res: ServerResponse, status: number, error: string, description: string, reason: string, wwwAuthenticate?: string) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ error, error_description: description });
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(body),
      ...(wwwAuthenticate ? { 'WWW-Authenticate': wwwAuthenticate } : {}),
    });
    res.end(body);
    report({ outcome: status >= 500 ? 'error' : 'denied', reason, status });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    // CORS for browser MCP clients (MCP Inspector in direct mode): bearer tokens, no cookies, so
    // any origin may call; the client must be able to read the 401 challenge and the session id.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, Mcp-Session-Id');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    if (!path.startsWith('/')) {
      // Only origin-form targets (RFC 9112 §3.2.1) are served and forwarded: an absolute-form or
      // any other target could name another host than the MCP server's.
      fail(res, 400, 'invalid_request', 'the request target must be a path beginning with "/" (origin-form)', 'bad_request_target');
      return;
    }
    if (location.paths.includes(path) && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'max-age=3600',
      });
      res.end(req.method === 'HEAD' ? undefined : metadataBody);
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    const auth = req.headers.authorization ?? '';
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(auth);
    if (!match) {
      // RFC 6750 §3.1: no error code when the request carries no credentials.
      fail(res, 401, 'invalid_token', 'a bearer token is required', 'no_token', challenge());
      return;
    }
    const token = match[1]!;
    let tsid: string;
    try {
      tsid = (await verify(token)).tsid;
    } catch (err) {
      const reason = err instanceof ClientJwtError ? err.reason : 'malformed';
      if (reason === 'jwks_unavailable') {
        fail(res, 503, 'temporarily_unavailable', 'the authorization server keys are unavailable', reason);
        return;
      }
      fail(res, 401, 'invalid_token', 'the access token is invalid', reason, challenge('error="invalid_token", error_description="the access token is invalid", '));
      return;
    }
    let upstreamToken: string;
    try {
      upstreamToken = (await options.exchanger.exchange(token, tsid)).accessToken;
    } catch (err) {
      const code = err instanceof ExchangeClientError ? err.code : 'unavailable';
      if (code === 'invalid_grant') {
        fail(res, 401, 'invalid_token', 'the session has ended; sign in again', 'exchange_invalid_grant', challenge('error="invalid_token", error_description="the session has ended", '));
      } else if (code === 'forbidden') {
        fail(res, 403, 'access_denied', 'this MCP server may not use the session', 'exchange_forbidden');
      } else {
        fail(res, 503, 'temporarily_unavailable', 'the authorization server is unavailable', 'exchange_unavailable');
      }
      return;
    }
    try {
      await forwardRequest(req, res, { origin: upstreamOrigin, agent, upstreamToken });
      report({ outcome: 'forwarded', reason: 'ok', status: res.statusCode });
    } catch {
      fail(res, 502, 'bad_gateway', 'the MCP server is unreachable', 'upstream_unreachable');
    }
  };

  return {
    handle: (req, res) => void handle(req, res),
    metadataUrl: location.url,
    close: () => agent.close(),
  };
}

function requireHttpUrl(flag: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${flag} must be an absolute http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${flag} must use http or https, got ${url.protocol}`);
  return url;
}

/** Starts the proxy on an HTTP listener (TLS is terminated in front of it, as for ToolHive's proxyrunner). */
export async function startProxy(proxy: Proxy, listen: { host?: string; port: number }): Promise<{ server: http.Server; address(): AddressInfo; close(): Promise<void> }> {
  const server = http.createServer(proxy.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    address: () => server.address() as AddressInfo,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await proxy.close();
    },
  };
}
