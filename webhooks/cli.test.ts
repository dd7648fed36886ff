/**
 * `mcp-authserver webhook` as a process: real HTTPS, informers against a fake API server (no
 * kube-apiserver can run here), graceful SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFakeApiServer, type FakeApiServer } from './testing/fake-apiserver.ts';
import { makeServingCerts, type ServingCerts } from './testing/certs.ts';
import { makeClient } from './testing/client.ts';
import { buildReview } from './testing/reviews.ts';
import { authServerConfig, labelledPod, mcpServer } from './testing/objects.ts';

const BIN = fileURLToPath(new URL('../bin/mcp-authserver.mjs', import.meta.url));
let api: FakeApiServer;
let certs: ServingCerts;

beforeAll(async () => {
  [api, certs] = await Promise.all([
    startFakeApiServer([mcpServer('mcp-prod', 'github-tools', 'client'), authServerConfig('mcp-prod', 'client', { authServerRef: { name: 'auth', namespace: 'sec' } })]),
    makeServingCerts(),
  ]);
});
afterAll(async () => {
  await api.stop();
  await certs.cleanup();
});

function run(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; output: () => string; exit: Promise<number | null>; listening: Promise<number> } {
  const child = spawn(process.execPath, [BIN, 'webhook', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let onPort: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolve) => (onPort = resolve));
  const collect = (d: Buffer) => {
    out += d.toString();
    const m = /"address":\{"address":"127\.0\.0\.1","family":"IPv4","port":(\d+)\}/.exec(out);
    if (m) onPort(Number(m[1]));
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exit, listening };
}

describe('mcp-authserver webhook', () => {
  it('serves with informers from --kubeconfig: ready once synced, injects pods, drains on SIGTERM', async () => {
    const p = run(['--listen', '127.0.0.1:0', '--tls-cert', certs.certFile, '--tls-key', certs.keyFile, '--kubeconfig', api.kubeconfigFile, '--cluster-domain', 'corp.local']);
    const port = await Promise.race([p.listening, p.exit.then(() => Promise.reject(new Error(p.output())))]);
    const client = makeClient(`https://127.0.0.1:${port}`, certs.ca.certPem);
    try {
      let ready = await client.get('/readyz');
      for (let i = 0; i < 300 && ready.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 20));
        ready = await client.get('/readyz');
      }
      expect(ready.status).toBe(200);
      const review = buildReview({ operation: 'CREATE', object: labelledPod('github-tools'), namespace: 'mcp-prod' });
      const res = (await client.post('/mutate-pods?timeout=10s', review)).json();
      expect(res.response.allowed).toBe(true);
      const ops = JSON.parse(Buffer.from(res.response.patch!, 'base64').toString()) as Array<{ path: string; value: unknown }>;
      expect(JSON.stringify(ops)).toContain('https://auth-internal.sec.svc.corp.local');
      // A server created after start arrives through the watch.
      api.put(mcpServer('mcp-prod', 'later'));
      let later = (await client.post('/mutate-pods', buildReview({ operation: 'CREATE', object: labelledPod('later'), namespace: 'mcp-prod' }))).json();
      for (let i = 0; i < 300 && !later.response.allowed; i++) {
        await new Promise((r) => setTimeout(r, 20));
        later = (await client.post('/mutate-pods', buildReview({ operation: 'CREATE', object: labelledPod('later'), namespace: 'mcp-prod' }))).json();
      }
      expect(later.response).toMatchObject({ allowed: true });
      expect(later.response.patch).toBeUndefined();
    } finally {
      await client.close();
    }
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(p.output()).toContain('"msg":"stopped"');
    expect(p.output()).not.toMatch(/BEGIN (EC )?PRIVATE KEY/);
  });

  it('without cluster access: CRD webhooks work, pod injection answers 503', async () => {
    const env = { ...process.env };
    delete env.KUBERNETES_SERVICE_HOST;
    const p = run(['--listen', '127.0.0.1:0', '--tls-cert', certs.certFile, '--tls-key', certs.keyFile], env);
    const port = await Promise.race([p.listening, p.exit.then(() => Promise.reject(new Error(p.output())))]);
    const client = makeClient(`https://127.0.0.1:${port}`, certs.ca.certPem);
    try {
      expect((await client.get('/readyz')).status).toBe(200);
      const res = (await client.post('/mutate-pods', buildReview({ operation: 'CREATE', object: labelledPod('github-tools'), namespace: 'mcp-prod' }))).json();
      expect(res.response).toMatchObject({ allowed: false, status: { code: 503 } });
    } finally {
      await client.close();
    }
    expect(p.output()).toContain('pod injection answers 503');
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  });

  it.each([
    [['--listen', '127.0.0.1:0', '--tls-cert', '/nonexistent/tls.crt', '--tls-key', '/nonexistent/tls.key'], /^mcp-authserver: cannot read certificate file \/nonexistent\/tls.crt: ENOENT$/m],
    [['--feature-gates', 'Bogus=true'], /--feature-gates: unknown gate "Bogus"/],
    [['--feature-gates', 'MultiUpstreamIdp=yes'], /--feature-gates: MultiUpstreamIdp must be =true or =false/],
  ])('bad flags fail with one clear line: %j', async (args, message) => {
    const p = run(args);
    expect(await p.exit).not.toBe(0);
    expect(p.output()).toMatch(message);
    expect(p.output()).not.toMatch(/\n\s+at /);
  });
});
