import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyJsonPatch } from '../../testing/apply-patch.ts';
import { Pod } from 'kubernetes-models/v1/Pod';
import { defaulterHandler } from '../../framework/defaulter-handler.ts';
import type { AdmissionRequest, AdmissionResponse, KubeObject } from '../../framework/types.ts';
import { createMemoryLookup } from '../../lookup/memory-lookup.ts';
import { authServerConfig, labelledPod, mcpServer } from '../../testing/objects.ts';
import { buildReview, fixture } from '../../testing/reviews.ts';
import { podInjector } from './inject.ts';

const NS = 'mcp-prod';
const lookup = createMemoryLookup([
  mcpServer(NS, 'github-tools', 'corp-client'),
  authServerConfig(NS, 'corp-client', { authServerRef: { name: 'mcp-auth', namespace: 'toolhive-system' }, upstreamIdp: 'corp-okta', clientCert: { trustDomain: 'td' } }),
  mcpServer(NS, 'no-auth'),
  mcpServer(NS, 'token-exchange', 'tx-config'),
  authServerConfig(NS, 'tx-config', undefined, 'tokenExchange'),
  mcpServer(NS, 'dangling', 'missing-config'),
  mcpServer('mcp-servers', 'github-tools', 'main-authserver-client'),
  authServerConfig('mcp-servers', 'main-authserver-client', { url: 'https://auth-internal.toolhive-system.svc.cluster.local' }),
]);
const handler = defaulterHandler(podInjector({ lookup }));

function request(pod: KubeObject, ns = NS): AdmissionRequest {
  return buildReview({ operation: 'CREATE', object: pod, namespace: ns }).request as unknown as AdmissionRequest;
}

function apply(pod: KubeObject, response: AdmissionResponse): KubeObject {
  return applyJsonPatch(pod, response.patch);
}

type Container = { name: string; env?: Array<{ name: string; value?: string }>; volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }> };
const containers = (pod: KubeObject) => (pod.spec as { containers: Container[] }).containers;
const volumes = (pod: KubeObject) => (pod.spec as { volumes?: Array<{ name: string }> }).volumes ?? [];

