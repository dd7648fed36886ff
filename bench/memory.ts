/**
 * Peak resident memory of each server under load (issue 7), each in its own process so the
 * figure is the server's own, not the load generator's. Every server runs the bundle that
 * `npm run build` writes for the container image (hack/bundle.ts), rebuilt here into bench/.build:
 * - auth server holding 100,000 live sessions in the memory store (session + encrypted upstream
 *   tokens + refresh-token record each), under discovery and token-endpoint load — target ≤ 250 MB.
 *   A small host process (bench/lib/memory-child.mjs) fills the store through the bundle's own
 *   store and serves the bundle's auth server, since 100,000 logins over HTTP would take minutes;
 * - proxy with 10,000 cached tokens (10,000 distinct users' JWTs), under cache-hit load —
 *   target ≤ 100 MB: the `mcp-authserver proxy` binary itself, configured as in a pod. Its
 *   exchange endpoint is a stand-in mTLS server in this process, so only the proxy's memory is
 *   measured (the real exchange has its own benchmark in bench/exchange.ts);
 * - webhook server under pod-injection load — target ≤ 100 MB: the `mcp-authserver webhook`
 *   binary with `--kubeconfig`, its informers listing and watching a stand-in API server in this
 *   process (webhooks/testing/fake-apiserver.ts: no kube-apiserver can run on this machine).
 *
 * Peak RSS is the kernel's high-water mark (VmHWM in /proc/PID/status, Linux) or getrusage's
 * maxRSS in the host process. Run alone: `node bin/run-ts.mjs bench/memory.ts`;
 * `BENCH_MEMORY_DEBUG=1` also prints the auth server's live heap after a full GC and the binaries'
 * resident memory when ready and after the proxy's warm-up; `BENCH_MEMORY_ONLY=proxy,webhook`
 * measures a subset. Every server runs with the node options the image sets (`ENV NODE_OPTIONS`
 * in the Dockerfile, read from there so the two cannot drift); `BENCH_NODE_FLAGS="..."` replaces
 * them (to try other heap settings: docs/performance-analysis.md).
 */
import 'reflect-metadata';
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, calculateJwkThumbprint } from 'jose';
import type { BenchRow } from './types.ts';
import { createCA, issueClientCert, issueServerCert, writeBundle } from '../src/pki/index.ts';
import { mcpServer, authServerConfig } from '../webhooks/testing/objects.ts';
import { startFakeApiServer } from '../webhooks/testing/fake-apiserver.ts';
import { BENCH_BUILD_DIR, ensureBenchBundle, imageNodeOptions } from './lib/bench-bundle.ts';

const LOAD_SECONDS = Number(process.env.BENCH_DURATION_S ?? 5);
const SESSIONS = 100_000;
const CACHED_TOKENS = 10_000;
const CLI = join(BENCH_BUILD_DIR, 'mcp-authserver.mjs');

interface Child {
  port: number;
  peak(): Promise<number>;
  /** Prints the current resident memory with BENCH_MEMORY_DEBUG (binaries only). */
  debugRss?(when: string): Promise<void>;
  stop(): void;
}

/** The auth server host process (bench/lib/memory-child.mjs), which loads the bundle. */
async function startAuthServerChild(sessions: number): Promise<Child> {
  const execArgv = [...(await imageNodeOptions()), ...(process.env.BENCH_MEMORY_DEBUG ? ['--expose-gc'] : [])];
  const proc: ChildProcess = fork(new URL('./lib/memory-child.mjs', import.meta.url), [], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`bench child authserver exited with ${code}`)));
    proc.on('message', function onMessage(m: { hello?: true; ready?: true; port?: number }) {
      if (m.hello) proc.send({ init: { sessions } });
      if (m.ready) {
        proc.off('message', onMessage);
        resolve(m.port!);
      }
    });
  });
  return {
    port,
    peak: () =>
      new Promise((resolve) => {
        proc.once('message', (m: { peakRssMb: number; liveHeapMb: number; rssMb: number }) => {
          if (process.env.BENCH_MEMORY_DEBUG) console.error(`bench memory: authserver: live heap after GC ${m.liveHeapMb.toFixed(0)} MB, RSS now ${m.rssMb.toFixed(0)} MB`);
          resolve(m.peakRssMb);
        });
        proc.send({ peak: true });
      }),
    stop: () => {
      proc.removeAllListeners('exit');
      proc.kill();
    },
  };
}

