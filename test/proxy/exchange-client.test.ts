import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCertSource, createCA, issueClientCert, issueServerCert, writeBundle, type CertBundle } from '../../src/pki/index.ts';
import { ExchangeClient, ExchangeClientError, parseClientConfig } from '../../src/proxy/index.ts';
import { OWNER, TRUST_DOMAIN, UPSTREAM, startHarness, type Harness } from '../exchange/index.ts';

// The proxy's exchange client against the real internal listener over real mTLS.
let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'xclient-'));
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function makeClient(opts: { identity?: string; trust?: CertBundle; url?: string; totalTimeoutMs?: number } = {}) {
  const d = join(dir, `c${n++}`);
  const cert = await issueClientCert(h.ca, {
    commonName: 'proxy',
    spiffeIds: [opts.identity ?? `spiffe://${TRUST_DOMAIN}/ns/${OWNER.namespace}/mcpserver/${OWNER.name}`],
  });
  const files = await writeBundle(d, { ...cert, caPem: (opts.trust ?? h.ca).certPem });
  const source = new FileCertSource({ ...files, pollIntervalMs: 20 });
  await source.start();
  const clock = { ms: Date.now() };
  const config = parseClientConfig(
    JSON.stringify({
      url: opts.url ?? h.url,
      client_cert_path: files.certFile,
      client_key_path: files.keyFile,
      ca_bundle_path: files.caFile,
      upstream_idp: UPSTREAM,
      cache_default_ttl: '5m',
      cache_max_entries: 100,
    }),
  );
  const client = new ExchangeClient({ config, source, now: () => clock.ms, ...(opts.totalTimeoutMs ? { totalTimeoutMs: opts.totalTimeoutMs } : {}) });
  return {
    client,
    clock,
    source,
    dir: d,
    async close() {
      await client.close();
      source.stop();
    },
  };
}

async function session(upstream: Record<string, unknown> = {}) {
  const s = await h.seedSession({}, upstream);
  return { ...s, jwt: await h.mint(s.session) };
}

