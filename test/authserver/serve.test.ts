/**
 * `mcp-authserver serve --config FILE` as a real child process: real config.json, real files for
 * keys/secrets/certs, a real upstream IdP, HTTPS public listener, the internal mTLS listener from
 * src/exchange with a real client certificate, graceful shutdown on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import * as client from 'openid-client';
import { createCA, issueClientCert, issueServerCert, writeBundle } from '../../src/pki/index.ts';
import { startUpstreamIdp, type TestUpstreamIdp } from '../helpers/oidc-provider.ts';
import { authorize, generateSigningPem, registerClient, RESOURCE, writeResourceMap } from './harness.ts';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function spawnServe(configFile: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/mcp-authserver.mjs', 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitReady(url: string, dispatcher?: Agent): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await undiciFetch(url, dispatcher ? { dispatcher } : {});
      if (r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

describe('serve command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serve-test-'));
  let idp: TestUpstreamIdp;
  let caPem: string;
  let clientCert: { certPem: string; keyPem: string };
  let publicPort: number;
  let internalPort: number;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    publicPort = await freePort();
    internalPort = await freePort();
    const ca = await createCA({ commonName: 'serve test CA' });
    caPem = ca.certPem;
    const server = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const written = await writeBundle(join(dir, 'tls'), { ...server, caPem: ca.certPem });
    files.cert = written.certFile;
    files.key = written.keyFile;
    files.ca = written.caFile!;
    clientCert = await issueClientCert(ca, { commonName: 'github-tools', spiffeIds: ['spiffe://toolhive.local/ns/mcp-prod/mcpserver/github-tools'] });
    files.signing = join(dir, 'key-0.pem');
    writeFileSync(files.signing, generateSigningPem());
    files.encryption = join(dir, 'enc.key');
    writeFileSync(files.encryption, Buffer.alloc(32, 7).toString('base64'));
    idp = await startUpstreamIdp({
      redirectUris: [`https://127.0.0.1:${publicPort}/oauth/callback`, `http://127.0.0.1:${publicPort}/oauth/callback`],
    });
    files.secret = join(dir, 'client-secret');
    writeFileSync(files.secret, `${idp.clientSecret}\n`);
    files.map = writeResourceMap();
  });
  afterAll(async () => idp?.stop());

  function writeConfig(name: string, publicTls: boolean): string {
    const scheme = publicTls ? 'https' : 'http';
    const file = join(dir, name);
    writeFileSync(
      file,
      JSON.stringify({
        schema_version: 'v1',
        issuer: `${scheme}://127.0.0.1:${publicPort}`,
        public_listen_addr: `127.0.0.1:${publicPort}`,
        internal_listen_addr: `127.0.0.1:${internalPort}`,
        public_tls: publicTls,
        tls: { cert_file: files.cert, key_file: files.key, client_ca_file: files.ca, min_version: '1.2' },
        signing_keys: [{ file: files.signing, algorithm: 'ES256' }],
        upstreams: [
          { name: 'corp', type: 'oidc', issuer_url: idp.issuer, client_id: idp.clientId, client_secret_file: files.secret, scopes: ['openid', 'offline_access'] },
        ],
        allowed_subjects: { trust_domain: 'toolhive.local', allowed_namespaces: ['mcp-prod'] },
        resource_map_file: files.map,
        storage: { type: 'memory', encryption_keys: [{ id: 'k1', file: files.encryption }] },
        log_level: 'warn',
      }),
    );
    return file;
  }

  it('serves HTTPS publicly (no client cert asked), 404 for /internal/* there, and exits 0 on SIGTERM', async () => {
    const proc = spawnServe(writeConfig('https.json', true));
    const trustCa = new Agent({ connect: { ca: caPem } });
    try {
      await waitReady(`https://127.0.0.1:${publicPort}/readyz`, trustCa);
      const meta = await undiciFetch(`https://127.0.0.1:${publicPort}/.well-known/oauth-authorization-server`, { dispatcher: trustCa });
      expect(((await meta.json()) as { issuer: string }).issuer).toBe(`https://127.0.0.1:${publicPort}`);
      const hidden = await undiciFetch(`https://127.0.0.1:${publicPort}/internal/token-exchange`, { method: 'POST', dispatcher: trustCa });
      expect(hidden.status).toBe(404);
      // The internal listener refuses a handshake without a client certificate.
      await expect(undiciFetch(`https://127.0.0.1:${internalPort}/internal/token-exchange`, { method: 'POST', dispatcher: trustCa })).rejects.toThrow();
    } finally {
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      await trustCa.close();
    }
  });

  it('full flow on plain-HTTP public listener, then the upstream token through the internal mTLS exchange', async () => {
    const proc = spawnServe(writeConfig('http.json', false));
    const mtls = new Agent({ connect: { ca: caPem, cert: clientCert.certPem, key: clientCert.keyPem } });
    try {
      const issuer = `http://127.0.0.1:${publicPort}`;
      await waitReady(`${issuer}/readyz`);
      const config = await registerClient(issuer);
      const { tokens } = await authorize(config);
      const exchange = await undiciFetch(`https://127.0.0.1:${internalPort}/internal/token-exchange`, {
        method: 'POST',
        dispatcher: mtls,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: tokens.access_token,
          subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        }).toString(),
      });
      const body = (await exchange.json()) as Record<string, unknown>;
      expect(exchange.status).toBe(200);
      expect(body.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token');
      expect(typeof body.access_token).toBe('string');
      expect(body.access_token).not.toBe(tokens.access_token);
      expect(body).not.toHaveProperty('refresh_token');
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      expect(refreshed.access_token).toBeTruthy();
      expect(RESOURCE).toBeTruthy();
    } finally {
      proc.child.kill('SIGINT');
      expect(await proc.exited).toBe(0);
      await mtls.close();
    }
  });

  it('an invalid config stops start-up with one clear line naming the field', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ issuer: 'http://auth.example.com', signing_keys: [], upstreams: [], resource_map_file: 'x' }));
    const proc = spawnServe(file);
    expect(await proc.exited).toBe(1);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mcp-authserver: config .*bad\.json: signing_keys: must NOT have fewer than 1 items$/);
  });
});