/** POST over HTTPS to a server with a self-signed certificate (the webhook's). */
function postInsecure(url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Peak resident set of another process: the kernel's high-water mark (Linux). */
async function peakRssMbOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`bench memory: no VmHWM in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

/**
 * Runs the bundled `mcp-authserver` binary with `args` and waits until `readyUrl` answers 200
 * (its readiness probe), failing with the binary's own output when it exits first.
 */
async function startBinary(args: string[], env: Record<string, string>, readyUrl: string, port: number): Promise<Child> {
  const proc = spawn(process.execPath, [...(await imageNodeOptions()), CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`bench memory: mcp-authserver ${args[0]} exited with ${proc.exitCode}: ${stderr.trim()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const get = readyUrl.startsWith('https:') ? https.get : http.get;
      get(readyUrl, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      }).on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill();
      throw new Error(`bench memory: mcp-authserver ${args[0]} not ready after 30 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const debugRss = async (when: string) => {
    if (!process.env.BENCH_MEMORY_DEBUG) return;
    const rssKb = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${proc.pid}/status`, 'utf8'))?.[1];
    console.error(`bench memory: ${args[0]}: RSS ${when} ${(Number(rssKb) / 1024).toFixed(0)} MB`);
  };
  await debugRss('when ready');
  return { port, peak: () => peakRssMbOf(proc.pid!), debugRss, stop: () => proc.kill() };
}

