// The apply layer (src/controller/apply.ts) through the real @kubernetes/client-node against the
// fake API server (test/controller/fake-apiserver.ts; it stands in for kube-apiserver, which
// cannot run here). Asserts the requests on the wire and the error mapping.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeApplier, isControllerError } from '../../src/controller/index.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { API, startFakeApiServer } from './helpers.ts';

let server: FakeApiServer;
let applier: KubeApplier;
beforeEach(async () => {
  server = await startFakeApiServer();
  applier = new KubeApplier(server.kubeConfig());
});
afterEach(async () => {
  await server.stop();
});

const cm = (data: Record<string, string>, labels: Record<string, string> = { 'app.kubernetes.io/managed-by': 'mcp-authserver' }) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'ns', labels },
  data,
});

describe('KubeApplier', () => {
  it('server-side apply: PATCH apply-patch+yaml with fieldManager and force; a no-op apply keeps the resourceVersion', async () => {
    const first = await applier.apply(cm({ a: '1' }));
    const req = server.requests.at(-1)!;
    expect(req).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/ns/configmaps/c', contentType: 'application/apply-patch+yaml' });
    expect(req.query.get('fieldManager')).toBe('mcp-authserver');
    expect(req.query.get('force')).toBe('true');
    expect(req.body).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });
    const again = await applier.apply(cm({ a: '1' }));
    expect(again.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const changed = await applier.apply(cm({ a: '2' }));
    expect(Number(changed.metadata.resourceVersion)).toBeGreaterThan(Number(first.metadata.resourceVersion));
  });

  it('without force, fields owned by another manager conflict (409 → code conflict); with force we take them', async () => {
    server.putObject(cm({ a: 'theirs' }));
    const err = await applier.apply(cm({ a: 'ours' }), { force: false }).catch((e: unknown) => e);
    expect(isControllerError(err, 'conflict')).toBe(true);
    expect((err as Error).message).toMatch(/apply ConfigMap ns\/c: conflict/);
    await applier.apply(cm({ a: 'ours' }), { force: true });
    expect(server.getObject('v1', 'ConfigMap', 'ns', 'c')!.data).toEqual({ a: 'ours' });
  });

  it('createIfAbsent never overwrites', async () => {
    expect(await applier.createIfAbsent({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k', namespace: 'ns' }, data: { key: 'Zmlyc3Q=' } })).toBe(true);
    expect(await applier.createIfAbsent({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k', namespace: 'ns' }, data: { key: 'c2Vjb25k' } })).toBe(false);
    expect(server.getObject('v1', 'Secret', 'ns', 'k')!.data).toEqual({ key: 'Zmlyc3Q=' });
  });

  it('prune deletes only labelled objects that are no longer desired', async () => {
    for (const name of ['keep', 'drop']) {
      server.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', labels: { owner: 'x' } }, data: {} });
    }
    server.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'foreign', namespace: 'ns' }, data: {} });
    expect(await applier.prune('v1', 'ConfigMap', 'ns', 'owner=x', new Set(['keep']))).toEqual(['drop']);
    expect(server.listObjects('v1', 'ConfigMap', 'ns').map((o) => o.metadata.name).sort()).toEqual(['foreign', 'keep']);
    const list = server.requests.find((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/ns/configmaps')!;
    expect(list.query.get('labelSelector')).toBe('owner=x');
  });

  it('status goes to the /status subresource and leaves spec alone; finalizers carry a resourceVersion precondition', async () => {
    server.putObject({ apiVersion: API, kind: 'MCPServer', metadata: { name: 's', namespace: 'ns' }, spec: { image: 'a' } });
    const obj = (await applier.get({ apiVersion: API, kind: 'MCPServer', namespace: 'ns', name: 's' }))!;
    await applier.applyStatus(obj, 'mcpservers', { phase: 'Pending' });
    expect(server.requests.at(-1)).toMatchObject({ method: 'PATCH', path: '/apis/toolhive.stacklok.dev/v1alpha1/namespaces/ns/mcpservers/s/status', contentType: 'application/apply-patch+yaml' });
    expect(server.getObject(API, 'MCPServer', 'ns', 's')).toMatchObject({ spec: { image: 'a' }, status: { phase: 'Pending' }, metadata: { generation: 1 } });
    // obj is now stale (status write bumped the resourceVersion): the finalizer patch must fail, not clobber.
    const stale = await applier.setFinalizers(obj, ['f']).catch((e: unknown) => e);
    expect(isControllerError(stale, 'conflict')).toBe(true);
    const fresh = (await applier.get({ apiVersion: API, kind: 'MCPServer', namespace: 'ns', name: 's' }))!;
    await applier.setFinalizers(fresh, ['f']);
    expect(server.getObject(API, 'MCPServer', 'ns', 's')!.metadata.finalizers).toEqual(['f']);
  });

  it('maps errors: absent object → null/false, unserved kind → kind_not_served, 5xx → api_error', async () => {
    expect(await applier.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'nope' })).toBeNull();
    expect(await applier.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'nope' })).toBe(false);
    server.disableGroup('cert-manager.io');
    const unserved = await new KubeApplier(server.kubeConfig()).apply({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'x', namespace: 'ns' }, spec: {} }).catch((e: unknown) => e);
    expect(isControllerError(unserved, 'kind_not_served')).toBe(true);
    server.failNext({ method: 'PATCH', status: 503 });
    const unavailable = await applier.apply(cm({})).catch((e: unknown) => e);
    expect(isControllerError(unavailable, 'api_error')).toBe(true);
    expect((unavailable as Error).message).toBe('apply ConfigMap ns/c: API error 503: injected fault 503');
  });
});
