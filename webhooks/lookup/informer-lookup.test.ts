import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { createInformerLookup, type InformerLookup } from './informer-lookup.ts';
import { startFakeApiServer, type FakeApiServer } from '../testing/fake-apiserver.ts';
import { authServerConfig, mcpAuthServer, mcpServer } from '../testing/objects.ts';

// No kube-apiserver can run here: the informers (real @kubernetes/client-node code) talk to a
// fake API server speaking the list/watch wire format (webhooks/testing/fake-apiserver.ts).
let api: FakeApiServer | undefined;
let lookup: InformerLookup | undefined;
afterEach(async () => {
  await lookup?.close();
  await api?.stop();
  lookup = undefined;
  api = undefined;
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

function kubeConfigFor(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

describe('createInformerLookup', () => {
  it('close() while the first lists are in flight leaves no watch open (client-node would open it after the list)', async () => {
    api = await startFakeApiServer([mcpServer('ns1', 'srv', 'cfg')]);
    lookup = createInformerLookup({ kubeConfig: kubeConfigFor(api.kubeconfigFile), restartDelayMs: 20 });
    const starting = lookup.start();
    await lookup.close();
    await starting;
    const server = api;
    await until(() => server.openWatches() === 0);
    expect(server.paths.length).toBeGreaterThanOrEqual(3); // the three lists were sent
  });

  it('lists, syncs, serves gets from the cache and follows watch events', async () => {
    api = await startFakeApiServer([mcpServer('ns1', 'srv', 'cfg'), authServerConfig('ns1', 'cfg', { url: 'https://a-internal.x.svc' }), mcpAuthServer('x', 'a', 'https://auth', 'td')]);
    lookup = createInformerLookup({ kubeConfig: kubeConfigFor(api.kubeconfigFile), restartDelayMs: 20 });
    expect(lookup.synced()).toBe(false);
    await lookup.start();
    expect(lookup.synced()).toBe(true);
    expect(lookup.getMCPServer('ns1', 'srv')?.spec).toMatchObject({ externalAuthConfigRef: { name: 'cfg' } });
    expect(lookup.getExternalAuthConfig('ns1', 'cfg')?.metadata?.name).toBe('cfg');
    expect(lookup.getMCPAuthServer?.('x', 'a')?.metadata?.name).toBe('a');
    expect(lookup.getMCPServer('ns1', 'other')).toBeUndefined();
    expect(lookup.getMCPServer('ns2', 'srv')).toBeUndefined();
    api.put(mcpServer('ns2', 'late', 'cfg'));
    await until(() => lookup!.getMCPServer('ns2', 'late') !== undefined);
  });

  it('with a namespace, lists and watches only that namespace', async () => {
    api = await startFakeApiServer([mcpServer('ns1', 'srv'), mcpServer('ns2', 'other')]);
    lookup = createInformerLookup({ kubeConfig: kubeConfigFor(api.kubeconfigFile), namespace: 'ns1' });
    await lookup.start();
    expect(lookup.synced()).toBe(true);
    expect(lookup.getMCPServer('ns1', 'srv')).toBeDefined();
    expect(lookup.getMCPServer('ns2', 'other')).toBeUndefined();
    expect(api.paths.every((p) => p.startsWith('/apis/toolhive.stacklok.dev/v1alpha1/namespaces/ns1/'))).toBe(true);
    expect(new Set(api.paths)).toEqual(
      new Set(['mcpservers', 'mcpexternalauthconfigs', 'mcpauthservers'].map((p) => `/apis/toolhive.stacklok.dev/v1alpha1/namespaces/ns1/${p}`)),
    );
  });

  it('is not synced while a list fails, retries, and syncs once the list works', async () => {
    api = await startFakeApiServer([mcpServer('ns1', 'srv')]);
    api.failLists('mcpexternalauthconfigs', true);
    lookup = createInformerLookup({ kubeConfig: kubeConfigFor(api.kubeconfigFile), restartDelayMs: 20 });
    await lookup.start();
    expect(lookup.synced()).toBe(false);
    expect(lookup.getMCPServer('ns1', 'srv')).toBeDefined();
    await until(() => api!.listCount('mcpexternalauthconfigs') >= 2);
    expect(lookup.synced()).toBe(false);
    api.failLists('mcpexternalauthconfigs', false);
    await until(() => lookup!.synced());
  });
});
