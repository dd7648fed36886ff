/**
 * A minimal stand-in for the Kubernetes API server: list and watch of our three custom resources
 * over HTTPS (its own generated CA, put in the kubeconfig). A mock, because no kube-apiserver can run on this machine (no Docker, no
 * cluster); it speaks the real wire format (List with metadata.resourceVersion; watch as
 * newline-delimited {"type","object"} events), so the real @kubernetes/client-node informers run
 * against it unchanged.
 */
import type http from 'node:http';
import https from 'node:https';
import { createCA, issueServerCert } from '../../src/pki/index.ts';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../framework/types.ts';

const PLURALS: Record<string, string> = { MCPServer: 'mcpservers', MCPExternalAuthConfig: 'mcpexternalauthconfigs', MCPAuthServer: 'mcpauthservers' };

export interface FakeApiServer {
  url: string;
  kubeconfigFile: string;
  /** Adds/replaces an object and sends ADDED/MODIFIED to open watches. */
  put(obj: KubeObject): void;
  /** Lists of this plural fail with 500 until allowed again. */
  failLists(plural: string, fail: boolean): void;
  listCount(plural: string): number;
  /** Paths of every request received (list and watch), in order. */
  paths: string[];
  /** Watch requests still open. */
  openWatches(): number;
  stop(): Promise<void>;
}

export async function startFakeApiServer(initial: KubeObject[] = []): Promise<FakeApiServer> {
  let resourceVersion = 1;
  const store = new Map<string, Map<string, KubeObject>>(Object.values(PLURALS).map((p) => [p, new Map()]));
  const watchers = new Map<string, Set<http.ServerResponse>>(Object.values(PLURALS).map((p) => [p, new Set()]));
  const failing = new Set<string>();
  const lists = new Map<string, number>();
  const paths: string[] = [];
  const ca = await createCA({ commonName: 'fake apiserver CA' });
  const cert = await issueServerCert(ca, { commonName: '127.0.0.1', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    paths.push(url.pathname);
    const match = /^\/apis\/toolhive\.stacklok\.dev\/v1alpha1\/(?:namespaces\/[^/]+\/)?([a-z]+)$/.exec(url.pathname);
    const plural = match?.[1];
    const namespace = /\/namespaces\/([^/]+)\//.exec(url.pathname)?.[1];
    const all = plural ? store.get(plural) : undefined;
    const objects = all && namespace ? new Map([...all].filter(([, o]) => o.metadata?.namespace === namespace)) : all;
    if (!plural || !objects) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 404 }));
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      watchers.get(plural)!.add(res); // (watch events are not filtered by namespace: tests put only into the watched one)
      res.on('close', () => watchers.get(plural)!.delete(res));
      return;
    }
    lists.set(plural, (lists.get(plural) ?? 0) + 1);
    if (failing.has(plural)) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 500, message: 'etcd unavailable' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'List', metadata: { resourceVersion: String(resourceVersion) }, items: [...objects.values()] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'fake-apiserver-'));
  const kubeconfigFile = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfigFile,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: url, 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
      users: [{ name: 'fake', user: { token: 'test-token' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
      'current-context': 'fake',
    }),
  );
  const api: FakeApiServer = {
    url,
    kubeconfigFile,
    put(obj) {
      const plural = PLURALS[obj.kind ?? ''];
      if (!plural) throw new Error(`fake apiserver: unknown kind ${obj.kind}`);
      resourceVersion += 1;
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      const existed = store.get(plural)!.has(key);
      const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(resourceVersion) } };
      store.get(plural)!.set(key, stored);
      for (const w of watchers.get(plural)!) w.write(`${JSON.stringify({ type: existed ? 'MODIFIED' : 'ADDED', object: stored })}\n`);
    },
    failLists(plural, fail) {
      if (fail) failing.add(plural);
      else failing.delete(plural);
    },
    listCount: (plural) => lists.get(plural) ?? 0,
    paths,
    openWatches: () => [...watchers.values()].reduce((n, set) => n + set.size, 0),
    async stop() {
      for (const set of watchers.values()) for (const w of set) w.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  for (const obj of initial) api.put(obj);
  return api;
}
