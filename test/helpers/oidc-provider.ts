/**
 * A real upstream OpenID provider for tests, the dev stack and end-to-end tests: `oidc-provider`
 * v9 (panva) on a free loopback port, issuer `http://127.0.0.1:PORT`, one static confidential
 * client, PKCE required, refresh tokens always issued. Login and consent complete
 * PROGRAMMATICALLY: the interaction route signs in `nextAccount` and grants everything requested,
 * so a client that follows redirects (with cookies) reaches the redirect URI without forms.
 * `setLatencyMs` makes every request slow; `stop()` takes it down; `restart()` brings it back on
 * the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

export interface StartUpstreamIdpOptions {
  clientId?: string;
  clientSecret?: string;
  /** Redirect URIs of the static client (our /oauth/callback). Can be set later with setRedirectUris. */
  redirectUris?: string[];
  accessTokenTtlSeconds?: number;
  /** Fixed port (restart tests); default a free one. */
  port?: number;
}

export interface TestUpstreamIdp {
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  provider: Provider;
  /** Account the next interaction signs in (default "alice"). */
  nextAccount: string;
  /** Delay added to every request (0 = none). */
  setLatencyMs(ms: number): void;
  /** Number of requests served to the token endpoint (refresh/code exchanges). */
  tokenRequests(): number;
  /** Requests served per path (without query), e.g. { '/jwks': 1, '/token': 3 }. */
  requestsByPath(): Record<string, number>;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/**
 * Starts the provider and resolves once it listens.
 *
 * @example
 * const idp = await startUpstreamIdp({ redirectUris: ['http://127.0.0.1:4000/oauth/callback'] });
 * // upstream config: { issuerUrl: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret }
 * await idp.stop();
 */
export async function startUpstreamIdp(options: StartUpstreamIdpOptions = {}): Promise<TestUpstreamIdp> {
  const clientId = options.clientId ?? 'mcp-authserver';
  const clientSecret = options.clientSecret ?? randomBytes(16).toString('hex');
  let latencyMs = 0;
  let tokenRequests = 0;
  const byPath: Record<string, number> = {};
  let server: Server | null = null;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;

  const listen = async (port: number): Promise<number> => {
    const s = createServer((req, res) => {
      if (req.url?.startsWith('/token')) tokenRequests++;
      const path = (req.url ?? '').split('?')[0]!.replace(/^\/(interaction|auth)\/[^/]+/, '/$1/:uid');
      byPath[path] = (byPath[path] ?? 0) + 1;
      const go = () => handler?.(req, res);
      if (latencyMs > 0) setTimeout(go, latencyMs).unref();
      else go();
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    server = s;
    return (s.address() as AddressInfo).port;
  };
  const port = await listen(options.port ?? 0);
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris ?? ['http://127.0.0.1/oauth/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        // ES256 keeps the upstream cheap (benchmarks run it in the loop); RS256 is the default.
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'upstream-es256', alg: 'ES256', use: 'sig' }] },
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
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
    issueRefreshToken: async () => true,
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: sub, email: `${sub}@example.test` }) }),
  });
  // Loopback-only test issuer: oidc-provider refuses to set secure cookies over http otherwise.
  provider.proxy = false;

  const idp: TestUpstreamIdp = {
    issuer,
    port,
    clientId,
    clientSecret,
    provider,
    nextAccount: 'alice',
    setLatencyMs: (ms) => {
      latencyMs = ms;
    },
    tokenRequests: () => tokenRequests,
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
      if (server) return;
      await listen(port);
    },
  };

  const callback = provider.callback();
  handler = (req, res) => {
    const match = /^\/interaction\/([^/?]+)/.exec(req.url ?? '');
    if (!match || req.method !== 'GET') return void callback(req, res);
    // Programmatic login + consent: sign in `nextAccount`, grant what is asked.
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        const accountId = details.session?.accountId ?? idp.nextAccount;
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
        if (!grant) throw new Error('grant not found');
        grant.addOIDCScope(String(details.params.scope ?? 'openid'));
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
      } catch (err) {
        res.statusCode = 500;
        res.end(`interaction failed: ${(err as Error).message}`);
      }
    })();
  };
  return idp;
}
