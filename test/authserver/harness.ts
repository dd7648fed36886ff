/**
 * Test stack for the public auth server: a real HTTP listener on a free loopback port, a real
 * upstream IdP (oidc-provider), a real signing key and resource-map file, and a store chosen by
 * the test (memory or Redis). Nothing is mocked.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { createAuthServer, type AuthServer, type CreateAuthServerOptions } from '../../src/authserver/index.ts';
import type { AuthServerConfig } from '../../src/config/index.ts';
import { createMemoryStore, type AuthStore } from '../../src/store/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { startUpstreamIdp, type TestUpstreamIdp } from '../helpers/oidc-provider.ts';
import { completeLogin, type HeadlessLoginOptions } from '../../src/dev/headless-login.ts';

export const RESOURCE = 'https://github-tools.mcp.example.test/mcp';
export const OWNER = { namespace: 'mcp-prod', name: 'github-tools' };
export const CLIENT_REDIRECT = 'http://127.0.0.1:33418/callback';

export function testEncryptionKeys() {
  return { activeKeyId: 'k1', keys: { k1: randomBytes(32) } };
}

export function generateSigningPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}

export async function listenLoopback(): Promise<{ server: Server; origin: string; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function writeResourceMap(entries: Record<string, { namespace: string; name: string; upstreamIdp?: string }> = { [RESOURCE]: OWNER }): string {
  const dir = mkdtempSync(join(tmpdir(), 'authserver-test-'));
  const file = join(dir, 'resources.json');
  writeFileSync(file, JSON.stringify({ version: 1, resources: entries }));
  return file;
}

export function testConfig(issuer: string, idps: TestUpstreamIdp[], overrides: Partial<AuthServerConfig> & { signingPem?: string } = {}): AuthServerConfig {
  const { signingPem, ...rest } = overrides;
  return {
    issuer,
    publicListenAddr: '127.0.0.1:0',
    internalListenAddr: '127.0.0.1:0',
    publicTls: false,
    signingKeys: [{ source: 'test', pem: signingPem ?? generateSigningPem(), algorithm: 'ES256' }],
    tokenLifespans: { accessTokenSeconds: 3600, refreshTokenSeconds: 7 * 86400, authCodeSeconds: 600 },
    upstreams: idps.map((idp, i) => ({
      name: i === 0 ? 'corp' : `idp${i}`,
      type: 'oidc' as const,
      issuerUrl: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      redirectUri: `${issuer}/oauth/callback`,
      scopes: ['openid', 'profile', 'email', 'offline_access'],
    })),
    upstreamTimeoutMs: 10_000,
    resourceMapFile: writeResourceMap(),
    resourceMapPollIntervalMs: 60_000,
    scopesSupported: [],
    storage: { type: 'memory' },
    dcr: { ratePerSecond: 1000, burst: 1000, allowConfidential: false },
    authorize: { ratePerSecond: 1000, burst: 1000 },
    clientIdMetadataDocuments: { enabled: true, allowPrivateAddresses: false, fetchTimeoutMs: 5000, maxBytes: 5120, cacheTtlMs: 600_000 },
    logLevel: 'silent',
    ...rest,
  };
}

export interface Stack {
  issuer: string;
  /** Where this instance listens (equals issuer unless it is a second replica). */
  origin: string;
  idp: TestUpstreamIdp;
  auth: AuthServer;
  store: AuthStore;
  stop(): Promise<void>;
}

