import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JWK } from 'jose';
import { FileCertSource, issueClientCert, writeBundle } from '../../src/pki/index.ts';
import { ExchangeClient, createProxy, parseClientConfig, startProxy, type TokenExchanger } from '../../src/proxy/index.ts';
import { startSampleMcpServer, tokenFingerprint } from '../../src/dev/sample-mcp-server.ts';
import { ISSUER, OWNER, RESOURCE, TRUST_DOMAIN, UPSTREAM, startHarness, type Harness } from '../exchange/index.ts';

// The proxy in front of the SDK sample MCP server, with the real exchange listener behind it.
let h: Harness;
let dir: string;
let jwksServer: http.Server;
let mcp: Awaited<ReturnType<typeof startSampleMcpServer>>;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let exchanger: ExchangeClient;
let source: FileCertSource;
let base: string;
let streamUpstream: http.Server;
let streamClosed: Promise<void>;

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A proxy in front of `upstreamUrl` whose events are recorded; `firstEvent` settles on the first one. */
async function startRecordingProxy(upstreamUrl: string, via: TokenExchanger) {
  const events: Array<{ outcome: string; reason: string }> = [];
  let evented: () => void = () => undefined;
  const firstEvent = new Promise<void>((resolve) => (evented = resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
  const onEvent = (e: { outcome: string; reason: string }) => {
    events.push(e);
    evented();
  };
  const started = await startProxy(createProxy({ resourceUrl: RESOURCE, issuer: ISSUER, jwksUrl, upstreamUrl, exchanger: via, onEvent }), { host: '127.0.0.1', port: 0 });
  return { proxy: started, events, firstEvent };
}

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'proxy-'));
  const jwks = {
    keys: [h.keys.active, h.keys.rotated].map((k) => ({ ...(k.publicKey.export({ format: 'jwk' }) as JWK), kid: k.kid, alg: 'ES256', use: 'sig' })),
  };
  jwksServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)));
  const jwksPort = await listen(jwksServer);
  mcp = await startSampleMcpServer();
  const cert = await issueClientCert(h.ca, { commonName: 'proxy', spiffeIds: [`spiffe://${TRUST_DOMAIN}/ns/${OWNER.namespace}/mcpserver/${OWNER.name}`] });
  const files = await writeBundle(join(dir, 'mtls'), { ...cert, caPem: h.ca.certPem });
  source = new FileCertSource(files);
  await source.start();
  exchanger = new ExchangeClient({
    config: parseClientConfig(
      JSON.stringify({ url: h.url, client_cert_path: files.certFile, client_key_path: files.keyFile, ca_bundle_path: files.caFile, upstream_idp: UPSTREAM }),
    ),
    source,
  });
  proxy = await startProxy(
    createProxy({
      resourceUrl: RESOURCE,
      issuer: ISSUER,
      jwksUrl: `http://127.0.0.1:${jwksPort}/jwks`,
      upstreamUrl: mcp.url,
      exchanger,
      scopes: ['openid'],
    }),
    { host: '127.0.0.1', port: 0 },
  );
  base = `http://127.0.0.1:${proxy.address().port}`;
});

