/**
 * End to end, nothing mocked: an MCP SDK client (OAuth client provider, StreamableHTTP transport)
 * → the proxy (RFC 9728, JWT check) → the auth server's internal mTLS exchange → the real upstream
 * IdP (oidc-provider) → the SDK sample MCP server. The client discovers, registers (DCR), logs in
 * with PKCE (upstream login automated by the headless walker), then calls a tool that reports the
 * fingerprint of the bearer token it received: it must be the upstream IdP's access token. Then the
 * exchange clock moves past the upstream expiry and the next call refreshes the upstream token.
 */
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { createAuthServer, type AuthServer } from '../../src/authserver/index.ts';
import type { AuthServerConfig } from '../../src/config/index.ts';
import { createExchangeApp, startInternalListener, type InternalListener } from '../../src/exchange/index.ts';
import { FileCertSource, createCA, issueClientCert, issueServerCert, writeBundle } from '../../src/pki/index.ts';
import { ExchangeClient, createProxy, parseClientConfig, type Proxy } from '../../src/proxy/index.ts';
import { startSampleMcpServer, tokenFingerprint } from '../../src/dev/sample-mcp-server.ts';
import { createMemoryStore, type AuthStore } from '../../src/store/index.ts';
import { createLogger, type AuditEvent } from '../../src/telemetry/index.ts';
import { completeLogin } from '../../src/dev/headless-login.ts';
import { startUpstreamIdp, type TestUpstreamIdp } from '../helpers/oidc-provider.ts';

const REDIRECT = 'http://127.0.0.1:33419/callback';
const OWNER = { namespace: 'mcp-prod', name: 'github-tools' };
const TRUST_DOMAIN = 'toolhive.local';

class InMemoryOAuthProvider implements OAuthClientProvider {
  info?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  authorizationUrl?: URL;
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'e2e MCP client',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

function listenHttp(): Promise<http.Server> {
  const server = http.createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const portOf = (s: http.Server) => (s.address() as AddressInfo).port;

let dir: string;
let idp: TestUpstreamIdp;
let store: AuthStore;
let auth: AuthServer;
let authServer: http.Server;
let proxyServer: http.Server;
let proxy: Proxy;
let internal: InternalListener;
let exchanger: ExchangeClient;
let sources: FileCertSource[] = [];
let mcp: Awaited<ReturnType<typeof startSampleMcpServer>>;
let resourceUrl: string;
const clock = { skewMs: 0 };
const audit: AuditEvent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-'));
  authServer = await listenHttp();
  proxyServer = await listenHttp();
  const issuer = `http://127.0.0.1:${portOf(authServer)}`;
  resourceUrl = `http://127.0.0.1:${portOf(proxyServer)}/mcp`;
  idp = await startUpstreamIdp({ redirectUris: [`${issuer}/oauth/callback`], accessTokenTtlSeconds: 120 });
  const mapFile = join(dir, 'resources.json');
  await writeFile(mapFile, JSON.stringify({ version: 1, resources: { [resourceUrl]: { ...OWNER, upstreamIdp: 'corp' } } }));
  const config: AuthServerConfig = {
    issuer,
    publicListenAddr: '127.0.0.1:0',
    internalListenAddr: '127.0.0.1:0',
    publicTls: false,
    signingKeys: [{ source: 'e2e', pem: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, algorithm: 'ES256' }],
    tokenLifespans: { accessTokenSeconds: 3600, refreshTokenSeconds: 86400, authCodeSeconds: 600 },
    upstreams: [
      {
        name: 'corp',
        type: 'oidc',
        issuerUrl: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        redirectUri: `${issuer}/oauth/callback`,
        scopes: ['openid', 'profile', 'email', 'offline_access'],
      },
    ],
    upstreamTimeoutMs: 10_000,
    allowedSubjects: { trustDomain: TRUST_DOMAIN, allowedNamespaces: [], allowedNames: [], allowedServers: [] },
    resourceMapFile: mapFile,
    resourceMapPollIntervalMs: 60_000,
    scopesSupported: [],
    storage: { type: 'memory' },
    dcr: { ratePerSecond: 1000, burst: 1000, allowConfidential: false },
    clientIdMetadataDocuments: { enabled: false, allowPrivateAddresses: false, fetchTimeoutMs: 5000, maxBytes: 5120, cacheTtlMs: 600_000 },
    logLevel: 'silent',
  };
  store = createMemoryStore({ encryptionKeys: { activeKeyId: 'k1', keys: { k1: randomBytes(32) } }, sweepIntervalMs: 0 });
  const logger = createLogger({ level: 'silent' });
  auth = await createAuthServer(config, store, { logger, audit: { write: (e) => audit.push(e) }, discoveryRetryMs: 200 });
  authServer.on('request', auth.publicApp);
  await auth.upstreams.default().discover();

  // Internal mTLS listener, wired from the same config/store/keys/resource map/upstreams.
  const ca = await createCA({ commonName: 'e2e internal CA' });
  const serverCert = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const serverSource = new FileCertSource(await writeBundle(join(dir, 'server'), { ...serverCert, caPem: ca.certPem }));
  await serverSource.start();
  const app = createExchangeApp({
    config,
    store,
    keys: auth.keys,
    resourceMap: auth.resourceMap,
    upstreams: auth.upstreams.list(),
    audit: auth.audit,
    now: () => Date.now() + clock.skewMs,
  });
  internal = await startInternalListener({ app, source: serverSource, host: '127.0.0.1', port: 0 });

  // Proxy with its SVID.
  const svid = await issueClientCert(ca, { commonName: OWNER.name, spiffeIds: [`spiffe://${TRUST_DOMAIN}/ns/${OWNER.namespace}/mcpserver/${OWNER.name}`] });
  const files = await writeBundle(join(dir, 'mtls'), { ...svid, caPem: ca.certPem });
  const clientSource = new FileCertSource(files);
  await clientSource.start();
  sources = [serverSource, clientSource];
  exchanger = new ExchangeClient({
    config: parseClientConfig(
      JSON.stringify({
        url: `https://localhost:${internal.address().port}`,
        client_cert_path: files.certFile,
        client_key_path: files.keyFile,
        ca_bundle_path: files.caFile,
        upstream_idp: 'corp',
      }),
    ),
    source: clientSource,
    now: () => Date.now() + clock.skewMs,
  });
  mcp = await startSampleMcpServer({ userinfoUrl: `${idp.issuer}/me` });
  proxy = createProxy({ resourceUrl, issuer, upstreamUrl: mcp.url, exchanger });
  proxyServer.on('request', proxy.handle);
});