interface Load {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

async function load(options: Record<string, unknown>): Promise<Load> {
  // @ts-expect-error autocannon ships no type declarations
  const { default: autocannon } = (await import('autocannon')) as { default: (o: unknown) => Promise<{ requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number }> };
  const r = await autocannon({ connections: 8, duration: LOAD_SECONDS, ...options });
  return { reqPerSec: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors };
}

function row(path: string, l: Load, peakRssMb: number, limitMb: number): BenchRow {
  return { path, reqPerSec: l.reqPerSec, p50Ms: l.p50Ms, p99Ms: l.p99Ms, peakRssMb, target: `peak RSS ≤ ${limitMb} MB`, pass: peakRssMb <= limitMb && l.errors === 0 };
}

async function authServerRow(): Promise<BenchRow> {
  const child = await startAuthServerChild(SESSIONS);
  try {
    const l = await load({
      url: `http://127.0.0.1:${child.port}`,
      requests: [
        { method: 'GET', path: '/.well-known/oauth-authorization-server' },
        // Unknown refresh tokens: a store lookup per request, answered invalid_grant/invalid_client.
        { method: 'POST', path: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&client_id=client-1&refresh_token=${randomBytes(32).toString('base64url')}` },
      ],
    });
    return row(`memory: auth server holding ${SESSIONS.toLocaleString('en')} sessions`, l, await child.peak(), 250);
  } finally {
    child.stop();
  }
}

async function proxyRow(dir: string): Promise<BenchRow> {
  const ca = await createCA({ commonName: 'bench CA' });
  const serverFiles = await writeBundle(join(dir, 'server'), { ...(await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })), caPem: ca.certPem });
  const clientFiles = await writeBundle(join(dir, 'client'), {
    ...(await issueClientCert(ca, { commonName: 'github-tools', spiffeIds: ['spiffe://toolhive.local/ns/mcp-prod/mcpserver/github-tools'] })),
    caPem: ca.certPem,
  });
  // Stand-in exchange endpoint: a fresh ~1 KB upstream token per request, 1 h life.
  const exchange = https.createServer(
    { cert: await readFile(serverFiles.certFile), key: await readFile(serverFiles.keyFile), ca: await readFile(serverFiles.caFile!), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: randomBytes(700).toString('base64url'), issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 3600 }));
      });
    },
  );
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' };
  const kid = await calculateJwkThumbprint(jwk);
  const side = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(req.url === '/.well-known/jwks.json' ? JSON.stringify({ keys: [{ ...jwk, kid }] }) : '{"jsonrpc":"2.0","id":1,"result":{}}');
  });
  await new Promise<void>((r) => exchange.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => side.listen(0, '127.0.0.1', r));
  const sidePort = (side.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${sidePort}`;
  const resourceUrl = 'http://127.0.0.1:1/mcp';
  // The proxy binary, configured as the reconciler configures it in a pod (spec §4.3).
  const port = await freePort();
  const clientConfig = {
    url: `https://localhost:${(exchange.address() as AddressInfo).port}`,
    client_cert_path: clientFiles.certFile,
    client_key_path: clientFiles.keyFile,
    ca_bundle_path: clientFiles.caFile,
    upstream_idp: 'corp',
    cache_max_entries: CACHED_TOKENS,
  };
  const child = await startBinary(
    ['proxy', '--listen', `127.0.0.1:${port}`, '--upstream', issuer, '--resource-url', resourceUrl, '--issuer', issuer],
    { TOOLHIVE_AUTHSERVER_CONFIG: JSON.stringify(clientConfig) },
    `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`,
    port,
  );
  try {
    const now = Math.floor(Date.now() / 1000);
    const jwts = await Promise.all(
      Array.from({ length: CACHED_TOKENS }, () =>
        new SignJWT({ client_id: 'client-1', tsid: randomBytes(16).toString('base64url'), scope: '' })
          .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
          .setIssuer(issuer).setSubject(randomUUID()).setAudience([resourceUrl]).setJti(randomUUID())
          .setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 3600)
          .sign(privateKey),
      ),
    );
    // Warm: one exchange per user fills the cache with CACHED_TOKENS entries.
    const url = `http://127.0.0.1:${child.port}/mcp`;
    for (let i = 0; i < jwts.length; i += 50) {
      await Promise.all(jwts.slice(i, i + 50).map(async (jwt) => {
        const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, body: '{}' });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`proxy warm-up: HTTP ${res.status}`);
      }));
    }
    await child.debugRss?.('after the warm-up');
    const l = await load({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: jwts.slice(0, 1000).map((jwt) => ({ method: 'POST', path: '/mcp', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, body: '{}' })),
    });
    return row(`memory: proxy with ${CACHED_TOKENS.toLocaleString('en')} cached tokens`, l, await child.peak(), 100);
  } finally {
    child.stop();
    exchange.closeAllConnections();
    exchange.close();
    side.closeAllConnections();
    side.close();
  }
}

async function webhookRow(dir: string): Promise<BenchRow> {
  const ca = await createCA({ commonName: 'bench webhook CA' });
  const files = await writeBundle(join(dir, 'webhook'), await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }));
  const review = await readFile(new URL('../webhooks/testdata/admission/pod-create.json', import.meta.url), 'utf8');
  // The webhook binary with its informers on a stand-in API server that holds the pod's MCPServer
  // and its auth-server config; /readyz turns 200 once the informer caches have synced.
  const api = await startFakeApiServer([
    mcpServer('mcp-servers', 'github-tools', 'corp-authserver-client'),
    authServerConfig('mcp-servers', 'corp-authserver-client', { authServerRef: { name: 'mcp-auth', namespace: 'toolhive-system' }, upstreamIdp: 'corp', clientCert: { trustDomain: 'toolhive.local' } }),
  ]);
  const port = await freePort();
  const child = await startBinary(
    ['webhook', '--listen', `127.0.0.1:${port}`, '--tls-cert', files.certFile, '--tls-key', files.keyFile, '--kubeconfig', api.kubeconfigFile, '--log-level', 'warn'],
    {},
    `https://127.0.0.1:${port}/readyz`,
    port,
  );
  try {
    // The load must exercise injection, not a denial: one review first, checked.
    const first = JSON.parse(await postInsecure(`https://127.0.0.1:${port}/mutate-pods`, review)) as { response?: { allowed?: boolean; patch?: string } };
    if (!first.response?.allowed || !first.response.patch) throw new Error(`bench memory: the webhook did not inject the pod: ${JSON.stringify(first.response)}`);
    const l = await load({ url: `https://127.0.0.1:${child.port}/mutate-pods`, method: 'POST', headers: { 'content-type': 'application/json' }, body: review, tlsOptions: { rejectUnauthorized: false } });
    return row('memory: webhook server, pod injection', l, await child.peak(), 100);
  } finally {
    child.stop();
    await api.stop();
  }
}

export async function run(): Promise<BenchRow[]> {
  console.error('bench memory: bundling (as npm run build does) so each server runs as in the image...');
  await ensureBenchBundle();
  const dir = await mkdtemp(join(tmpdir(), 'bench-memory-'));
  try {
    // BENCH_MEMORY_ONLY=proxy,webhook runs a subset (while working on one server).
    const only = process.env.BENCH_MEMORY_ONLY?.split(',');
    const rows: Array<[string, () => Promise<BenchRow>]> = [['authserver', authServerRow], ['proxy', () => proxyRow(dir)], ['webhook', () => webhookRow(dir)]];
    const out: BenchRow[] = [];
    for (const [name, measure] of rows) if (!only || only.includes(name)) out.push(await measure());
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./index.ts');
  console.log(renderTable(await run()));
}