describe('ExchangeClient', () => {
  it('exchanges, then serves from the cache until the TTL (min(80 %, 5 min)) passes', async () => {
    const c = await makeClient();
    const s = await session();
    const first = await c.client.exchange(s.jwt, s.tsid);
    expect(first).toEqual({ accessToken: s.upstream.accessToken, cached: false });
    expect(await c.client.exchange(s.jwt, s.tsid)).toEqual({ accessToken: s.upstream.accessToken, cached: true });
    expect(c.client.requests).toBe(1);
    c.clock.ms += 299_000;
    expect((await c.client.exchange(s.jwt, s.tsid)).cached).toBe(true);
    c.clock.ms += 2_000;
    expect((await c.client.exchange(s.jwt, s.tsid)).cached).toBe(false);
    expect(c.client.requests).toBe(2);
    await c.close();
  });

  it('honours the 30 s safety buffer for short-lived upstream tokens', async () => {
    const c = await makeClient();
    const s = await session({ expiresAtMs: Date.now() + 90_000 });
    await c.client.exchange(s.jwt, s.tsid);
    c.clock.ms += 50_000; // well before expiry − 30 s
    expect((await c.client.exchange(s.jwt, s.tsid)).cached).toBe(true);
    c.clock.ms += 11_000; // now + 30 s ≥ expiry (expires_in is 89–90 s)
    expect((await c.client.exchange(s.jwt, s.tsid)).cached).toBe(false);
    await c.close();
  });

  it('single-flights concurrent misses for one session', async () => {
    const c = await makeClient();
    const s = await session();
    const results = await Promise.all(Array.from({ length: 8 }, () => c.client.exchange(s.jwt, s.tsid)));
    expect(new Set(results.map((r) => r.accessToken))).toEqual(new Set([s.upstream.accessToken]));
    expect(c.client.requests).toBe(1);
    await c.close();
  });

  it('maps invalid_grant and never caches errors', async () => {
    const c = await makeClient();
    const s = await session();
    await h.store.sessions.markRevoked(s.tsid, Date.now());
    for (let i = 0; i < 2; i++) {
      const err = await c.client.exchange(s.jwt, s.tsid).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExchangeClientError);
      expect((err as ExchangeClientError).code).toBe('invalid_grant');
      expect((err as ExchangeClientError).detail).not.toContain(s.jwt);
    }
    expect(c.client.requests).toBe(2);
    await c.close();
  });

  it('maps owner mismatch (403) to forbidden', async () => {
    const c = await makeClient({ identity: `spiffe://${TRUST_DOMAIN}/ns/other/mcpserver/github` });
    const s = await session();
    await expect(c.client.exchange(s.jwt, s.tsid)).rejects.toMatchObject({ code: 'forbidden' });
    await c.close();
  });

  it('trusts only the configured CA: an auth server cert from another CA is unavailable', async () => {
    const c = await makeClient({ trust: await createCA({ commonName: 'not the server CA' }) });
    const s = await session();
    await expect(c.client.exchange(s.jwt, s.tsid)).rejects.toMatchObject({ code: 'unavailable' });
    await c.close();
  });

  it('unreachable auth server → unavailable', async () => {
    const c = await makeClient({ url: 'https://localhost:1' });
    const s = await session();
    await expect(c.client.exchange(s.jwt, s.tsid)).rejects.toMatchObject({ code: 'unavailable' });
    await c.close();
  });

  describe('against a stand-in auth server', () => {
    let standIn: https.Server;
    let answer: (res: import('node:http').ServerResponse) => void = () => undefined;
    beforeAll(async () => {
      const cert = await issueServerCert(h.ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      standIn = https.createServer({ cert: cert.certPem, key: cert.keyPem, ca: h.ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
        req.resume();
        req.on('end', () => answer(res));
      });
      await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => {
      standIn?.closeAllConnections();
      standIn?.close();
    });
    const url = () => `https://localhost:${(standIn.address() as AddressInfo).port}`;

    it('an auth server that does not answer within the total timeout → unavailable (TimeoutError)', async () => {
      answer = () => undefined;
      const c = await makeClient({ url: url(), totalTimeoutMs: 300 });
      const s = await session();
      await expect(c.client.exchange(s.jwt, s.tsid)).rejects.toMatchObject({ code: 'unavailable', detail: 'TimeoutError' });
      await c.close();
    });

    it('reads a token answer that starts with a byte-order mark, and refuses one that is not JSON', async () => {
      answer = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(`\uFEFF${JSON.stringify({ access_token: 'upstream-at', token_type: 'Bearer', expires_in: 3600 })}`);
      const c = await makeClient({ url: url() });
      const s = await session();
      expect(await c.client.exchange(s.jwt, s.tsid)).toEqual({ accessToken: 'upstream-at', cached: false });
      answer = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('not json');
      const s2 = await session();
      await expect(c.client.exchange(s2.jwt, s2.tsid)).rejects.toMatchObject({ code: 'unavailable', detail: 'body is not JSON' });
      await c.close();
    });

    it('reads at most 1 KB of an error answer and still maps it', async () => {
      answer = (res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        // Past the limit the JSON is cut, so no error code is read; the answer is never ended (the
        // client does not wait for the rest).
        res.write(JSON.stringify({ pad: 'x'.repeat(2000), error: 'invalid_grant' }));
      };
      const c = await makeClient({ url: url() });
      const s = await session();
      await expect(c.client.exchange(s.jwt, s.tsid)).rejects.toMatchObject({ code: 'unavailable', detail: 'status 400' });
      answer = (res) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant', error_description: 'session ended' }));
      const s2 = await session();
      await expect(c.client.exchange(s2.jwt, s2.tsid)).rejects.toMatchObject({ code: 'invalid_grant', detail: 'status 400 error invalid_grant: session ended' });
      await c.close();
    });
  });

  it('presents the rotated client certificate after the files change (no restart)', async () => {
    const c = await makeClient();
    const s1 = await session();
    expect((await c.client.exchange(s1.jwt, s1.tsid)).accessToken).toBe(s1.upstream.accessToken);
    // cert-manager rotates the Secret in place; here the new cert names another server, so the
    // owner check shows which certificate the new connection presented.
    const rotated = await issueClientCert(h.ca, { commonName: 'proxy-2', spiffeIds: [`spiffe://${TRUST_DOMAIN}/ns/other/mcpserver/github`] });
    const changed = new Promise((resolve) => c.source.subscribe(resolve));
    await writeBundle(c.dir, { ...rotated, caPem: h.ca.certPem });
    await changed;
    const s2 = await session();
    await expect(c.client.exchange(s2.jwt, s2.tsid)).rejects.toMatchObject({ code: 'forbidden' });
    expect(h.audit.at(-1)).toMatchObject({ cert_cn: 'proxy-2', reason: 'owner_mismatch' });
    await c.close();
  });
});
