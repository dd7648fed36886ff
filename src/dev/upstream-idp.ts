/**
 * The upstream OpenID provider of the local stack, the tests and the token benchmark:
 * `oidc-provider` (panva) on a loopback port, with a login page that accepts any username and a
 * consent page. Real HTML forms, so a browser, a headless check or a test can complete them the
 * same way (GET the page, POST the form; `completeLogin` in headless-login.ts). ID tokens are
 * ES256 (cheap to verify and sign: benchmarks run this IdP in the loop). For tests: `setLatencyMs`
 * slows every request, `requestsByPath` counts them, `stop()` + `restart()` bring the same
 * provider (same keys, clients and grants) back on the same port. `autoLoginAccount` skips the
 * pages for user agents that only follow redirects (the flow benchmark).
 * Development only: accounts are whatever name is typed, keys are generated at start.
 */
import express from 'express';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

export interface UpstreamIdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface UpstreamIdpOptions {
  /** 0 = any free port. */
  port?: number;
  host?: string;
  clients: UpstreamIdpClient[];
  accessTokenTtlSeconds?: number;
  /**
   * When set, every interaction signs this account in and grants what is asked, with no login
   * or consent page: for user agents that only follow redirects (bench/token.ts). Leave unset to
   * serve the forms.
   */
  autoLoginAccount?: string;
}

export interface UpstreamIdp {
  issuer: string;
  port: number;
  provider: Provider;
  /** Delay added to every request from now on (0 = none). */
  setLatencyMs(ms: number): void;
  /** Requests served per path without query, interaction ids folded, e.g. { '/jwks': 1, '/token': 3, '/interaction/:uid/login': 1 }. */
  requestsByPath(): Record<string, number>;
  /** Closes the listener (and every connection); the provider and its state stay. */
  stop(): Promise<void>;
  /** Listens again on the same port after stop(); no-op while listening. */
  restart(): Promise<void>;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
input,button{font-size:1rem;padding:.5rem;margin:.25rem 0;width:100%}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}<p><small>mcp-authserver local upstream IdP (oidc-provider). Any username works.</small></p></body></html>`;
}

/**
 * Starts the upstream IdP and resolves once it listens.
 *
 * @example
 * const idp = await startUpstreamIdp({ clients: [{ clientId: 'authserver', clientSecret: 's', redirectUris: ['http://127.0.0.1:8443/oauth/callback'] }] });
 * console.log(idp.issuer); // http://127.0.0.1:40123
 * await idp.stop();
 */
export async function startUpstreamIdp(options: UpstreamIdpOptions): Promise<UpstreamIdp> {
  const host = options.host ?? '127.0.0.1';
  let latencyMs = 0;
  const byPath: Record<string, number> = {};
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  let server: Server | null = null;
  const listen = async (port: number): Promise<number> => {
    const s = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!.replace(/^\/(interaction|auth)\/[^/]+/, '/$1/:uid');
      byPath[path] = (byPath[path] ?? 0) + 1;
      if (latencyMs > 0) setTimeout(() => handler(req, res), latencyMs).unref();
      else handler(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => resolve());
    });
    server = s;
    return (s.address() as AddressInfo).port;
  };
  const port = await listen(options.port ?? 0);
  const issuer = `http://${host}:${port}`;

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // What our auth server sends (oidc-provider accepts basic for it as well).
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
    })),
    jwks: { keys: [{ ...(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'upstream-es256', alg: 'ES256', use: 'sig' }] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 3600,
      IdToken: 3600,
      RefreshToken: 14 * 86400,
      Session: 86400,
      Grant: 14 * 86400,
      Interaction: 600,
      AuthorizationCode: 60,
    },
    // Our auth server keeps upstream refresh tokens for lazy refresh: issue them whenever allowed.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: sub, preferred_username: sub, email: `${sub}@example.test` }),
    }),
  });
  // Loopback http issuer: oidc-provider refuses to set secure cookies over http otherwise.
  provider.proxy = false;

  const app = express();
  if (options.autoLoginAccount !== undefined) app.get('/interaction/:uid', autoLogin(provider, options.autoLoginAccount));
  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const uid = escapeHtml(details.uid);
      if (details.prompt.name === 'login') {
        res.type('html').send(
          page(
            'Sign in',
            `<form method="post" action="/interaction/${uid}/login">
<label>Username <input name="username" autofocus required autocomplete="username"></label>
<button type="submit">Sign in</button></form>`,
          ),
        );
      } else {
        const client = String(details.params.client_id ?? '');
        const scope = String(details.params.scope ?? '');
        res.type('html').send(
          page(
            'Authorize access',
            `<p><b>${escapeHtml(client)}</b> asks for: <code>${escapeHtml(scope)}</code></p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>`,
          ),
        );
      }
    } catch (err) {
      next(err);
    }
  });

  app.post('/interaction/:uid/login', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res, next) => {
    try {
      const username = String((req.body as Record<string, unknown>).username ?? '').trim();
      if (username === '' || username.length > 64) {
        res.status(400).type('html').send(page('Sign in', '<p>A username of 1 to 64 characters is required.</p>'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
    } catch (err) {
      next(err);
    }
  });

  app.post('/interaction/:uid/confirm', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const accountId = details.session?.accountId;
      const clientId = String(details.params.client_id ?? '');
      if (!accountId) throw new Error('no login session for this interaction');
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
      if (!grant) throw new Error('grant not found');
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (err) {
      next(err);
    }
  });

  const callback = provider.callback();
  // Interactions go through express (forms); the protocol endpoints straight to oidc-provider.
  handler = (req, res) => {
    if (req.url?.startsWith('/interaction/')) app(req, res);
    else void callback(req, res);
  };

  return {
    issuer,
    port,
    provider,
    setLatencyMs: (ms) => {
      latencyMs = ms;
    },
    requestsByPath: () => ({ ...byPath }),
    stop: () =>
      new Promise<void>((resolve) => {
        const s = server;
        server = null;
        if (!s) return resolve();
        s.closeAllConnections();
        s.close(() => resolve());
      }),
    restart: async () => {
      if (!server) await listen(port);
    },
  };
}

/** Interaction without pages: sign `accountId` in (or keep the session's) and grant every requested scope. */
function autoLogin(provider: Provider, accountId: string): express.RequestHandler {
  return async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const account = details.session?.accountId ?? accountId;
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: account, clientId: String(details.params.client_id) });
      if (!grant) throw new Error('grant not found');
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: account }, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (err) {
      next(err);
    }
  };
}