/** One auth server on a fresh listener, its own upstream IdP unless given, memory store unless given. */
export async function startStack(
  options: {
    store?: AuthStore;
    idp?: TestUpstreamIdp;
    config?: Partial<AuthServerConfig> & { signingPem?: string };
    serverOptions?: CreateAuthServerOptions;
    listener?: Awaited<ReturnType<typeof listenLoopback>>;
    /** Issuer when it is not this listener (a second replica behind the same public URL). */
    issuer?: string;
  } = {},
): Promise<Stack> {
  const listener = options.listener ?? (await listenLoopback());
  const ownIdp = !options.idp;
  const issuer = options.issuer ?? listener.origin;
  const idp = options.idp ?? (await startUpstreamIdp({ redirectUris: [`${issuer}/oauth/callback`] }));
  const store = options.store ?? createMemoryStore({ encryptionKeys: testEncryptionKeys(), sweepIntervalMs: 0 });
  const config = testConfig(issuer, [idp], options.config);
  const auth = await createAuthServer(config, store, { logger: createLogger({ level: 'silent' }), discoveryRetryMs: 200, ...options.serverOptions });
  listener.server.on('request', auth.publicApp);
  // Wait for upstream discovery so tests start from a ready server.
  await auth.upstreams.default().discover().catch(() => undefined);
  return {
    issuer,
    origin: listener.origin,
    idp,
    auth,
    store,
    async stop() {
      await auth.close();
      await listener.close();
      if (ownIdp) await idp.stop();
      if (!options.store) await store.close();
    },
  };
}

/** The MCP client side, with openid-client: discovery + DCR. */
export async function registerClient(issuer: string, metadata: Partial<client.ClientMetadata> = {}): Promise<client.Configuration> {
  return client.dynamicClientRegistration(
    new URL(issuer),
    { redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: 'none', ...metadata },
    client.None(),
    { execute: [client.allowInsecureRequests] },
  );
}

/**
 * Starts a PKCE authorization with `params` (defaults: our redirect URI and resource) and logs in
 * at the upstream as `username`; returns the client's callback URL with the verifier and state.
 */
async function loginThroughUpstream(config: client.Configuration, params: Record<string, string>, username: HeadlessLoginOptions['username']) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: CLIENT_REDIRECT,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: RESOURCE,
    ...params,
  });
  const callback = await completeLogin(url, { username, isDone: (u) => u.href.startsWith(CLIENT_REDIRECT) });
  return { callback, verifier, state };
}

/**
 * A hand-built `/oauth/authorize` URL (for requests the tests send themselves, without a login):
 * a valid S256 request from our redirect URI for RESOURCE; `overrides` replace parameters, an
 * array repeats one, null removes it.
 */
export function authorizeRequestUrl(issuer: string, clientId: string, codeChallenge: string, overrides: Record<string, string | string[] | null> = {}): string {
  const base: Record<string, string> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: CLIENT_REDIRECT,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state: 'state-123456',
    resource: RESOURCE,
  };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...base, ...overrides })) {
    if (v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
  }
  return `${issuer}/oauth/authorize?${params}`;
}

/** Full PKCE authorization through the upstream login; returns the token response. */
export async function authorize(
  config: client.Configuration,
  /** account: the upstream username typed at login, or one per IdP login page (by its URL). */
  options: { resource?: string; scope?: string; account?: HeadlessLoginOptions['username'] } = {},
) {
  const resource = options.resource ?? RESOURCE;
  const { callback, verifier, state } = await loginThroughUpstream(config, { resource, ...(options.scope ? { scope: options.scope } : {}) }, options.account ?? 'alice');
  const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, { resource });
  return { tokens, callback, verifier };
}

/** Follows the flow up to (not including) the code exchange; returns the code and verifier. */
export async function obtainCode(config: client.Configuration, clientId: string, extra: Record<string, string> = {}) {
  const { callback, verifier, state } = await loginThroughUpstream(config, { client_id: clientId, ...extra }, 'alice');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback.search}`);
  return { code, verifier, state, callback };
}

export async function postForm(url: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, json, text };
}

/**
 * Answers the auth server's consent page (routes/consent.ts) as a user would: submits the form of
 * the chosen button and returns the auth server's response (303 to the client on success).
 */
export async function answerConsent(page: Response, decision: 'allow' | 'deny'): Promise<Response> {
  if (page.status !== 200) throw new Error(`expected the consent page, got HTTP ${page.status}`);
  const html = await page.text();
  const action = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).find((a) => a.endsWith(`decision=${decision}`));
  if (!action) throw new Error(`no ${decision} form on the page`);
  return fetch(action, { method: 'POST', redirect: 'manual' });
}
