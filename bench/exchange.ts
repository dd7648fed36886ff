/**
 * Internal token exchange and proxy cache-hit throughput (issue 4). Each server runs in a worker
 * thread (its own event loop, one core); autocannon drives it from the main thread over reused
 * mTLS keep-alive connections presenting a real client SVID.
 *
 * Rows:
 * - floor: a bare mTLS keep-alive server that reads the form body and does ONE ES256 JWT verify.
 * - exchange (memory store) and exchange (Redis store, real redis-server): the full §2.10 path
 *   (identity cached per connection, policy, form, JWT, deny list, session, owner, binding,
 *   upstream row decrypt, audit line to /dev/null).
 * - proxy cache hit: the proxy (JWT via JWKS, cached exchange, forward to a trivial upstream),
 *   against a plain forward of the same request to the same upstream.
 *
 * Targets: exchange cost ≤ 1.5× floor; ≥ 2,000 exchanges/s per core (memory); ≥ 95 % of requests
 * on reused TLS connections (sockets counted on the server). Cost is the server thread's event-loop
 * active time per request (`performance.eventLoopUtilization()`), so a busy shared machine skews
 * it far less than raw req/s; req/s is reported too. Interleaved rounds, lowest cost kept.
 *
 * Run alone: `node bin/run-ts.mjs bench/exchange.ts`.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';

import type { BenchRow } from './types.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = 8;
const SESSIONS = 200;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** `BENCH_EXCHANGE_ROWS=memory`: only the floor and the memory-store row (for iterating). */
const MEMORY_ONLY = process.env.BENCH_EXCHANGE_ROWS === 'memory';

type Mode = 'floor' | 'exchange' | 'proxy' | 'forward';
interface WorkerInit {
  mode: Mode;
  dir: string;
  redisUrl?: string;
  /** proxy/forward modes */
  exchangeUrl?: string;
  jwksUrl?: string;
  token?: string;
}
interface Started {
  port: number;
  tokens?: string[];
  jwksUrl?: string;
}

const ISSUER = 'https://auth.bench.test';
const RESOURCE = 'https://tools.bench.test/mcp';
const TRUST_DOMAIN = 'bench.local';
const OWNER = { namespace: 'tools', name: 'github' };