afterAll(async () => {
  proxyServer?.closeAllConnections();
  proxyServer?.close();
  await proxy?.close();
  await exchanger?.close();
  await internal?.close();
  for (const s of sources) s.stop();
  await mcp?.close();
  await auth?.close();
  authServer?.closeAllConnections();
  authServer?.close();
  await store?.close();
  await idp?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('MCP SDK client → proxy → auth server exchange → upstream IdP', () => {
  it('logs in with discovery + DCR + PKCE, and the MCP server receives the upstream token; a later call refreshes it upstream', async () => {
    const provider = new InMemoryOAuthProvider();
    const first = new StreamableHTTPClientTransport(new URL(resourceUrl), { authProvider: provider });
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.info?.client_id).toBeTruthy();
    expect(provider.authorizationUrl?.origin).toBe(new URL(auth.config.issuer).origin);
    expect(provider.authorizationUrl?.searchParams.get('resource')).toBe(resourceUrl);

    const callback = await completeLogin(provider.authorizationUrl!, { username: 'alice', isDone: (u) => u.href.startsWith(REDIRECT) });
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();
    await first.finishAuth(code!);
    expect(provider.saved?.access_token.split('.')).toHaveLength(3);

    const transport = new StreamableHTTPClientTransport(new URL(resourceUrl), { authProvider: provider });
    const connected = new Client({ name: 'e2e', version: '1.0.0' });
    await connected.connect(transport);
    const result = await connected.callTool({ name: 'whoami', arguments: {} });
    const seen = result.structuredContent as { user: string | null; upstream_token_fingerprint: string };

    // The upstream IdP's access token, as stored by the auth server for this session.
    const claims = JSON.parse(Buffer.from(provider.saved!.access_token.split('.')[1]!, 'base64url').toString()) as { tsid: string };
    const row = await store.upstreamTokens.get(claims.tsid, 'corp', Date.now());
    expect(row).not.toBeNull();
    expect(seen.upstream_token_fingerprint).toBe(tokenFingerprint(row!.tokens.accessToken));
    expect(seen.upstream_token_fingerprint).not.toBe(tokenFingerprint(provider.saved!.access_token));
    expect(seen.user).toBe('alice');
    expect(audit.filter((e) => e.event === 'token_exchange' && e.outcome === 'success')).toHaveLength(1);

    // Upstream token lifetime is 120 s: move the exchange (and proxy cache) clock past it.
    const tokenRequestsBefore = idp.tokenRequests();
    clock.skewMs = 125_000;
    const again = await connected.callTool({ name: 'whoami', arguments: {} });
    const seenAgain = again.structuredContent as { user: string | null; upstream_token_fingerprint: string };
    const refreshedRow = await store.upstreamTokens.get(claims.tsid, 'corp', Date.now());
    expect(idp.tokenRequests()).toBe(tokenRequestsBefore + 1);
    expect(refreshedRow!.tokens.accessToken).not.toBe(row!.tokens.accessToken);
    expect(seenAgain.upstream_token_fingerprint).toBe(tokenFingerprint(refreshedRow!.tokens.accessToken));
    expect(seenAgain.user).toBe('alice');
    expect(audit.filter((e) => e.event === 'token_exchange' && e.upstream_refreshed === true)).toHaveLength(1);
    await connected.close();
  });
});
