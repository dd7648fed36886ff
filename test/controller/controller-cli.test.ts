// `mcp-authserver controller` as a real process, with the exact arguments of the manager
// Deployment (rendered by `kubectl kustomize config/overlays/dev`), against the fake API server
// (it stands in for kube-apiserver, which cannot run here), with the webhooks served in-process
// over real TLS (certificates from src/pki).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createCA, issueServerCert } from '../../src/pki/index.ts';
import { parseListen } from '../../src/cli/commands/controller.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { API, eventually, installCrds , startFakeApiServer } from './helpers.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'controller-cli-'));
let caPem = '';
let managerArgs: string[] = [];
let managerEnv: Record<string, string> = {};

beforeAll(async () => {
  const ca = await createCA({ commonName: 'controller-cli test CA' });
  const leaf = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
  writeFileSync(join(dir, 'tls.key'), leaf.keyPem);
  caPem = ca.certPem;
  const rendered = execFileSync('kubectl', ['kustomize', join(ROOT, 'config/overlays/dev')], { encoding: 'utf8' });
  const manager = parseAllDocuments(rendered)
    .map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: { template: { spec: { containers: { name: string; args: string[]; env: { name: string; value?: string }[] }[] } } } })
    .find((o) => o.kind === 'Deployment' && o.metadata.name === 'mcp-authserver-controller');
  const container = manager!.spec.template.spec.containers.find((c) => c.name === 'controller')!;
  managerArgs = container.args;
  managerEnv = Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let children: ChildProcess[] = [];
let servers: FakeApiServer[] = [];
afterEach(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of servers) await s.stop();
  children = [];
  servers = [];
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function fakeCluster(crdOwner?: string): Promise<{ server: FakeApiServer; kubeconfig: string }> {
  const server = await startFakeApiServer();
  servers.push(server);
  installCrds(server, crdOwner);
  const kubeconfig = join(dir, `kubeconfig-${servers.length}`);
  writeFileSync(kubeconfig, server.kubeConfig().exportConfig());
  return { server, kubeconfig };
}

function run(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number> } {
  let out = '';
  const child = spawn(process.execPath, [join(ROOT, 'bin/mcp-authserver.mjs'), ...args], { env: { ...process.env, ...env, POD_NAMESPACE: 'mcp-authserver-system' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  children.push(child);
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, output: () => out, exited };
}

function getHttps(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: caPem, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('mcp-authserver controller (process)', () => {
  it('the manager Deployment args parse; over a foreign CRD it refuses to start with one clear line', async () => {
    expect(managerArgs).toContain('--webhooks');
    const { kubeconfig } = await fakeCluster('toolhive-operator');
    const p = run([...managerArgs, '--kubeconfig', kubeconfig, '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--webhook-listen', '127.0.0.1:0', '--health-listen', '127.0.0.1:0'], managerEnv);
    expect(await p.exited).toBe(1);
    const lines = p.output().trim().split('\n').filter((l) => l.startsWith('mcp-authserver:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/CRD mcpauthservers\.toolhive\.stacklok\.dev exists but is not owned by mcp-authserver .*refusing/);
    expect(p.output()).not.toMatch(/\n\s+at /);
  });

  it('runs the reconcilers and the webhooks in one process, reports readiness, stops on SIGTERM', async () => {
    const { server, kubeconfig } = await fakeCluster();
    const [health, webhook] = [await freePort(), await freePort()];
    const p = run(
      [...managerArgs, '--kubeconfig', kubeconfig, '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--webhook-listen', `127.0.0.1:${webhook}`, '--health-listen', `127.0.0.1:${health}`],
      { ...managerEnv, TOOLHIVE_PROXY_IMAGE: 'registry.example/proxy:9.9.9' },
    );
    await eventually(async () => (await fetch(`http://127.0.0.1:${health}/readyz`).catch(() => undefined))?.status === 200, `controller /readyz\n${p.output()}`, 25_000);
    expect((await fetch(`http://127.0.0.1:${health}/healthz`)).status).toBe(200);
    expect(await getHttps(webhook, '/healthz')).toBe(200);
    // Leader election is on (the manifest says --leader-elect): the Lease appears in POD_NAMESPACE.
    await eventually(() => server.getObject('coordination.k8s.io/v1', 'Lease', 'mcp-authserver-system', 'mcp-authserver-controller'), 'lease');

    server.putObject({ apiVersion: API, kind: 'MCPServer', metadata: { name: 'tools', namespace: 'mcp-prod' }, spec: { image: 'ghcr.io/example/tools:1' } });
    const dep = await eventually(() => server.getObject('apps/v1', 'Deployment', 'mcp-prod', 'tools'), 'MCPServer Deployment', 20_000);
    const containers = (dep.spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers;
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['proxy', 'registry.example/proxy:9.9.9'],
      ['mcp', 'ghcr.io/example/tools:1'],
    ]);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    // The Lease was handed back on the way out.
    expect(server.getObject('coordination.k8s.io/v1', 'Lease', 'mcp-authserver-system', 'mcp-authserver-controller')?.spec).not.toHaveProperty('holderIdentity');
  });

  it('bad listen addresses are reported by flag name', () => {
    expect(parseListen('--health-listen', ':8081')).toEqual({ port: 8081 });
    expect(parseListen('--health-listen', '127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('--webhook-listen', '[::1]:9443')).toEqual({ host: '::1', port: 9443 });
    for (const bad of ['nonsense', '8081', ':99999', 'host:', 'a:b:c']) {
      expect(() => parseListen('--health-listen', bad)).toThrow(`--health-listen: "${bad}" must be HOST:PORT, :PORT or [IPv6]:PORT`);
    }
  });
});