afterAll(async () => {
  await proxy?.close();
  await exchanger?.close();
  source?.stop();
  await mcp?.close();
  jwksServer?.close();
  streamUpstream?.closeAllConnections();
  streamUpstream?.close();
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('proxy: options', () => {
  it.each([
    [{ upstreamUrl: 'not a url' }, /--upstream must be an absolute http\(s\) URL/],
    [{ upstreamUrl: 'ftp://x' }, /--upstream must use http or https/],
    [{ issuer: 'auth.example' }, /--issuer must be an absolute/],
    [{ resourceUrl: 'https://h/mcp?x=1' }, /--resource-url/],
  ])('rejects %j with a message naming the flag', (change, message) => {
    expect(() => createProxy({ resourceUrl: RESOURCE, issuer: ISSUER, upstreamUrl: 'http://127.0.0.1:1', exchanger, ...change })).toThrow(message);
  });
});

describe('proxy: RFC 9728 metadata and challenges', () => {
  it('serves protected-resource metadata at the bare and path-suffixed well-known URLs', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await request(`${base}${path}`);
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({
        resource: RESOURCE,
        authorization_servers: [ISSUER],
        bearer_methods_supported: ['header'],
        jwks_uri: expect.stringContaining('/jwks'),
        scopes_supported: ['openid'],
      });
    }
  });

  it('401 without a token, with an absolute resource_metadata URL', async () => {
    const res = await request(`${base}/mcp`, { method: 'POST', body: '{}' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer resource_metadata="https://tools.example.test/.well-known/oauth-protected-resource/mcp"');
    await res.body.dump();
  });

  /** Sends `POST <target>` by hand (HTTP clients only send origin-form targets) and returns the raw answer. */
  async function postRawTarget(target: string): Promise<string> {
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    socket.end(`POST ${target} HTTP/1.1\r\nHost: tools.example.test\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    let answer = '';
    for await (const chunk of socket) answer += String(chunk);
    return answer;
  }

  it('400 invalid_request for an absolute-form request target, before anything else', async () => {
    const answer = await postRawTarget('http://evil.example/mcp');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'invalid_request', error_description: 'the request target must be a path beginning with "/" (origin-form)' });
  });

  it('a target that is neither a path nor a URL is refused by the HTTP parser itself', async () => {
    expect(await postRawTarget('@evil.example/x')).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('answers CORS preflights and lets a browser client read the 401 challenge', async () => {
    const pre = await request(`${base}/mcp`, { method: 'OPTIONS', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/Authorization/);
    await pre.body.dump();
    const res = await request(`${base}/mcp`, { method: 'POST', headers: { origin: 'http://localhost:6274' }, body: '{}' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(String(res.headers['access-control-expose-headers'])).toMatch(/WWW-Authenticate/);
    await res.body.dump();
  });

  it.each<[string, (h: Harness, s: Awaited<ReturnType<Harness['seedSession']>>) => Promise<string>]>([
    ['garbage', async () => 'not-a-jwt'],
    ['wrong audience', async (h, s) => h.mint(s.session, { aud: ['https://other.example.test/mcp'] })],
    ['expired', async (h, s) => h.mint(s.session, { exp: Math.floor(Date.now() / 1000) - 120 })],
    ['wrong issuer', async (h, s) => h.mint(s.session, { iss: 'https://evil.example.test' })],
    ['typ JWT', async (h, s) => h.mint(s.session, {}, { header: { typ: 'JWT' } })],
    ['no tsid', async (h, s) => h.mint(s.session, { tsid: undefined })],
  ])('401 invalid_token for a %s JWT, and nothing reaches the MCP server', async (_label, make) => {
    const s = await h.seedSession();
    const before = mcp.tokensSeen.length;
    const res = await request(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${await make(h, s)}` }, body: '{}' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", .*resource_metadata="https:\/\/tools\.example\.test\/\.well-known\/oauth-protected-resource\/mcp"$/);
    await res.body.dump();
    expect(mcp.tokensSeen.length).toBe(before);
  });
});

describe('proxy: exchange and forwarding', () => {
  async function connect(jwt: string) {
    const client = new Client({ name: 'test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${jwt}` } } });
    await client.connect(transport);
    return client;
  }

  it('forwards MCP calls with the upstream access token (not the client JWT)', async () => {
    const s = await h.seedSession();
    const jwt = await h.mint(s.session);
    const client = await connect(jwt);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect(result.structuredContent).toMatchObject({ upstream_token_fingerprint: tokenFingerprint(s.upstream.accessToken) });
    expect(mcp.tokensSeen).not.toContain(tokenFingerprint(jwt));
    await client.close();
  });

  it('forwards a request that carries Expect: 100-continue (curl does for large bodies)', async () => {
    const s = await h.seedSession();
    const jwt = await h.mint(s.session);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl-like', version: '1' } } });
    // node:http (undici, like the proxy's own client, refuses to send this header at all).
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', expect: '100-continue' },
      });
      req.on('continue', () => req.end(body));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    expect(status).toBe(200);
  });

  it('streams SSE notifications from a tool call through the proxy', async () => {
    const s = await h.seedSession();
    const client = await connect(await h.mint(s.session));
    const messages: unknown[] = [];
    const { LoggingMessageNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push(n.params.data);
    });
    const result = await client.callTool({ name: 'count', arguments: { n: 5 } });
    expect(result.content).toEqual([{ type: 'text', text: 'counted to 5' }]);
    expect(messages).toEqual(['step 1', 'step 2', 'step 3', 'step 4', 'step 5']);
    await client.close();
  });

  it('maps a revoked session to 401 invalid_token and an owner mismatch to 403', async () => {
    const revoked = await h.seedSession();
    await h.store.sessions.markRevoked(revoked.tsid, Date.now());
    const r1 = await request(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${await h.mint(revoked.session)}` }, body: '{}' });
    expect(r1.statusCode).toBe(401);
    expect(r1.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    await r1.body.dump();

    const foreign = await h.seedSession({ owner: { namespace: 'other', name: 'github' } });
    const r2 = await request(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${await h.mint(foreign.session)}` }, body: '{}' });
    expect(r2.statusCode).toBe(403);
    expect(await r2.body.json()).toMatchObject({ error: 'access_denied' });
  });

  it('propagates a client abort to the MCP server (streaming response)', async () => {
    let resolveClosed: () => void = () => undefined;
    streamClosed = new Promise((resolve) => (resolveClosed = resolve));
    streamUpstream = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      req.socket.once('close', resolveClosed);
    });
    const port = await listen(streamUpstream);
    const p = await startProxy(createProxy({ resourceUrl: RESOURCE, issuer: ISSUER, jwksUrl: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`, upstreamUrl: `http://127.0.0.1:${port}`, exchanger }), { host: '127.0.0.1', port: 0 });
    try {
      const s = await h.seedSession();
      const abort = new AbortController();
      const res = await request(`http://127.0.0.1:${p.address().port}/events`, { headers: { authorization: `Bearer ${await h.mint(s.session)}` }, signal: abort.signal });
      expect(res.statusCode).toBe(200);
      const reader = res.body[Symbol.asyncIterator]();
      const first = await reader.next();
      expect(String(first.value)).toContain('data: first');
      abort.abort();
      await streamClosed; // resolves only if the upstream connection is torn down
    } finally {
      await p.close();
    }
  });

  it.each([
    ['while sending its body', false],
    ['while waiting for the answer', true],
  ])('a client that goes away %s is not reported as an MCP server failure', async (_when, sendWholeBody) => {
    let upstreamGotRequest: () => void = () => undefined;
    const gotRequest = new Promise<void>((resolve) => (upstreamGotRequest = resolve));
    let upstreamClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    // Never answers: the client gives up first.
    const silent = http.createServer((req) => {
      req.socket.on('close', upstreamClosed);
      req.resume();
      if (sendWholeBody) req.on('end', upstreamGotRequest);
      else upstreamGotRequest();
    });
    const port = await listen(silent);
    const { proxy: p, events, firstEvent } = await startRecordingProxy(`http://127.0.0.1:${port}`, exchanger);
    try {
      const s = await h.seedSession();
      const jwt = await h.mint(s.session);
      const body = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';
      const client = http.request(`http://127.0.0.1:${p.address().port}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json', 'content-length': String(sendWholeBody ? body.length : 1000) },
      });
      client.on('error', () => undefined);
      client.write(body);
      await gotRequest;
      client.destroy();
      await closed; // the upstream request is torn down with the client's
      await firstEvent;
      expect(events).toEqual([expect.objectContaining({ outcome: 'forwarded' })]);
    } finally {
      await p.close();
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('a client that goes away while its token is checked is not forwarded nor reported as an MCP server failure', async () => {
    let upstreamCalls = 0;
    const upstream = http.createServer((_req, res) => {
      upstreamCalls++;
      res.end('{}');
    });
    const port = await listen(upstream);
    let exchangeStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (exchangeStarted = resolve));
    let clientClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (clientClosed = resolve));
    // The exchange answers only once the proxy has seen the client's connection close.
    const { proxy: p, events, firstEvent } = await startRecordingProxy(`http://127.0.0.1:${port}`, {
      exchange: async (token, tsid) => {
        exchangeStarted();
        await closed;
        return exchanger.exchange(token, tsid);
      },
    });
    p.server.on('connection', (socket) => socket.on('close', clientClosed));
    try {
      const s = await h.seedSession();
      const client = http.request(`http://127.0.0.1:${p.address().port}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${await h.mint(s.session)}`, 'content-type': 'application/json' } });
      client.on('error', () => undefined);
      client.end('{}');
      await started;
      client.destroy();
      await firstEvent;
      expect(events).toEqual([expect.objectContaining({ outcome: 'forwarded' })]);
      expect(upstreamCalls).toBe(0);
    } finally {
      await p.close();
      upstream.closeAllConnections();
      upstream.close();
    }
  });

  it('refetches the JWKS on an unknown kid (signing-key rotation) and then accepts the new key', async () => {
    const keys: JWK[] = [{ ...(h.keys.active.publicKey.export({ format: 'jwk' }) as JWK), kid: h.keys.active.kid, alg: 'ES256' }];
    let fetches = 0;
    const rotating = http.createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    const jwksPort = await listen(rotating);
    const p = await startProxy(
      createProxy({ resourceUrl: RESOURCE, issuer: ISSUER, jwksUrl: `http://127.0.0.1:${jwksPort}/jwks`, upstreamUrl: mcp.url, exchanger, jwks: { jwksCooldownMs: 0 } }),
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const s = await h.seedSession();
      const call = async (jwt: string) => {
        const res = await request(`http://127.0.0.1:${p.address().port}/mcp`, {
          method: 'POST',
          headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        });
        await res.body.dump();
        return res.statusCode;
      };
      expect(await call(await h.mint(s.session))).toBe(200);
      const withRotated = await h.mint(s.session, {}, { key: h.keys.rotated });
      expect(await call(withRotated)).toBe(401);
      keys.push({ ...(h.keys.rotated.publicKey.export({ format: 'jwk' }) as JWK), kid: h.keys.rotated.kid, alg: 'ES256' });
      const before = fetches;
      expect(await call(withRotated)).toBe(200);
      expect(fetches).toBe(before + 1);
    } finally {
      await p.close();
      rotating.closeAllConnections();
      rotating.close();
    }
  });

  it('503 when the auth server is unreachable', async () => {
    const down = new ExchangeClient({
      config: parseClientConfig(JSON.stringify({ url: 'https://localhost:1', client_cert_path: join(dir, 'mtls/tls.crt'), client_key_path: join(dir, 'mtls/tls.key'), ca_bundle_path: join(dir, 'mtls/ca.crt') })),
      source,
    });
    const p = await startProxy(createProxy({ resourceUrl: RESOURCE, issuer: ISSUER, jwksUrl: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`, upstreamUrl: mcp.url, exchanger: down }), { host: '127.0.0.1', port: 0 });
    try {
      const s = await h.seedSession();
      const res = await request(`http://127.0.0.1:${p.address().port}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${await h.mint(s.session)}` }, body: '{}' });
      expect(res.statusCode).toBe(503);
      await res.body.dump();
    } finally {
      await p.close();
      await down.close();
    }
  });
});
