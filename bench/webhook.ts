/**
 * Admission webhook throughput, latency and cost (issue 5): pod-injection and validation reviews
 * over HTTPS keep-alive, against a bare HTTPS keep-alive echo server of the same payload measured
 * in the same run. Each server runs in its own child process (one event loop = one core);
 * autocannon drives them from this process.
 *
 * Targets and how they are measured:
 * - "handler p99 ≤ 2 ms at 1,000 reviews/s": autocannon holds 1,000 reviews/s; the share of
 *   reviews the server's own `admission_duration_seconds` histogram puts at ≤ 2 ms must be ≥ 99 %.
 *   (The end-to-end p50/p99 shown include TLS, the client and, on a shared machine, scheduling.)
 * - "cost ≤ 2× the echo floor": CPU time (user + system, `process.cpuUsage()` of the server
 *   process) per review, webhook ÷ echo, both at the same fixed rate, best (lowest) of ROUNDS
 *   interleaved windows each, so a burst of other load on a shared machine hits neither side
 *   alone. CPU time is what the server itself burns, so unlike max throughput it barely moves
 *   when other processes share the machine. Max reviews/s (best of alternating rounds) is shown
 *   in the req/s and baseline columns for context; on a busy machine it is noisy.
 * - The webhook server is the bundle the container image runs (hack/bundle.ts, rebuilt into
 *   bench/.build/ first), not the TypeScript sources.
 * - Both servers run with the image's node options (the Dockerfile's NODE_OPTIONS).
 * - Fair floor: the echo is forked the same way (tsx loader, own process), serves the same
 *   certificate files with the webhook's TLS options (TLS ≥ 1.2) and keep-alive timeouts, reads
 *   the same request body and writes it back as JSON.
 *
 * Run alone: `node bin/run-ts.mjs bench/webhook.ts`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import https from 'node:https';

import type { BenchRow } from './types.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = 8;
const FIXED_RATE = 1000;
const ROUNDS = 3;
const SLICE_S = Math.max(2, Math.round(DURATION_S / 2));
const FIXED_SLICE_S = Math.max(2, Math.round(DURATION_S * 0.6));

interface ServerInit {
  mode: 'webhook' | 'echo';
  certFile: string;
  keyFile: string;
}

type FromServer = { port: number } | { metrics: string } | { cpuMs: number; maxRssMb: number };

// ---------------------------------------------------------------- server process side

async function serverMain(init: ServerInit): Promise<void> {
  let metrics: () => Promise<string> = async () => '';
  let port: number;
  if (init.mode === 'echo') {
    // The floor: TLS + HTTP keep-alive + reading the whole body + writing the same bytes back.
    const server = https.createServer({ cert: readFileSync(init.certFile), key: readFileSync(init.keyFile), minVersion: 'TLSv1.2' }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
        res.end(body);
      });
    });
    // The webhook's keep-alive settings (webhooks/server.ts defaults).
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 125_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  } else {
    const { pino } = await import('pino');
    // The bundle the image runs (hack/bundle.ts; written by run() below), not the sources through tsx.
    // (Its path is spelled out rather than imported from bench/lib/bench-bundle.ts, which would load esbuild into this server.)
    const { startWebhookServer, createMemoryLookup } = (await import(new URL('./.build/webhooks.mjs', import.meta.url).href)) as typeof import('../webhooks/index.ts');
    const { authServerConfig, mcpServer } = await import('../webhooks/testing/objects.ts');
    const lookup = createMemoryLookup([
      mcpServer('mcp-servers', 'github-tools', 'main-authserver-client'),
      authServerConfig('mcp-servers', 'main-authserver-client', { authServerRef: { name: 'auth', namespace: 'toolhive-system' }, upstreamIdp: 'corp' }),
    ]);
    const server = await startWebhookServer({ listen: '127.0.0.1:0', tlsCertFile: init.certFile, tlsKeyFile: init.keyFile, lookup, logger: pino({ level: 'silent' }) });
    port = server.address().port;
    metrics = () => get(port, '/metrics');
  }
  const send = (m: FromServer) => process.send!(m);
  process.on('message', (msg: string) => {
    if (msg === 'metrics') void metrics().then((m) => send({ metrics: m }));
    if (msg === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ cpuMs: (user + system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 });
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ port });
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path, rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
}

// ---------------------------------------------------------------- main side

interface BenchServer {
  port: number;
  metrics(): Promise<string>;
  cpuMs(): Promise<number>;
  maxRssMb(): Promise<number>;
  stop(): void;
}

async function startServer(init: ServerInit): Promise<BenchServer> {
  const runTs = fileURLToPath(new URL('../bin/run-ts.mjs', import.meta.url));
  // Both servers run with the image's node options (the webhook as in the image; the echo alike, so
  // the floor has the same runtime settings).
  const { imageNodeOptions } = await import('./lib/bench-bundle.ts');
  const execArgv = [...process.execArgv, ...(await imageNodeOptions())];
  const child: ChildProcess = fork(runTs, [fileURLToPath(import.meta.url), '--serve', JSON.stringify(init)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const ask = (question: 'metrics' | 'cpu'): Promise<FromServer> =>
    new Promise((resolve) => {
      const field = question === 'metrics' ? 'metrics' : 'cpuMs';
      const onMessage = (m: FromServer) => {
        if (!(field in m)) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      child.send(question);
    });
  return {
    port,
    metrics: async () => ((await ask('metrics')) as { metrics: string }).metrics,
    cpuMs: async () => ((await ask('cpu')) as { cpuMs: number }).cpuMs,
    maxRssMb: async () => ((await ask('cpu')) as { maxRssMb: number }).maxRssMb,
    stop: () => {
      child.disconnect();
    },
  };
}

interface Load {
  reqPerSec: number;
  total: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

async function load(port: number, path: string, body: string, rate?: number, durationS = DURATION_S): Promise<Load> {
  // @ts-expect-error autocannon ships no type declarations
  const { default: autocannon } = (await import('autocannon')) as { default: (opts: unknown) => Promise<unknown> };
  const r = (await autocannon({
    url: `https://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: durationS,
    ...(rate ? { overallRate: rate } : {}),
    // Self-signed bench CA: the TLS work is the same with or without verification.
    tlsOptions: { rejectUnauthorized: false },
  })) as { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; timeouts: number };
  return { reqPerSec: r.requests.average, total: r.requests.total, p50Ms: r.latency.p50, p99Ms: r.latency.p99, failures: r.non2xx + r.errors + r.timeouts };
}

/** Server-process CPU ms per request while `run` executes. */
async function cpuMsPerRequest(server: BenchServer, run: () => Promise<Load>): Promise<{ load: Load; costMs: number }> {
  const before = await server.cpuMs();
  const result = await run();
  const after = await server.cpuMs();
  return { load: result, costMs: result.total > 0 ? (after - before) / result.total : NaN };
}

