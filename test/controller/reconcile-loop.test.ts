// The controller loop end to end against the fake API server (test/controller/fake-apiserver.ts
// stands in for kube-apiserver: none can run on these machines). The real @kubernetes/client-node
// code (informers, KubernetesObjectApi, CustomObjectsApi) does the I/O; cert-manager and the
// Deployment controller are played by the test through the same API (helpers.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { Controller, type ControllerOptions } from '../../src/controller/index.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { API, authServer, conditionOf, ecPem, eventually, installCrds, issueCertificate, markDeploymentAvailable, putSecret, rsaPem , startFakeApiServer } from './helpers.ts';

const NS = 'toolhive-system';
const CM_NS = 'cert-manager';
const CA = 'thv-as-toolhive-system-mcp-auth-ca';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(options: { certManager?: boolean; crdOwner?: string; controller?: Partial<ControllerOptions> } = {}) {
  let clock = new Date('2026-11-28T10:00:00Z');
  const server = await startFakeApiServer({ now: () => clock });
  cleanup.push(() => server.stop());
  installCrds(server, options.crdOwner);
  if (options.certManager === false) server.disableGroup('cert-manager.io');
  let keys = 0;
  const controller = new Controller({
    kubeConfig: server.kubeConfig(),
    now: () => clock,
    randomKey: () => {
      keys += 1;
      return Buffer.alloc(32, keys);
    },
    informerRestartDelayMs: 50,
    baseBackoffMs: 20,
    ...options.controller,
  });
  return {
    server,
    controller,
    keysGenerated: () => keys,
    tick: (ms: number) => {
      clock = new Date(clock.getTime() + ms);
    },
    start: async () => {
      await controller.start();
      cleanup.push(() => controller.stop());
    },
  };
}

function baseSecrets(server: FakeApiServer, ns = NS) {
  putSecret(server, ns, 'as-signing', { 'private.pem': ecPem() });
  putSecret(server, ns, 'okta-client', { 'client-secret': 's3cret' });
}

const getAS = (server: FakeApiServer, name = 'mcp-auth') => server.getObject(API, 'MCPAuthServer', NS, name);


/** The common start: base Secrets, one auto-CA MCPAuthServer, controller running, CA issued. */
async function startWithIssuedCa() {
  const { server, start } = await setup();
  baseSecrets(server);
  server.putObject(authServer(NS, 'mcp-auth'));
  await start();
  await eventually(() => server.getObject('cert-manager.io/v1', 'Certificate', CM_NS, CA), 'CA certificate');
  issueCertificate(server, CM_NS, CA);
  return server;
}

