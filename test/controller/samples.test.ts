// "Done when" of the controller issue: the manifests of config/samples (the spec's and the
// proposal's examples) produce exactly the objects the spec names, and all become Ready once their
// Secrets/ConfigMaps exist and cert-manager/kubelet do their part. Runs the real controller against
// the fake API server (test/controller/fake-apiserver.ts: kube-apiserver cannot run here);
// cert-manager and the Deployment controller are simulated through the API (helpers.ts).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Controller } from '../../src/controller/index.ts';
import { FakeApiServer, type StoredObject } from './fake-apiserver.ts';
import { API, conditionOf, ecPem, eventually, installCrds, issueCertificate, markDeploymentAvailable, putSecret, rsaPem , startFakeApiServer } from './helpers.ts';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function samples(): StoredObject[] {
  const out: StoredObject[] = [];
  for (const file of ['toolhive.stacklok.dev_v1alpha1_mcpauthserver.yaml', 'toolhive.stacklok.dev_v1alpha1_mcpexternalauthconfig.yaml', 'toolhive.stacklok.dev_v1alpha1_mcpserver.yaml']) {
    const text = readFileSync(new URL(`../../config/samples/${file}`, import.meta.url), 'utf8');
    for (const doc of parseAllDocuments(text)) out.push(doc.toJS() as StoredObject);
  }
  return out;
}

/** cert-manager and the Deployment controller, reduced to "whatever exists becomes ready". */
function simulateCluster(server: FakeApiServer): () => void {
  const timer = setInterval(() => {
    for (const cert of server.listObjects('cert-manager.io/v1', 'Certificate')) {
      if (!cert.status) issueCertificate(server, cert.metadata.namespace!, cert.metadata.name);
    }
    for (const dep of server.listObjects('apps/v1', 'Deployment')) {
      if (!dep.status) markDeploymentAvailable(server, dep.metadata.namespace!, dep.metadata.name);
    }
  }, 25);
  return () => clearInterval(timer);
}