async function workerMain(init: WorkerInit): Promise<void> {
  const https = await import('node:https');
  const http = await import('node:http');
  const { createHash, generateKeyPairSync, randomBytes, randomUUID, verify } = await import('node:crypto');
  const { SignJWT, calculateJwkThumbprint } = await import('jose');
  const { pino } = await import('pino');
  const file = (name: string) => readFileSync(`${init.dir}/${name}`);
  let sockets = 0;
  const countSockets = (server: import('node:https').Server) => server.on('secureConnection', () => sockets++);
  parentPort!.on('message', (msg: string) => {
    if (msg === 'stats') {
      const activeMs = performance.eventLoopUtilization().active;
      parentPort!.postMessage({ stats: { sockets, rssMb: process.memoryUsage().rss / 2 ** 20, activeMs, cpuMs: threadCpuMs() } });
    }
  });

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as import('jose').JWK, 'sha256');
  const mint = (tsid: string, userId: string) => {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: ISSUER, sub: userId, aud: [RESOURCE], iat, nbf: iat, exp: iat + 3600, jti: randomUUID(), client_id: 'client-1', tsid })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .sign(privateKey);
  };
  // The same TLS and keep-alive settings as the internal listener (startInternalListener).
  const tlsOptions = { minVersion: 'TLSv1.2', cert: file('server/tls.crt'), key: file('server/tls.key'), ca: file('server/ca.crt'), requestCert: true, rejectUnauthorized: true, keepAliveTimeout: 65_000 } as const;

  if (init.mode === 'floor') {
    const token = await mint('tsid', 'user');
    const server = https.createServer(tlsOptions, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // The cheapest ES256 verify Node offers (node:crypto on the thread pool, as the exchange's own
        // fast path does): jose's WebCrypto verify costs ~35 µs more per request and would flatter the ratio.
        const signedPart = Buffer.from(token.slice(0, token.lastIndexOf('.')), 'ascii');
        const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
        verify('sha256', signedPart, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature, (err, ok) => {
          if (err || !ok) throw new Error('bench floor: the token did not verify');
          const body = '{"access_token":"x","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3600}';
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
          res.end(body);
        });
      });
    });
    countSockets(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    parentPort!.postMessage({ port: (server.address() as AddressInfo).port, tokens: [token] } satisfies Started);
    return;
  }

  if (init.mode === 'exchange') {
    const { FileCertSource } = await import('../src/pki/index.ts');
    const { createExchangeApp, startInternalListener } = await import('../src/exchange/index.ts');
    const { createMemoryStore, createRedisStore, redisKeyPrefix } = await import('../src/store/index.ts');
    const { createAuditLogger } = await import('../src/telemetry/index.ts');
    const encryptionKeys = { activeKeyId: 'k1', keys: { k1: randomBytes(32) } };
    const store = init.redisUrl
      ? await createRedisStore({ url: init.redisUrl, keyPrefix: redisKeyPrefix({ namespace: 'ns', name: 'auth' }), commandTimeoutMs: 250, encryptionKeys })
      : createMemoryStore({ encryptionKeys });
    const tokens: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const tsid = randomBytes(16).toString('base64url');
      const userId = randomUUID();
      const now = Date.now();
      await store.sessions.create({ tsid, owner: OWNER, resource: RESOURCE, clientId: 'client-1', userId, familyId: randomUUID(), createdAtMs: now, expiresAtMs: now + 86_400_000 });
      await store.upstreamTokens.store(tsid, 'corp', {
        provider: 'corp',
        accessToken: `upstream-${createHash('sha256').update(tsid).digest('hex')}`,
        refreshToken: 'rt',
        expiresAtMs: now + 3_600_000,
        sessionExpiresAtMs: now + 86_400_000,
        userId,
        upstreamSubject: 'alice',
        clientId: 'up',
      });
      tokens.push(await mint(tsid, userId));
    }
    const audit = createAuditLogger(pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })));
    const app = createExchangeApp({
      config: { issuer: ISSUER, allowedSubjects: { trustDomain: TRUST_DOMAIN, allowedNamespaces: [OWNER.namespace] }, upstreams: [{ name: 'corp' }] },
      store,
      keys: { algorithms: ['ES256'], byKid: (k) => (k === kid ? { alg: 'ES256', publicKey } : undefined) },
      resourceMap: { lookup: (r) => (r === RESOURCE ? { ...OWNER, upstreamIdp: 'corp' } : null) },
      upstreams: [{ name: 'corp', refresh: () => Promise.reject(new Error('no refresh in bench')) }],
      audit,
    });
    const source = new FileCertSource({ certFile: `${init.dir}/server/tls.crt`, keyFile: `${init.dir}/server/tls.key`, caFile: `${init.dir}/server/ca.crt` });
    await source.start();
    const listener = await startInternalListener({ app, source, host: '127.0.0.1', port: 0 });
    countSockets(listener.server);
    // JWKS for the proxy benchmark.
    const jwk = { ...(publicKey.export({ format: 'jwk' }) as object), kid, alg: 'ES256', use: 'sig' };
    const jwksServer = http.createServer((_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    parentPort!.postMessage({ port: listener.address().port, tokens, jwksUrl: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks` } satisfies Started);
    return;
  }

  // proxy / forward: a trivial upstream in this worker, then the proxy (or a plain forward) in front.
  const upstream = http.createServer((_req, res) => {
    const body = '{"jsonrpc":"2.0","id":1,"result":{}}';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
  upstream.keepAliveTimeout = 120_000;
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  let handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
  if (init.mode === 'proxy') {
    const { FileCertSource } = await import('../src/pki/index.ts');
    const { ExchangeClient, createProxy, parseClientConfig } = await import('../src/proxy/index.ts');
    const source = new FileCertSource({ certFile: `${init.dir}/client/tls.crt`, keyFile: `${init.dir}/client/tls.key`, caFile: `${init.dir}/client/ca.crt` });
    await source.start();
    const exchanger = new ExchangeClient({
      config: parseClientConfig(JSON.stringify({ url: init.exchangeUrl, client_cert_path: `${init.dir}/client/tls.crt`, client_key_path: `${init.dir}/client/tls.key`, ca_bundle_path: `${init.dir}/client/ca.crt`, upstream_idp: 'corp' })),
      source,
    });
    handler = createProxy({ resourceUrl: RESOURCE, issuer: ISSUER, jwksUrl: init.jwksUrl!, upstreamUrl, exchanger }).handle;
  } else {
    const { Agent } = await import('undici');
    const agent = new Agent({ keepAliveTimeout: 30_000 });
    handler = (req, res) => void forwardPlain(req, res, upstreamUrl, agent);
  }
  const server = http.createServer({ keepAliveTimeout: 120_000 }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  parentPort!.postMessage({ port: (server.address() as AddressInfo).port } satisfies Started);
}

/** Baseline for the proxy row: forwards with undici and streams the response, no auth at all. */
async function forwardPlain(
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
  origin: string,
  agent: import('undici').Dispatcher,
): Promise<void> {
  const { request } = await import('undici');
  const { pipeline } = await import('node:stream/promises');
  const upstream = await request(`${origin}${req.url ?? '/'}`, { dispatcher: agent, method: 'GET', headers: { 'content-type': 'application/json' } });
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') headers[k] = v;
  res.writeHead(upstream.statusCode, headers);
  await pipeline(upstream.body, res).catch(() => undefined);
}

async function startWorker(init: WorkerInit): Promise<Started & { worker: Worker }> {
  // Workers do not inherit the tsx loader: register it in the worker, then load this file there.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(import.meta.url)});`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: init });
  const started = await new Promise<Started>((resolve, reject) => {
    const onMessage = (m: Started & { stats?: unknown }) => {
      if (m.port === undefined) return;
      worker.off('message', onMessage);
      resolve(m);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
  return { ...started, worker };
}

interface WorkerStats {
  sockets: number;
  rssMb: number;
  /** Event-loop active time of the server thread (ms), for the per-request cost. */
  activeMs: number;
  /** CPU time (user + system) of the server thread itself (ms; Linux only, else NaN). */
  cpuMs: number;
}

/**
 * CPU time of the calling thread: /proc/thread-self/schedstat (nanoseconds on the CPU), else
 * /proc/thread-self/stat (clock ticks, assumed 100 Hz: 10 ms steps). Unlike event-loop active
 * time it does not grow while the thread waits for a core, so it stays comparable on a loaded
 * machine. Work a thread hands to the libuv pool is not in it (nor in ELU).
 */
function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    // schedstat is missing on kernels built without CONFIG_SCHED_INFO.
  }
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function statsOf(worker: Worker): Promise<WorkerStats> {
  return new Promise((resolve) => {
    const onMessage = (m: { stats?: WorkerStats }) => {
      if (!m.stats) return;
      worker.off('message', onMessage);
      resolve(m.stats);
    };
    worker.on('message', onMessage);
    worker.postMessage('stats');
  });
}

interface Load {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

async function load(options: { url: string; bodies?: string[]; headers?: Record<string, string>[]; tls?: { cert: Buffer; key: Buffer; ca: Buffer }; durationS?: number }): Promise<Load> {
  // @ts-expect-error autocannon ships no type declarations
  const { default: autocannon } = (await import('autocannon')) as { default: (opts: unknown) => Promise<unknown> };
  const n = Math.max(options.bodies?.length ?? 0, options.headers?.length ?? 0, 1);
  let i = 0;
  const result = await autocannon({
    url: options.url,
    method: options.bodies ? 'POST' : 'GET',
    connections: CONNECTIONS,
    duration: options.durationS ?? DURATION_S,
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const k = i++ % n;
          return {
            ...req,
            ...(options.bodies ? { body: options.bodies[k], headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}),
            ...(options.headers ? { headers: options.headers[k] } : {}),
          };
        },
      },
    ],
    ...(options.tls ? { tlsOptions: { ...options.tls, servername: 'localhost' } } : {}),
  } as never);
  const r = result as unknown as { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  return { reqPerSec: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors };
}

export async function run(): Promise<BenchRow[]> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createCA, issueClientCert, issueServerCert, writeBundle } = await import('../src/pki/index.ts');
  const { startRedisServer } = await import('../test/helpers/redis-server.ts');
  const dir = await mkdtemp(join(tmpdir(), 'bench-exchange-'));
  const ca = await createCA({ commonName: 'bench CA' });
  await writeBundle(join(dir, 'server'), { ...(await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })), caPem: ca.certPem });
  const svid = await issueClientCert(ca, { commonName: 'github', spiffeIds: [`spiffe://${TRUST_DOMAIN}/ns/${OWNER.namespace}/mcpserver/${OWNER.name}`] });
  await writeBundle(join(dir, 'client'), { ...svid, caPem: ca.certPem });
  const tls = { cert: Buffer.from(svid.certPem), key: Buffer.from(svid.keyPem), ca: Buffer.from(ca.certPem) };
  const form = (token: string) =>
    new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      audience: 'corp',
    }).toString();

  const redis = MEMORY_ONLY ? null : await startRedisServer();
  const workers: Worker[] = [];
  const rows: BenchRow[] = [];
  try {
    const floor = await startWorker({ mode: 'floor', dir });
    const memory = await startWorker({ mode: 'exchange', dir });
    const redisEx = redis ? await startWorker({ mode: 'exchange', dir, redisUrl: redis.url }) : null;
    workers.push(floor.worker, memory.worker, ...(redisEx ? [redisEx.worker] : []));

    const measure = async (w: Started & { worker: Worker }) => {
      const url = `https://localhost:${w.port}/internal/token-exchange`;
      const bodies = w.tokens!.map(form);
      await load({ url, bodies, tls, durationS: 1 }); // warm-up (JIT, TLS), not measured
      const before = await statsOf(w.worker);
      const result = await load({ url, bodies, tls });
      const after = await statsOf(w.worker);
      const newSockets = after.sockets - before.sockets;
      const costUs = result.requests === 0 ? Infinity : ((after.activeMs - before.activeMs) * 1000) / result.requests;
      const cpuUs = result.requests === 0 ? Infinity : ((after.cpuMs - before.cpuMs) * 1000) / result.requests;
      return { ...result, reused: result.requests === 0 ? 0 : 1 - newSockets / result.requests, rssMb: after.rssMb, costUs, cpuUs };
    };
    // Interleaved rounds, best of each: on a shared machine the floor and the exchange then see
    // the same background load (one round each would compare different moments).
    type Measured = Awaited<ReturnType<typeof measure>>;
    const best: Record<'floor' | 'memory' | 'redis', Measured | undefined> = { floor: undefined, memory: undefined, redis: undefined };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, w] of [
        ['floor', floor],
        ['memory', memory],
        ['redis', redisEx],
      ] as const) {
        if (!w) continue;
        const r = await measure(w);
        if (!best[name] || r.costUs < best[name]!.costUs) best[name] = r;
      }
    }
    const floorResult = best.floor!;
    for (const label of ['memory', 'redis'] as const) {
      const r = best[label];
      if (!r) continue;
      // Cost = server-thread event-loop active time per request (robust on a shared machine);
      // the per-core rate is its inverse.
      const ratio = r.costUs / floorResult.costUs;
      const perCore = 1e6 / r.costUs;
      const ok = r.non2xx === 0 && r.errors === 0;
      rows.push({
        path: `exchange POST /internal/token-exchange (${label} store; ${r.costUs.toFixed(0)} µs/req server-thread vs floor ${floorResult.costUs.toFixed(0)} µs = ${perCore.toFixed(0)}/s per core; thread CPU ${r.cpuUs.toFixed(0)} vs ${floorResult.cpuUs.toFixed(0)} µs/req; ${(r.reused * 100).toFixed(2)} % reused connections)`,
        reqPerSec: r.reqPerSec,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        baseline: { name: 'mTLS keep-alive echo + one ES256 verify', reqPerSec: floorResult.reqPerSec },
        ratio,
        target: label === 'memory' ? 'cost ≤ 1.5× floor; ≥ 2,000/s per core; ≥ 95 % reused' : 'cost ≤ 1.5× floor (informational for Redis); ≥ 95 % reused',
        pass: ok && r.reused >= 0.95 && (label === 'memory' ? ratio <= 1.5 && perCore >= 2000 : true),
        peakRssMb: r.rssMb,
      });
    }

    if (MEMORY_ONLY) return rows;
    // Proxy cache-hit path vs a plain forward to the same upstream.
    const proxy = await startWorker({ mode: 'proxy', dir, exchangeUrl: `https://localhost:${memory.port}`, jwksUrl: memory.jwksUrl! });
    const forward = await startWorker({ mode: 'forward', dir });
    workers.push(proxy.worker, forward.worker);
    const headers = memory.tokens!.slice(0, 50).map((t) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' }));
    await load({ url: `http://127.0.0.1:${proxy.port}/mcp`, headers, durationS: 1 });
    const p = await load({ url: `http://127.0.0.1:${proxy.port}/mcp`, headers });
    await load({ url: `http://127.0.0.1:${forward.port}/mcp`, headers, durationS: 1 });
    const f = await load({ url: `http://127.0.0.1:${forward.port}/mcp`, headers });
    rows.push({
      path: 'proxy cache hit (JWT verify via JWKS + cached exchange + forward)',
      reqPerSec: p.reqPerSec,
      p50Ms: p.p50Ms,
      p99Ms: p.p99Ms,
      baseline: { name: 'plain undici forward, same upstream', reqPerSec: f.reqPerSec },
      ratio: f.reqPerSec / p.reqPerSec,
      target: 'informational (no errors)',
      pass: p.non2xx === 0 && p.errors === 0,
      peakRssMb: (await statsOf(proxy.worker)).rssMb,
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

if (!isMainThread && (workerData as WorkerInit | undefined)?.mode) {
  await workerMain(workerData as WorkerInit);
} else if (isMainThread && import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run();
  console.table(rows.map((r) => ({ ...r, baseline: r.baseline?.name, baselineReqPerSec: r.baseline?.reqPerSec })));
}