/** Observations ≤ 2 ms and total, from the server's own admission_duration_seconds histogram. */
function handlerCounts(metrics: string, plugin: string): { within: number; count: number } {
  let within = 0;
  let count = 0;
  for (const outcome of ['allowed', 'patched']) {
    within += Number(new RegExp(`admission_duration_seconds_bucket\\{le="0.002",plugin="${plugin}",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    count += Number(new RegExp(`admission_duration_seconds_count\\{plugin="${plugin}",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  }
  return { within, count };
}



export async function run(): Promise<BenchRow[]> {
  const { makeServingCerts } = await import('../webhooks/testing/certs.ts');
  const { buildReview, fixture } = await import('../webhooks/testing/reviews.ts');
  const { validAuthServer } = await import('../webhooks/testing/crd-objects.ts');
  const { ensureBenchBundle } = await import('./lib/bench-bundle.ts');
  await ensureBenchBundle();
  const certs = await makeServingCerts();
  const cases = [
    // The pod the apiserver sent (captured), injected; and a valid MCPAuthServer, validated.
    { label: 'pod injection', path: '/mutate-pods', plugin: 'pod-inject', body: JSON.stringify(fixture('pod-create.json')) },
    { label: 'validation', path: '/validate-mcpauthserver', plugin: 'mcpauthserver-validate', body: JSON.stringify(buildReview({ operation: 'CREATE', object: validAuthServer() })) },
  ];
  const webhook = await startServer({ mode: 'webhook', certFile: certs.certFile, keyFile: certs.keyFile });
  const echo = await startServer({ mode: 'echo', certFile: certs.certFile, keyFile: certs.keyFile });
  const rows: BenchRow[] = [];
  try {
    for (const { label, path, plugin, body } of cases) {
      // Warm-up (JIT, TLS sessions), not measured.
      await load(webhook.port, path, body, FIXED_RATE, 2);
      await load(echo.port, path, body, FIXED_RATE, 2);

      // CPU per review at the fixed rate: webhook and echo windows interleaved, best of ROUNDS
      // each; the handler-latency share counts every webhook window.
      const h0 = handlerCounts(await webhook.metrics(), plugin);
      let fixed: { load: Load; costMs: number } | undefined;
      let floor: { load: Load; costMs: number } | undefined;
      let failures = 0;
      let slowest = Infinity;
      for (let round = 0; round < ROUNDS; round++) {
        const w = await cpuMsPerRequest(webhook, () => load(webhook.port, path, body, FIXED_RATE, FIXED_SLICE_S));
        const e = await cpuMsPerRequest(echo, () => load(echo.port, path, body, FIXED_RATE, FIXED_SLICE_S));
        failures += w.load.failures;
        slowest = Math.min(slowest, w.load.reqPerSec);
        if (!fixed || w.costMs < fixed.costMs) fixed = w;
        if (!floor || e.costMs < floor.costMs) floor = e;
      }
      if (!fixed || !floor) throw new Error('internal error: no measurement');
      const h1 = handlerCounts(await webhook.metrics(), plugin);
      const measured = h1.count - h0.count;
      const share = measured > 0 ? (h1.within - h0.within) / measured : 0;
      rows.push({
        path: `webhook ${label} ${path} @${FIXED_RATE}/s: ${(share * 100).toFixed(2)} % of reviews handled ≤ 2 ms (p50/p99 end-to-end)`,
        reqPerSec: fixed.load.reqPerSec,
        p50Ms: fixed.load.p50Ms,
        p99Ms: fixed.load.p99Ms,
        target: `handler p99 ≤ 2 ms at ${FIXED_RATE}/s`,
        peakRssMb: await webhook.maxRssMb(),
        // The rate must actually have been held (a starved client would flatter the server).
        pass: failures === 0 && measured > 0 && share >= 0.99 && slowest >= FIXED_RATE * 0.95,
      });

      // Max throughput: webhook and echo alternated, best of ROUNDS each, for context.
      let max: Load | undefined;
      let echoMax: Load | undefined;
      for (let round = 0; round < ROUNDS; round++) {
        const w = await load(webhook.port, path, body, undefined, SLICE_S);
        const e = await load(echo.port, path, body, undefined, SLICE_S);
        if (!max || w.reqPerSec > max.reqPerSec) max = w;
        if (!echoMax || e.reqPerSec > echoMax.reqPerSec) echoMax = e;
      }
      if (!max || !echoMax) throw new Error('internal error: no measurement');
      const ratio = fixed.costMs / floor.costMs;
      rows.push({
        path: `webhook ${label} ${path} CPU/review at ${FIXED_RATE}/s: ${(fixed.costMs * 1000).toFixed(0)} µs vs echo ${(floor.costMs * 1000).toFixed(0)} µs (req/s: max)`,
        reqPerSec: max.reqPerSec,
        p50Ms: max.p50Ms,
        p99Ms: max.p99Ms,
        baseline: { name: 'HTTPS keep-alive echo, same payload (max)', reqPerSec: echoMax.reqPerSec },
        ratio,
        target: 'cost ≤ 2× echo floor',
        peakRssMb: await webhook.maxRssMb(),
        pass: max.failures === 0 && failures === 0 && ratio <= 2,
      });
    }
  } finally {
    webhook.stop();
    echo.stop();
    await certs.cleanup();
  }
  return rows;
}

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex !== -1) {
  await serverMain(JSON.parse(process.argv[serveIndex + 1] ?? '{}') as ServerInit);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await run()) console.log(JSON.stringify(row));
}