describe('config/samples', () => {
  it('produce exactly the objects the spec names, and reach Ready', async () => {
    const server = await startFakeApiServer();
    cleanup.push(() => server.stop());
    installCrds(server);
    // The Secrets and ConfigMaps the samples reference (docs/install.md creates them in a real cluster).
    const ca = { 'ca.crt': '-----BEGIN CERTIFICATE-----\nMIIBsample\n-----END CERTIFICATE-----\n' };
    putSecret(server, 'toolhive-system', 'okta-client', { 'client-secret': 's' });
    putSecret(server, 'toolhive-system', 'as-signing-2026q3', { 'private.pem': ecPem() });
    putSecret(server, 'toolhive-system', 'as-signing-2026q2', { 'private.pem': ecPem() });
    putSecret(server, 'toolhive-system', 'google-oauth', { secret: 's' });
    putSecret(server, 'toolhive-system', 'as-signing', { 'private.pem': rsaPem() });
    putSecret(server, 'toolhive-system', 'authserver-secrets', { 'oidc-client-secret': 's' });
    putSecret(server, 'toolhive-system', 'authserver-signing-key', { 'private.pem': rsaPem() });
    server.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'corp-mtls-ca', namespace: 'toolhive-system' }, data: ca });
    server.putObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'toolhive-mtls-ca-bundle', namespace: 'toolhive-system' }, data: ca });
    const objs = samples();
    for (const o of objs) server.putObject(o);

    const controller = new Controller({ kubeConfig: server.kubeConfig(), informerRestartDelayMs: 50, baseBackoffMs: 20 });
    await controller.start();
    cleanup.push(() => controller.stop());
    cleanup.push(simulateCluster(server));

    for (const as of objs.filter((o) => o.kind === 'MCPAuthServer')) {
      await eventually(() => (server.getObject(API, 'MCPAuthServer', as.metadata.namespace, as.metadata.name)?.status as { phase?: string })?.phase === 'Ready', `MCPAuthServer ${as.metadata.name} Ready`, 20_000);
    }
    for (const srv of objs.filter((o) => o.kind === 'MCPServer')) {
      await eventually(() => (server.getObject(API, 'MCPServer', srv.metadata.namespace, srv.metadata.name)?.status as { phase?: string })?.phase === 'Running', `MCPServer ${srv.metadata.namespace}/${srv.metadata.name} Running`, 20_000);
      const s = server.getObject(API, 'MCPServer', srv.metadata.namespace, srv.metadata.name);
      expect(conditionOf(s, 'AuthServerResourceRegistered')?.reason).toBe('ResourceRegistered');
      expect(conditionOf(s, 'AuthServerClientCertReady')?.status).toBe('True');
    }

    // Everything the controller created (Secrets written by "cert-manager" excluded).
    const kinds: [string, string][] = [
      ['cert-manager.io/v1', 'ClusterIssuer'],
      ['cert-manager.io/v1', 'Certificate'],
      ['v1', 'ConfigMap'],
      ['v1', 'Secret'],
      ['v1', 'Service'],
      ['v1', 'ServiceAccount'],
      ['apps/v1', 'Deployment'],
      ['networking.k8s.io/v1', 'NetworkPolicy'],
    ];
    const created = kinds
      .flatMap(([v, k]) => server.listObjects(v, k))
      .filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'mcp-authserver' && !o.metadata.annotations?.['cert-manager.io/certificate-name'])
      .map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`)
      .sort();
    const perAuthServer = (n: string) => [
      `Certificate toolhive-system/${n}-tls`,
      `ConfigMap toolhive-system/${n}-config`,
      `ConfigMap toolhive-system/${n}-resource-map`,
      `Deployment toolhive-system/${n}`,
      `NetworkPolicy toolhive-system/${n}-internal`,
      `Secret toolhive-system/${n}-encryption-key`,
      `Service toolhive-system/${n}`,
      `Service toolhive-system/${n}-internal`,
      `ServiceAccount toolhive-system/${n}`,
    ];
    const perServer = (ns: string, n: string) => [`Certificate ${ns}/${n}-mtls`, `Deployment ${ns}/${n}`, `Service ${ns}/${n}`];
    expect(created).toEqual(
      [
        ...perAuthServer('mcp-auth'),
        ...perAuthServer('mcp-auth-auto'),
        ...perAuthServer('main-authserver'),
        'ClusterIssuer /toolhive-selfsigned',
        'ClusterIssuer /thv-as-toolhive-system-mcp-auth-auto-ca',
        'Certificate cert-manager/thv-as-toolhive-system-mcp-auth-auto-ca',
        'ConfigMap toolhive-system/mcp-auth-auto-ca-bundle',
        ...perServer('mcp-prod', 'github-tools'),
        ...perServer('mcp-servers', 'github-tools'),
      ].sort(),
    );

    // The two client certificates of the proposal's shape, one per trust domain and issuer.
    expect(server.getObject('cert-manager.io/v1', 'Certificate', 'mcp-prod', 'github-tools-mtls')!.spec).toMatchObject({
      uris: ['spiffe://mcp.example.com/ns/mcp-prod/mcpserver/github-tools'],
      issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer' },
      duration: '2160h',
      renewBefore: '360h',
    });
    expect(server.getObject('cert-manager.io/v1', 'Certificate', 'mcp-servers', 'github-tools-mtls')!.spec).toMatchObject({
      uris: ['spiffe://toolhive.local/ns/mcp-servers/mcpserver/github-tools'],
      issuerRef: { name: 'toolhive-mtls-ca', kind: 'ClusterIssuer' },
    });
    // Resource maps: each server registered with the auth server its config resolves to.
    const map = (n: string) => JSON.parse((server.getObject('v1', 'ConfigMap', 'toolhive-system', `${n}-resource-map`)!.data as Record<string, string>)['resources.json']!).resources;
    expect(map('mcp-auth')).toEqual({ 'https://github-tools.mcp.example.com/mcp': { namespace: 'mcp-prod', name: 'github-tools', upstreamIdp: 'corp-okta' } });
    expect(map('main-authserver')).toEqual({ 'https://github-tools.example.com': { namespace: 'mcp-servers', name: 'github-tools', upstreamIdp: 'google' } });
    expect(map('mcp-auth-auto')).toEqual({});
  });
});
