/**
 * Peak resident memory of each server under load (issue 7), each in its own process so the
 * figure is the server's own (getrusage maxRSS), not the load generator's:
 * - auth server holding 100,000 live sessions in the memory store (session + encrypted upstream
 *   tokens + refresh-token record each), under discovery and token-endpoint load — target ≤ 250 MB;
 * - proxy with 10,000 cached upstream tokens (10,000 distinct users' JWTs), under cache-hit load —
 *   target ≤ 100 MB. Its exchange endpoint is a stand-in mTLS server in this process, so only the
 *   proxy's memory is measured (the real exchange has its own benchmark in bench/exchange.ts);
 * - webhook server under pod-injection load — target ≤ 100 MB.
 *
 * Run alone: `node bin/run-ts.mjs bench/memory.ts`; `BENCH_MEMORY_DEBUG=1` also prints each
 * server's live heap after a full GC, to tell live data from heap growth.
 */
import 'reflect-metadata';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, calculateJwkThumbprint } from 'jose';
import type { BenchRow } from './types.ts';
import { createCA, issueClientCert, issueServerCert, writeBundle } from '../src/pki/index.ts';
import { mcpServer, authServerConfig } from '../webhooks/testing/objects.ts';

const LOAD_SECONDS = Number(process.env.BENCH_DURATION_S ?? 5);
const SESSIONS = 100_000;
const CACHED_TOKENS = 10_000;

/** What bench/lib/memory-child.mjs takes. */
interface ChildInit {
  role: 'authserver' | 'proxy' | 'webhook';
  sessions?: number;
  proxy?: { exchangeUrl: string; certFile: string; keyFile: string; caFile: string; issuer: string; upstreamUrl: string; resourceUrl: string };
  webhook?: { certFile: string; keyFile: string; objects: unknown[] };
}

/** The children run the compiled build, as the container image does. */
function build(): void {
  execFileSync(process.execPath, [new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname, '-p', 'tsconfig.build.json', '--outDir', 'bench/.build'], {
    cwd: new URL('..', import.meta.url).pathname,
    stdio: 'inherit',
  });
}

interface Child {
  port: number;
  peak(): Promise<number>;
  stop(): void;
}

async function startChild(init: ChildInit): Promise<Child> {
  const proc: ChildProcess = fork(new URL('./lib/memory-child.mjs', import.meta.url), [], { execArgv: process.env.BENCH_MEMORY_DEBUG ? ['--expose-gc'] : [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`bench child ${init.role} exited with ${code}`)));
    proc.on('message', function onMessage(m: { hello?: true; ready?: true; port?: number }) {
      if (m.hello) proc.send({ init });
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
          if (process.env.BENCH_MEMORY_DEBUG) console.error(`bench memory: ${init.role}: live heap after GC ${m.liveHeapMb.toFixed(0)} MB, RSS now ${m.rssMb.toFixed(0)} MB`);
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
  const child = await startChild({ role: 'authserver', sessions: SESSIONS });
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
  const child = await startChild({
    role: 'proxy',
    proxy: { exchangeUrl: `https://localhost:${(exchange.address() as AddressInfo).port}`, certFile: clientFiles.certFile, keyFile: clientFiles.keyFile, caFile: clientFiles.caFile!, issuer, upstreamUrl: issuer, resourceUrl },
  });
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
  const child = await startChild({
    role: 'webhook',
    webhook: {
      certFile: files.certFile,
      keyFile: files.keyFile,
      objects: [
        mcpServer('mcp-servers', 'github-tools', 'corp-authserver-client'),
        authServerConfig('mcp-servers', 'corp-authserver-client', { authServerRef: { name: 'mcp-auth', namespace: 'toolhive-system' }, upstreamIdp: 'corp', clientCert: { trustDomain: 'toolhive.local' } }),
      ],
    },
  });
  try {
    const l = await load({ url: `https://127.0.0.1:${child.port}/mutate-pods`, method: 'POST', headers: { 'content-type': 'application/json' }, body: review, tlsOptions: { rejectUnauthorized: false } });
    return row('memory: webhook server, pod injection', l, await child.peak(), 100);
  } finally {
    child.stop();
  }
}

export async function run(): Promise<BenchRow[]> {
  console.error('bench memory: compiling (npm run build) so each server runs as in the image...');
  build();
  const dir = await mkdtemp(join(tmpdir(), 'bench-memory-'));
  try {
    return [await authServerRow(), await proxyRow(dir), await webhookRow(dir)];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./index.ts');
  console.log(renderTable(await run()));
}