describe('MCPAuthServer: Pending → Ready as the dependencies appear', () => {
  it('walks CA → server certificate → Deployment, and status says what is missing at each step', async () => {
    const { server, start, keysGenerated, tick } = await setup();
    baseSecrets(server);
    server.putObject(authServer(NS, 'mcp-auth'));
    await start();

    // 1. Waiting for the CA: no Deployment yet.
    const pendingCA = await eventually(() => conditionOf(getAS(server), 'CAReady')?.reason === 'CertificatePending' && getAS(server), 'CAReady=False CertificatePending');
    expect(pendingCA.status).toMatchObject({ phase: 'Pending', observedGeneration: 1 });
    expect(conditionOf(pendingCA, 'Ready')).toMatchObject({ status: 'False', reason: 'CertificatePending' });
    expect((pendingCA.status as { message: string }).message).toMatch(/CAReady: waiting for cert-manager to issue CA Certificate cert-manager\/thv-as-toolhive-system-mcp-auth-ca/);
    expect(conditionOf(pendingCA, 'DeploymentAvailable')).toMatchObject({ status: 'False', reason: 'WaitingForCertificates' });
    expect(server.getObject('apps/v1', 'Deployment', NS, 'mcp-auth')).toBeUndefined();
    expect(server.getObject('cert-manager.io/v1', 'ClusterIssuer', undefined, 'toolhive-selfsigned')).toBeDefined();
    expect(server.getObject('cert-manager.io/v1', 'ClusterIssuer', undefined, CA)?.spec).toEqual({ ca: { secretName: CA } });
    expect(server.getObject('cert-manager.io/v1', 'Certificate', CM_NS, CA)?.spec).toMatchObject({ isCA: true });
    expect(getAS(server)!.metadata.finalizers).toEqual(['toolhive.stacklok.dev/mcpauthserver-cleanup']);
    for (const name of ['mcp-auth-config', 'mcp-auth-resource-map']) expect(server.getObject('v1', 'ConfigMap', NS, name)).toBeDefined();
    expect(server.getObject('v1', 'Service', NS, 'mcp-auth-internal')).toBeDefined();
    expect(server.getObject('v1', 'ServiceAccount', NS, 'mcp-auth')).toMatchObject({ automountServiceAccountToken: false });
    expect(server.getObject('networking.k8s.io/v1', 'NetworkPolicy', NS, 'mcp-auth-internal')).toBeDefined();
    const encKey = server.getObject('v1', 'Secret', NS, 'mcp-auth-encryption-key');
    expect(Buffer.from((encKey!.data as { key: string }).key, 'base64')).toEqual(Buffer.alloc(32, 1));
    const caPendingSince = conditionOf(pendingCA, 'CAReady')!.lastTransitionTime;

    // 2. cert-manager issues the CA: the public certificate (only) is copied; now the server cert is pending.
    tick(30_000);
    issueCertificate(server, CM_NS, CA);
    const pendingServer = await eventually(() => conditionOf(getAS(server), 'CertificateReady')?.reason === 'CertificatePending' && conditionOf(getAS(server), 'CAReady')?.status === 'True' && getAS(server), 'CAReady=True, CertificateReady pending');
    const bundle = server.getObject('v1', 'ConfigMap', NS, 'mcp-auth-ca-bundle');
    expect(Object.keys(bundle!.data as object)).toEqual(['ca.crt']);
    expect(JSON.stringify(bundle)).not.toContain('PRIVATE KEY MATERIAL');
    expect(server.getObject('apps/v1', 'Deployment', NS, 'mcp-auth')).toBeUndefined();
    expect(conditionOf(pendingServer, 'CertificateReady')!.message).toContain('toolhive-system/mcp-auth-tls');

    // 3. Server certificate issued: the Deployment appears, not yet available.
    issueCertificate(server, NS, 'mcp-auth-tls');
    await eventually(() => conditionOf(getAS(server), 'DeploymentAvailable')?.reason === 'DeploymentUnavailable', 'DeploymentAvailable=False DeploymentUnavailable');
    const dep = server.getObject('apps/v1', 'Deployment', NS, 'mcp-auth')!;
    const hash = (dep.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['toolhive.stacklok.dev/config-hash'];
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect((getAS(server)!.status as { configHash: string }).configHash).toBe(hash);

    // 4. Deployment available: Ready.
    markDeploymentAvailable(server, NS, 'mcp-auth');
    const ready = await eventually(() => (getAS(server)?.status as { phase?: string })?.phase === 'Ready' && getAS(server), 'phase Ready');
    expect(ready.status).toMatchObject({
      phase: 'Ready',
      observedGeneration: 1,
      issuer: 'https://auth.mcp.example.com',
      internalUrl: 'https://mcp-auth-internal.toolhive-system.svc.cluster.local',
      publicServiceName: 'mcp-auth',
      internalServiceName: 'mcp-auth-internal',
      caBundleConfigMap: 'mcp-auth-ca-bundle',
      clusterIssuer: CA,
      registeredResources: 0,
    });
    expect((ready.status as { signingKeyIds: string[] }).signingKeyIds).toHaveLength(1);
    expect(conditionOf(ready, 'Ready')).toMatchObject({ status: 'True' });
    // lastTransitionTime changed for CAReady (False → True) but ConfigValid stayed True since the first pass.
    expect(conditionOf(ready, 'CAReady')!.lastTransitionTime).toBe('2026-11-28T10:00:30Z');
    expect(caPendingSince).toBe('2026-11-28T10:00:00Z');
    expect(conditionOf(ready, 'ConfigValid')!.lastTransitionTime).toBe(conditionOf(pendingCA, 'ConfigValid')!.lastTransitionTime);
    // The encryption key was generated once and never rewritten.
    expect(keysGenerated()).toBe(1);
  });

  it('a Secret change rolls the Deployment through the config-hash annotation', async () => {
    const server = await startWithIssuedCa();
    await eventually(() => server.getObject('cert-manager.io/v1', 'Certificate', NS, 'mcp-auth-tls'), 'server certificate');
    issueCertificate(server, NS, 'mcp-auth-tls');
    const hashOf = () =>
      (server.getObject('apps/v1', 'Deployment', NS, 'mcp-auth')?.spec as { template: { metadata: { annotations: Record<string, string> } } } | undefined)?.template.metadata.annotations['toolhive.stacklok.dev/config-hash'];
    const before = await eventually(hashOf, 'Deployment');
    putSecret(server, NS, 'okta-client', { 'client-secret': 'rotated' });
    const after = await eventually(() => hashOf() !== before && hashOf(), 'new config hash');
    expect(after).not.toBe(before);
  });
});

describe('watches', () => {
  it('stop() while a first list is in flight leaves no watch open (client-node opens it after the list)', async () => {
    const { server, controller } = await setup();
    const release = server.holdLists('/mcpservers');
    const starting = controller.start();
    await eventually(() => server.requests.some((r) => r.path.endsWith('/mcpservers') && r.query.get('watch') !== 'true'), 'the MCPServer list');
    await controller.stop();
    release();
    await starting;
    await eventually(() => server.openWatches() === 0, 'no watch left open');
  });

  it('after dropped watch connections the informers resume; a CA renewal re-syncs the public bundle', async () => {
    const server = await startWithIssuedCa();
    await eventually(() => server.getObject('v1', 'ConfigMap', NS, 'mcp-auth-ca-bundle'), 'CA bundle');

    server.dropWatches();
    const renewed = '-----BEGIN CERTIFICATE-----\nMIIBrenewed\n-----END CERTIFICATE-----\n';
    const caSecret = server.getObject('v1', 'Secret', CM_NS, CA)!;
    putSecret(server, CM_NS, CA, { 'tls.crt': renewed, 'tls.key': 'NEW KEY', 'ca.crt': renewed }, { labels: caSecret.metadata.labels, annotations: caSecret.metadata.annotations });
    const bundle = await eventually(() => {
      const cm = server.getObject('v1', 'ConfigMap', NS, 'mcp-auth-ca-bundle');
      return (cm?.data as Record<string, string> | undefined)?.['ca.crt'] === renewed && cm;
    }, 'renewed CA in the bundle');
    expect(JSON.stringify(bundle)).not.toContain('NEW KEY');
  });
});

describe('status tells the user what is missing', () => {
  it('Secret absent → Failed SecretNotFound naming the field; creating it lets the reconcile continue', async () => {
    const { server, start } = await setup();
    putSecret(server, NS, 'okta-client', { 'client-secret': 's' });
    server.putObject(authServer(NS, 'mcp-auth'));
    await start();
    const failed = await eventually(() => conditionOf(getAS(server), 'ConfigValid')?.status === 'False' && getAS(server), 'ConfigValid=False');
    expect(failed.status).toMatchObject({ phase: 'Failed' });
    expect(conditionOf(failed, 'ConfigValid')).toMatchObject({ reason: 'SecretNotFound', message: 'spec.signingKeys[0].secretRef: Secret toolhive-system/as-signing not found' });
    expect(conditionOf(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(server.listObjects('cert-manager.io/v1', 'Certificate')).toEqual([]);

    putSecret(server, NS, 'as-signing', { 'private.pem': ecPem() });
    await eventually(() => conditionOf(getAS(server), 'ConfigValid')?.status === 'True', 'ConfigValid=True after the Secret appears');
    expect((getAS(server)!.status as { phase: string }).phase).toBe('Pending');
  });

  it('a key that does not match its algorithm → KeyAlgorithmMismatch; a missing key in the Secret → SecretKeyNotFound', async () => {
    const { server, start } = await setup();
    putSecret(server, NS, 'as-signing', { 'private.pem': rsaPem() });
    putSecret(server, NS, 'okta-client', { wrong: 's' });
    server.putObject(authServer(NS, 'mcp-auth'));
    await start();
    const bad = await eventually(() => conditionOf(getAS(server), 'ConfigValid')?.status === 'False' && getAS(server), 'ConfigValid=False');
    expect(conditionOf(bad, 'ConfigValid')).toMatchObject({ reason: 'KeyAlgorithmMismatch', message: expect.stringMatching(/spec\.signingKeys\[0\].*ES256 does not match the RSA key/) });
    putSecret(server, NS, 'as-signing', { 'private.pem': ecPem() });
    const next = await eventually(() => conditionOf(getAS(server), 'ConfigValid')?.reason === 'SecretKeyNotFound' && getAS(server), 'SecretKeyNotFound');
    expect(conditionOf(next, 'ConfigValid')!.message).toBe('spec.upstreamIdps[0].oidc.clientSecretRef: Secret toolhive-system/okta-client has no key "client-secret"');
  });

  it('cert-manager not installed → the condition says so; installing it lets the reconcile continue', async () => {
    const { server, start } = await setup({ certManager: false });
    baseSecrets(server);
    server.putObject(authServer(NS, 'mcp-auth'));
    await start();
    const as = await eventually(() => conditionOf(getAS(server), 'CAReady')?.reason === 'CertManagerNotInstalled' && getAS(server), 'CertManagerNotInstalled');
    expect(conditionOf(as, 'CAReady')!.message).toMatch(/^cert-manager is not installed/);
    expect(conditionOf(as, 'CertificateReady')).toMatchObject({ status: 'False', reason: 'CertManagerNotInstalled' });
    expect(as.status).toMatchObject({ phase: 'Failed' });
    expect(server.getObject('apps/v1', 'Deployment', NS, 'mcp-auth')).toBeUndefined();

    server.enableGroup('cert-manager.io');
    await eventually(() => conditionOf(getAS(server), 'CAReady')?.reason === 'CertificatePending', 'CAReady pending once cert-manager is served');
    expect(server.getObject('cert-manager.io/v1', 'Certificate', CM_NS, CA)).toBeDefined();
  });

  it('enterprise mode: a missing CA bundle ConfigMap is reported; no finalizer and no cross-namespace objects', async () => {
    const { server, start } = await setup();
    baseSecrets(server);
    server.putObject(
      authServer(NS, 'ent', {
        tls: {
          serverCert: { issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer' } },
          clientAuth: { caBundle: { configMapRef: { name: 'corp-mtls-ca', key: 'ca.crt' } }, allowedSubjects: { trustDomain: 'mcp.example.com' } },
        },
      }),
    );
    await start();
    const as = await eventually(() => conditionOf(getAS(server, 'ent'), 'ConfigValid')?.status === 'False' && getAS(server, 'ent'), 'ConfigMapNotFound');
    expect(conditionOf(as, 'ConfigValid')).toMatchObject({ reason: 'ConfigMapNotFound', message: 'spec.tls.clientAuth.caBundle: ConfigMap toolhive-system/corp-mtls-ca not found' });
    server.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'corp-mtls-ca', namespace: NS }, data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n' } });
    const ok = await eventually(() => conditionOf(getAS(server, 'ent'), 'CAReady')?.reason === 'ExternalIssuer' && getAS(server, 'ent'), 'ExternalIssuer');
    expect(ok.metadata.finalizers ?? []).toEqual([]);
    expect(server.listObjects('cert-manager.io/v1', 'ClusterIssuer')).toEqual([]);
    expect(server.getObject('cert-manager.io/v1', 'Certificate', NS, 'ent-tls')?.spec).toMatchObject({ issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer' } });
  });
});

describe('apply errors and retries', () => {
  it('a 500 on apply becomes Ready=False ApplyFailed, then the backoff retry succeeds', async () => {
    const { server, start, controller } = await setup();
    baseSecrets(server);
    server.putObject(authServer(NS, 'mcp-auth'));
    server.failNext({ method: 'PATCH', pathIncludes: '/configmaps/mcp-auth-config', status: 500, count: 2 });
    await start();
    const failed = await eventually(() => conditionOf(getAS(server), 'ResourceMapSynced')?.reason === 'ApplyFailed' && getAS(server), 'ApplyFailed');
    expect(conditionOf(failed, 'ResourceMapSynced')!.message).toMatch(/apply ConfigMap toolhive-system\/mcp-auth-config: API error 500/);
    expect(conditionOf(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
    await eventually(() => conditionOf(getAS(server), 'ResourceMapSynced')?.status === 'True', 'recovered after retries');
    const attempts = server.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/configmaps/mcp-auth-config'));
    expect(attempts.map((r) => r.status).slice(0, 2)).toEqual([500, 500]);
    expect(attempts[2]!.status).toBeLessThan(300);
    // The queue forgets the failures when the reconcile that wrote this status returns, just after.
    await eventually(() => controller.queue.failuresOf(`MCPAuthServer/${NS}/mcp-auth`) === 0, 'failure count reset after the successful retry');
  });

  it('a 409 on the finalizer patch is retried', async () => {
    const { server, start } = await setup();
    baseSecrets(server);
    server.putObject(authServer(NS, 'mcp-auth'));
    server.failNext({ method: 'PATCH', pathIncludes: '/mcpauthservers/mcp-auth', status: 409 });
    await start();
    await eventually(() => (getAS(server)?.metadata.finalizers ?? []).length === 1, 'finalizer added after the conflict');
    const patches = server.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/mcpauthservers/mcp-auth'));
    expect(patches[0]!.status).toBe(409);
    expect(patches.some((p) => p.status === 200 && p.contentType === 'application/merge-patch+json')).toBe(true);
  });

  it('server-side apply requests carry the field manager and force, with the apply-patch content type', async () => {
    const { server, start } = await setup();
    baseSecrets(server);
    server.putObject(authServer(NS, 'mcp-auth'));
    await start();
    await eventually(() => server.getObject('v1', 'Service', NS, 'mcp-auth'), 'public Service');
    const applies = server.requests.filter((r) => r.method === 'PATCH' && !r.path.endsWith('/status') && r.contentType === 'application/apply-patch+yaml');
    expect(applies.length).toBeGreaterThan(5);
    for (const r of applies) {
      expect(r.query.get('fieldManager')).toBe('mcp-authserver');
      expect(r.query.get('force')).toBe('true');
    }
    const statusWrites = server.requests.filter((r) => r.path.endsWith('/mcpauthservers/mcp-auth/status'));
    expect(statusWrites.every((r) => r.contentType === 'application/apply-patch+yaml' && r.query.get('fieldManager') === 'mcp-authserver')).toBe(true);
  });
});

describe('deletion', () => {
  it('Terminating, cross-namespace CA objects deleted, finalizer removed, namespaced children collected', async () => {
    const server = await startWithIssuedCa();
    await eventually(() => server.getObject('v1', 'ConfigMap', NS, 'mcp-auth-ca-bundle'), 'CA bundle');
    expect(server.getObject('v1', 'Secret', CM_NS, CA)).toBeDefined();

    server.deleteObject(API, 'MCPAuthServer', NS, 'mcp-auth');
    await eventually(() => getAS(server) === undefined, 'MCPAuthServer gone after finalizer removal');
    expect(server.getObject('cert-manager.io/v1', 'Certificate', CM_NS, CA)).toBeUndefined();
    expect(server.getObject('cert-manager.io/v1', 'ClusterIssuer', undefined, CA)).toBeUndefined();
    expect(server.getObject('v1', 'Secret', CM_NS, CA)).toBeUndefined();
    // The shared bootstrap issuer stays for other MCPAuthServers.
    expect(server.getObject('cert-manager.io/v1', 'ClusterIssuer', undefined, 'toolhive-selfsigned')).toBeDefined();
    // Namespaced children went with their owner (ownerReferences).
    expect(server.getObject('v1', 'ConfigMap', NS, 'mcp-auth-ca-bundle')).toBeUndefined();
    expect(server.getObject('v1', 'Service', NS, 'mcp-auth')).toBeUndefined();
    const deletes = server.requests.filter((r) => r.method === 'DELETE').map((r) => r.path);
    expect(deletes).toEqual(
      expect.arrayContaining([
        `/apis/cert-manager.io/v1/clusterissuers/${CA}`,
        `/apis/cert-manager.io/v1/namespaces/${CM_NS}/certificates/${CA}`,
        `/api/v1/namespaces/${CM_NS}/secrets/${CA}`,
      ]),
    );
  });
});

describe('spec changes', () => {
  it('auto CA → enterprise issuer: CA objects deleted, finalizer removed, CA bundle pruned; networkPolicy off → policy deleted', async () => {
    const server = await startWithIssuedCa();
    await eventually(() => server.getObject('v1', 'ConfigMap', NS, 'mcp-auth-ca-bundle'), 'CA bundle');
    await eventually(() => server.getObject('networking.k8s.io/v1', 'NetworkPolicy', NS, 'mcp-auth-internal'), 'NetworkPolicy');

    server.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'corp-mtls-ca', namespace: NS }, data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n' } });
    const as = getAS(server)!;
    server.putObject({
      ...as,
      spec: {
        ...(as.spec as object),
        networkPolicy: { enabled: false },
        tls: {
          serverCert: { issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer' } },
          clientAuth: { caBundle: { configMapRef: { name: 'corp-mtls-ca' } }, allowedSubjects: { trustDomain: 'toolhive.local' } },
        },
      },
    } as never);
    await eventually(() => conditionOf(getAS(server), 'CAReady')?.reason === 'ExternalIssuer', 'ExternalIssuer');
    await eventually(() => (getAS(server)!.metadata.finalizers ?? []).length === 0, 'finalizer removed');
    expect(server.getObject('cert-manager.io/v1', 'Certificate', CM_NS, CA)).toBeUndefined();
    expect(server.getObject('cert-manager.io/v1', 'ClusterIssuer', undefined, CA)).toBeUndefined();
    expect(server.getObject('v1', 'Secret', CM_NS, CA)).toBeUndefined();
    await eventually(() => server.getObject('v1', 'ConfigMap', NS, 'mcp-auth-ca-bundle') === undefined, 'CA bundle pruned');
    expect(server.getObject('networking.k8s.io/v1', 'NetworkPolicy', NS, 'mcp-auth-internal')).toBeUndefined();
    expect(server.getObject('v1', 'ConfigMap', NS, 'corp-mtls-ca')).toBeDefined();
    expect((getAS(server)!.status as { observedGeneration: number }).observedGeneration).toBe(2);
  });
});

describe('MCPExternalAuthConfig and MCPServer', () => {
  const cfg = (name = 'client') => ({
    apiVersion: API,
    kind: 'MCPExternalAuthConfig',
    metadata: { name, namespace: 'mcp-prod' },
    spec: { type: 'authServer', authServer: { authServerRef: { name: 'mcp-auth', namespace: NS }, clientCert: { trustDomain: 'toolhive.local' } } },
  });
  const mcpServer = (name: string, resourceUrl: string) => ({
    apiVersion: API,
    kind: 'MCPServer',
    metadata: { name, namespace: 'mcp-prod' },
    spec: {
      image: 'ghcr.io/example/github-mcp:1.2.3',
      oidcConfig: { type: 'inline', resourceUrl, inline: { issuer: 'https://auth.mcp.example.com', audience: resourceUrl } },
      externalAuthConfigRef: { name: 'client' },
    },
  });

  it('client certificate per server, resource registered, conflicts reported, certificates of departed servers deleted', async () => {
    const { server, start, tick } = await setup();
    baseSecrets(server);
    server.putObject(authServer(NS, 'mcp-auth'));
    server.putObject(cfg());
    server.putObject(mcpServer('github-tools', 'https://github-tools.mcp.example.com/mcp'));
    await start();

    const cert = await eventually(() => server.getObject('cert-manager.io/v1', 'Certificate', 'mcp-prod', 'github-tools-mtls'), 'client certificate');
    expect(cert.spec).toMatchObject({
      commonName: 'github-tools',
      uris: ['spiffe://toolhive.local/ns/mcp-prod/mcpserver/github-tools'],
      issuerRef: { name: CA, kind: 'ClusterIssuer' },
    });
    const srvObj = server.getObject(API, 'MCPServer', 'mcp-prod', 'github-tools')!;
    expect(cert.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'MCPServer', uid: srvObj.metadata.uid });
    await eventually(() => server.getObject('apps/v1', 'Deployment', 'mcp-prod', 'github-tools'), 'MCPServer Deployment');
    await eventually(() => server.getObject('v1', 'Service', 'mcp-prod', 'github-tools'), 'MCPServer Service');

    const getSrv = (name: string) => server.getObject(API, 'MCPServer', 'mcp-prod', name);
    await eventually(() => conditionOf(getSrv('github-tools'), 'AuthServerResourceRegistered')?.reason === 'ResourceRegistered', 'ResourceRegistered');
    await eventually(() => {
      const cm = server.getObject('v1', 'ConfigMap', NS, 'mcp-auth-resource-map');
      return JSON.parse((cm?.data as Record<string, string>)['resources.json']!).resources['https://github-tools.mcp.example.com/mcp']?.name === 'github-tools';
    }, 'resource map entry');
    expect(conditionOf(getSrv('github-tools'), 'AuthServerClientCertReady')).toMatchObject({ status: 'False', reason: 'CertificatePending' });

    issueCertificate(server, 'mcp-prod', 'github-tools-mtls');
    markDeploymentAvailable(server, 'mcp-prod', 'github-tools');
    await eventually(() => (getSrv('github-tools')?.status as { phase?: string })?.phase === 'Running', 'MCPServer Running');
    const cfgObj = await eventually(() => {
      const c = server.getObject(API, 'MCPExternalAuthConfig', 'mcp-prod', 'client');
      return conditionOf(c, 'ClientCertificatesReady')?.status === 'True' && c;
    }, 'ClientCertificatesReady');
    expect(cfgObj.status).toMatchObject({
      referencingServers: ['github-tools'],
      clientCertificates: [{ server: 'github-tools', certificateName: 'github-tools-mtls', secretName: 'github-tools-mtls', ready: true, notAfter: '2027-01-01T00:00:00Z' }],
    });

    // A younger server claiming the same resource loses it.
    tick(60_000);
    const copy = mcpServer('copycat', 'https://GITHUB-TOOLS.mcp.example.com:443/mcp/');
    copy.spec.oidcConfig.inline.audience = 'https://github-tools.mcp.example.com/mcp';
    server.putObject(copy);
    const loser = await eventually(() => conditionOf(getSrv('copycat'), 'AuthServerResourceRegistered')?.reason === 'ResourceConflict' && getSrv('copycat'), 'ResourceConflict');
    expect(conditionOf(loser, 'AuthServerResourceRegistered')!.message).toContain('mcp-prod/github-tools');
    expect(loser.status).toMatchObject({ phase: 'Failed' });

    // The copycat stops referencing the config: its client certificate (and Secret) are deleted.
    await eventually(() => server.getObject('cert-manager.io/v1', 'Certificate', 'mcp-prod', 'copycat-mtls'), 'copycat certificate');
    issueCertificate(server, 'mcp-prod', 'copycat-mtls');
    const copycat = getSrv('copycat')!;
    server.putObject({ ...copycat, spec: { ...(copycat.spec as object), externalAuthConfigRef: undefined } } as never);
    await eventually(() => server.getObject('cert-manager.io/v1', 'Certificate', 'mcp-prod', 'copycat-mtls') === undefined, 'copycat certificate deleted');
    await eventually(() => server.getObject('v1', 'Secret', 'mcp-prod', 'copycat-mtls') === undefined, 'copycat Secret deleted');
  });

  it('does not overwrite a foreign Certificate of the same name (NameConflict)', async () => {
    const { server, start } = await setup();
    baseSecrets(server);
    server.putObject(authServer(NS, 'mcp-auth'));
    server.putObject({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'github-tools-mtls', namespace: 'mcp-prod' }, spec: { secretName: 'github-tools-mtls', issuerRef: { name: 'someone-else' } } });
    server.putObject(cfg());
    server.putObject(mcpServer('github-tools', 'https://github-tools.mcp.example.com/mcp'));
    await start();
    const c = await eventually(() => {
      const o = server.getObject(API, 'MCPExternalAuthConfig', 'mcp-prod', 'client');
      return conditionOf(o, 'ClientCertificatesReady')?.reason === 'NameConflict' && o;
    }, 'NameConflict');
    expect(conditionOf(c, 'ClientCertificatesReady')!.message).toMatch(/github-tools-mtls exists and is not managed by mcp-authserver/);
    expect(server.getObject('cert-manager.io/v1', 'Certificate', 'mcp-prod', 'github-tools-mtls')!.spec).toMatchObject({ issuerRef: { name: 'someone-else' } });
  });

  it('issuer and trust-domain mismatches are conditions, not crashes', async () => {
    const { server, start } = await setup();
    baseSecrets(server);
    server.putObject(authServer(NS, 'mcp-auth'));
    const wrongTd = cfg();
    (wrongTd.spec.authServer.clientCert as { trustDomain: string }).trustDomain = 'other.example';
    server.putObject(wrongTd);
    const wrongIssuer = mcpServer('github-tools', 'https://github-tools.mcp.example.com/mcp');
    wrongIssuer.spec.oidcConfig.inline.issuer = 'https://elsewhere.example.com';
    server.putObject(wrongIssuer);
    await start();
    const c = await eventually(() => {
      const o = server.getObject(API, 'MCPExternalAuthConfig', 'mcp-prod', 'client');
      return conditionOf(o, 'Valid')?.status === 'False' && o;
    }, 'Valid=False');
    expect(conditionOf(c, 'Valid')!.reason).toBe('TrustDomainMismatch');
    const s = await eventually(() => {
      const o = server.getObject(API, 'MCPServer', 'mcp-prod', 'github-tools');
      return conditionOf(o, 'ExternalAuthConfigValidated')?.status === 'False' && o;
    }, 'ExternalAuthConfigValidated=False');
    expect(conditionOf(s, 'ExternalAuthConfigValidated')!.reason).toBe('TrustDomainMismatch');
    expect(server.getObject('cert-manager.io/v1', 'Certificate', 'mcp-prod', 'github-tools-mtls')).toBeUndefined();
  });
});

describe('--namespace', () => {
  it('reconciles only the watched namespace (CA objects still go to the cert-manager namespace)', async () => {
    const { server, start } = await setup({ controller: { namespace: NS } });
    baseSecrets(server);
    baseSecrets(server, 'elsewhere');
    server.putObject(authServer(NS, 'mcp-auth'));
    server.putObject(authServer('elsewhere', 'mcp-auth'));
    await start();
    await eventually(() => server.getObject('cert-manager.io/v1', 'Certificate', CM_NS, CA), 'CA certificate of the watched namespace');
    await eventually(() => conditionOf(getAS(server), 'CAReady'), 'status in the watched namespace');
    expect(server.getObject(API, 'MCPAuthServer', 'elsewhere', 'mcp-auth')!.status).toBeUndefined();
    expect(server.listObjects('v1', 'ConfigMap', 'elsewhere')).toEqual([]);
    expect(server.requests.some((r) => r.method === 'GET' && r.query.get('watch') === 'true' && r.path === '/api/v1/secrets')).toBe(false);
  });
});

describe('start-up checks (spec §0)', () => {
  it('refuses to run over a foreign CRD of the same name', async () => {
    const { controller } = await setup({ crdOwner: 'toolhive-operator' });
    await expect(controller.start()).rejects.toThrow(/CRD mcpauthservers\.toolhive\.stacklok\.dev exists but is not owned by mcp-authserver .*toolhive-operator/);
  });
});