describe('pod injection (spec §4.3, §4.5)', () => {
  it('injects volumes, read-only mounts and TOOLHIVE_AUTHSERVER_CONFIG into the proxy container only; result is a valid Pod', async () => {
    const pod = labelledPod('github-tools');
    const response = await handler(request(pod));
    expect(response.allowed).toBe(true);
    const out = apply(pod, response);
    expect(() => new Pod(out as never).validate()).not.toThrow();
    expect(volumes(out).map((v) => v.name)).toEqual(['authserver-client-cert', 'authserver-ca-bundle']);
    const [proxy, mcp] = containers(out);
    expect(proxy?.volumeMounts).toEqual([
      { name: 'authserver-client-cert', mountPath: '/etc/toolhive/authserver-mtls', readOnly: true },
      { name: 'authserver-ca-bundle', mountPath: '/etc/toolhive/authserver-ca', readOnly: true },
    ]);
    const env = proxy?.env?.find((e) => e.name === 'TOOLHIVE_AUTHSERVER_CONFIG');
    expect(JSON.parse(env?.value ?? '{}')).toMatchObject({ url: 'https://mcp-auth-internal.toolhive-system.svc.cluster.local', upstream_idp: 'corp-okta' });
    expect(mcp).toEqual(containers(pod)[1]);
  });

  it('second pass (reinvocation) returns no patch, also after the apiserver defaulted the volumes', async () => {
    const pod = labelledPod('github-tools');
    const once = apply(pod, await handler(request(pod)));
    const twice = await handler(request(once));
    expect(twice).toEqual({ allowed: true });
    // What the apiserver stores between two webhook passes: defaultMode filled in.
    const defaulted = structuredClone(once) as { spec: { volumes: Array<Record<string, Record<string, unknown>>> } };
    for (const v of defaulted.spec.volumes) (v.secret ?? v.configMap)!.defaultMode = 420;
    expect(await handler(request(defaulted as unknown as KubeObject))).toEqual({ allowed: true });
  });

  it('uses the container named by the annotation', async () => {
    const pod = labelledPod('github-tools', {
      annotations: { 'toolhive.stacklok.dev/authserver-client-container': 'sidecar' },
      containers: [{ name: 'app', image: 'a' }, { name: 'sidecar', image: 'b' }],
    });
    const out = apply(pod, await handler(request(pod)));
    expect(containers(out)[0]).toEqual({ name: 'app', image: 'a' });
    expect(containers(out)[1]?.env?.map((e) => e.name)).toEqual(['TOOLHIVE_AUTHSERVER_CONFIG']);
  });

  it('replaces stale same-name entries instead of duplicating them, keeps unrelated ones', async () => {
    const pod = labelledPod('github-tools', {
      containers: [
        {
          name: 'proxy',
          image: 'p',
          env: [{ name: 'A', value: '1' }, { name: 'TOOLHIVE_AUTHSERVER_CONFIG', value: '{"url":"https://old"}' }],
          volumeMounts: [{ name: 'authserver-client-cert', mountPath: '/etc/toolhive/authserver-mtls', readOnly: true }],
        },
      ],
    });
    (pod.spec as Record<string, unknown>).volumes = [{ name: 'authserver-client-cert', secret: { secretName: 'stale-mtls' } }, { name: 'data', emptyDir: {} }];
    const out = apply(pod, await handler(request(pod)));
    expect(volumes(out).map((v) => v.name)).toEqual(['authserver-client-cert', 'data', 'authserver-ca-bundle']);
    expect(volumes(out)[0]).toEqual({ name: 'authserver-client-cert', secret: { secretName: 'github-tools-mtls' } });
    const proxy = containers(out)[0]!;
    expect(proxy.env?.map((e) => e.name)).toEqual(['A', 'TOOLHIVE_AUTHSERVER_CONFIG']);
    expect(JSON.parse(proxy.env![1]!.value!).url).toBe('https://mcp-auth-internal.toolhive-system.svc.cluster.local');
    expect(proxy.volumeMounts?.map((m) => m.name)).toEqual(['authserver-client-cert', 'authserver-ca-bundle']);
  });

  it.each([
    ['no label', { ...labelledPod('x'), metadata: { name: 'plain' } }],
    ['server without externalAuthConfigRef', labelledPod('no-auth')],
    ['server whose config is another type', labelledPod('token-exchange')],
  ])('passes unchanged: %s', async (_what, pod) => {
    expect(await handler(request(pod as KubeObject))).toEqual({ allowed: true });
  });

  it.each([
    ['missing MCPServer', labelledPod('ghost'), 'metadata.labels[toolhive.stacklok.dev/mcpserver]: MCPServer mcp-prod/ghost not found (mcpserver-exists)'],
    [
      'missing MCPExternalAuthConfig',
      labelledPod('dangling'),
      'MCPExternalAuthConfig mcp-prod/missing-config (referenced by MCPServer mcp-prod/dangling spec.externalAuthConfigRef.name) not found (external-auth-config-exists)',
    ],
    [
      'missing proxy container',
      labelledPod('github-tools', { containers: [{ name: 'mcp', image: 'x' }] }),
      'spec.containers: no container named "proxy" to receive the auth-server client material (containers: mcp)',
    ],
    [
      'missing annotated container',
      labelledPod('github-tools', { annotations: { 'toolhive.stacklok.dev/authserver-client-container': 'nope' } }),
      'metadata.annotations[toolhive.stacklok.dev/authserver-client-container]: no container named "nope"',
    ],
    [
      'mount path taken by another volume',
      labelledPod('github-tools', { containers: [{ name: 'proxy', image: 'p', volumeMounts: [{ name: 'mine', mountPath: '/etc/toolhive/authserver-ca' }] }] }),
      'spec.containers[0].volumeMounts[0].mountPath: /etc/toolhive/authserver-ca is reserved for volume authserver-ca-bundle',
    ],
  ])('denies with a message saying what is wrong: %s', async (_what, pod, message) => {
    const response = await handler(request(pod));
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(403);
    expect(response.status?.message).toContain(message);
    expect(response.patch).toBeUndefined();
  });

  it('answers 503 (never admits without material) while caches are not synced or without cluster access', async () => {
    const unsynced = createMemoryLookup([], { synced: false });
    const r1 = await defaulterHandler(podInjector({ lookup: unsynced }))(request(labelledPod('github-tools')));
    expect(r1).toMatchObject({ allowed: false, status: { code: 503, message: expect.stringMatching(/not synced/) } });
    const r2 = await defaulterHandler(podInjector({ lookup: undefined }))(request(labelledPod('github-tools')));
    expect(r2).toMatchObject({ allowed: false, status: { code: 503, message: expect.stringMatching(/without cluster access/) } });
    // Unlabelled pods are not affected by missing cluster access.
    const r3 = await defaulterHandler(podInjector({ lookup: undefined }))(request({ ...labelledPod('x'), metadata: { name: 'p' } }));
    expect(r3).toEqual({ allowed: true });
  });

  it('captured apiserver reviews (real and dryRun) get the same patch; the result is a valid Pod', async () => {
    const real = fixture('pod-create.json').request as unknown as AdmissionRequest;
    const dry = fixture('pod-create-dryrun.json').request as unknown as AdmissionRequest;
    const a = await handler(real);
    const b = await handler(dry);
    expect(a.patch?.length).toBeGreaterThan(0);
    expect(b.patch).toEqual(a.patch);
    const out = apply(real.object!, a);
    expect(() => new Pod(out as never).validate()).not.toThrow();
    // Existing service-account volume and mounts are kept; ours are appended.
    expect(volumes(out).map((v) => v.name)).toEqual(['default-token-4knnb', 'authserver-client-cert', 'authserver-ca-bundle']);
    expect(containers(out)[0]?.volumeMounts?.map((m) => m.name)).toEqual(['default-token-4knnb', 'authserver-client-cert', 'authserver-ca-bundle']);
    expect(JSON.parse(containers(out)[0]!.env![0]!.value!).url).toBe('https://auth-internal.toolhive-system.svc.cluster.local');
    expect(await handler({ ...real, object: out })).toEqual({ allowed: true });
  });

  it('property: for any proxy container contents, injection gives a valid Pod and is idempotent', async () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
    const env = fc.array(fc.record({ name: fc.oneof(name.map((n) => n.toUpperCase().replace(/-/g, '_')), fc.constant('TOOLHIVE_AUTHSERVER_CONFIG')), value: fc.string() }), { maxLength: 4 });
    const mounts = fc.array(
      fc.record({ name: fc.oneof(name, fc.constant('authserver-client-cert')), mountPath: fc.oneof(name.map((n) => `/data/${n}`), fc.constant('/etc/toolhive/authserver-mtls')) }),
      { maxLength: 3 },
    );
    await fc.assert(
      fc.asyncProperty(env, mounts, async (envList, mountList) => {
        const pod = labelledPod('github-tools', { containers: [{ name: 'proxy', image: 'p', env: envList, volumeMounts: mountList }] });
        const first = await handler(request(pod));
        if (!first.allowed) {
          // Only a foreign volume on one of our paths may be refused.
          expect(first.status?.message).toMatch(/mount-path-free/);
          return;
        }
        const out = apply(pod, first);
        const proxy = containers(out)[0]!;
        expect(proxy.env?.filter((e) => e.name === 'TOOLHIVE_AUTHSERVER_CONFIG')).toHaveLength(1);
        expect(proxy.volumeMounts?.filter((m) => m.mountPath === '/etc/toolhive/authserver-mtls')).toHaveLength(1);
        expect(await handler(request(out))).toEqual({ allowed: true });
      }),
      { numRuns: 100 },
    );
  });

  it('a changed MCPExternalAuthConfig (a new cached object) changes what the next pod gets', async () => {
    const live = createMemoryLookup([mcpServer(NS, 'github-tools', 'corp-client'), authServerConfig(NS, 'corp-client', { url: 'https://one.example.com' })]);
    const inject = defaulterHandler(podInjector({ lookup: live }));
    const configOf = async () => {
      const patchedPod = apply(labelledPod('github-tools'), await inject(request(labelledPod('github-tools'))));
      const env = containers(patchedPod).find((c) => c.name === 'proxy')?.env?.find((e) => e.name === 'TOOLHIVE_AUTHSERVER_CONFIG');
      return JSON.parse(env?.value ?? '{}') as { url?: string };
    };
    expect((await configOf()).url).toBe('https://one.example.com');
    expect((await configOf()).url).toBe('https://one.example.com');
    live.put(authServerConfig(NS, 'corp-client', { url: 'https://two.example.com' }));
    expect((await configOf()).url).toBe('https://two.example.com');
  });

  it('property: the direct patch (what the server runs) decides as default + diff does and gives the same pod', async () => {
    const injector = podInjector({ lookup });
    const fast = defaulterHandler(injector);
    const oracle = defaulterHandler({ ...injector, patch: undefined });
    const ours = ['authserver-client-cert', 'authserver-ca-bundle', 'TOOLHIVE_AUTHSERVER_CONFIG'];
    const name = fc.oneof(fc.constantFrom(...ours), fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/));
    const entry = fc.oneof(
      fc.record({ name, value: fc.string({ maxLength: 4 }) }),
      fc.record({ name, mountPath: fc.constantFrom('/data', '/etc/toolhive/authserver-mtls', '/etc/toolhive/authserver-ca'), readOnly: fc.boolean() }),
      fc.record({ name, secret: fc.record({ secretName: fc.constantFrom('github-tools-mtls', 'stale') }) }),
    );
    // A list, absent, or not a list at all.
    const list = fc.option(fc.oneof(fc.array(entry, { maxLength: 5 }), fc.constant(null)), { nil: undefined });
    const container = fc.record({ name: fc.constantFrom('proxy', 'mcp', 'sidecar'), image: fc.constant('i'), env: list, volumeMounts: list }, { requiredKeys: ['name', 'image'] });
    const pod = fc.record({
      containers: fc.array(container, { maxLength: 3 }),
      initContainers: fc.option(fc.array(container, { maxLength: 2 }), { nil: undefined }),
      volumes: list,
      annotation: fc.option(fc.constantFrom('proxy', 'sidecar', 'nope'), { nil: undefined }),
    });
    const cases = [labelledPod('github-tools'), fixture('pod-create.json').request.object as KubeObject];
    for (const c of cases) expect(apply(c, await fast(request(c, c === cases[1] ? 'mcp-servers' : NS)))).toEqual(apply(c, await oracle(request(c, c === cases[1] ? 'mcp-servers' : NS))));
    await fc.assert(
      fc.asyncProperty(pod, async (p) => {
        const built = labelledPod('github-tools', { containers: p.containers, ...(p.annotation ? { annotations: { 'toolhive.stacklok.dev/authserver-client-container': p.annotation } } : {}) });
        const spec = built.spec as Record<string, unknown>;
        if (p.initContainers) spec.initContainers = p.initContainers;
        if (p.volumes !== undefined) spec.volumes = p.volumes;
        // As the apiserver sends it: JSON, so no key holds undefined.
        const raw = JSON.parse(JSON.stringify(built)) as KubeObject;
        const frozen = deepFreeze(structuredClone(raw));
        const got = await fast(request(frozen));
        const want = await oracle(request(raw));
        expect({ ...got, patch: undefined }).toEqual({ ...want, patch: undefined });
        if (want.allowed) expect(apply(raw, got)).toEqual(apply(raw, want));
      }),
      { numRuns: 300 },
    );
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
