/**
 * Test helpers for the controller tests: fixtures, and the actions of the other cluster actors
 * that cannot run here (cert-manager issuing a Certificate, the Deployment controller reporting
 * availability). They act on the fake API server exactly as those components would through the
 * API: status subresource writes and Secret creation, which the controller then observes via watch.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createCA, issueServerCert } from '../../src/pki/index.ts';
import { FakeApiServer, type StoredObject } from './fake-apiserver.ts';

/**
 * A started fake API server speaking HTTPS with a freshly generated CA and serving certificate
 * (IP SAN 127.0.0.1), as kube-apiserver does; the kubeconfig it hands out pins that CA.
 */
export async function startFakeApiServer(options: { now?: () => Date } = {}): Promise<FakeApiServer> {
  const ca = await createCA({ commonName: 'fake kube-apiserver CA' });
  const leaf = await issueServerCert(ca, { commonName: 'kube-apiserver', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const server = new FakeApiServer({ ...options, tls: { certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem } });
  await server.start();
  return server;
}

export const API = 'toolhive.stacklok.dev/v1alpha1';

/** Polls `check` until it returns a truthy value; the timeout is only a safety net, not an assertion on speed. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function installCrds(server: FakeApiServer, owner = 'mcp-authserver'): void {
  for (const plural of ['mcpauthservers', 'mcpexternalauthconfigs', 'mcpservers']) {
    server.putObject({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.toolhive.stacklok.dev`, labels: { 'app.kubernetes.io/part-of': owner } },
      spec: { group: 'toolhive.stacklok.dev' },
    });
  }
}

export function ecPem(curve = 'P-256'): string {
  return generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function rsaPem(bits = 2048): string {
  return generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function putSecret(server: FakeApiServer, namespace: string, name: string, data: Record<string, string | Buffer>, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): StoredObject {
  return server.putObject({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, ...extra },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  });
}

export function authServer(namespace: string, name: string, spec: Record<string, unknown> = {}): Parameters<FakeApiServer['putObject']>[0] {
  return {
    apiVersion: API,
    kind: 'MCPAuthServer',
    metadata: { name, namespace },
    spec: {
      issuer: 'https://auth.mcp.example.com',
      upstreamIdps: [{ name: 'corp-okta', type: 'oidc', oidc: { issuer: 'https://example.okta.com', clientId: 'c1', clientSecretRef: { name: 'okta-client', key: 'client-secret' } } }],
      signingKeys: [{ secretRef: { name: 'as-signing', key: 'private.pem' }, algorithm: 'ES256' }],
      tls: { clientAuth: { allowedSubjects: { trustDomain: 'toolhive.local' } } },
      ...spec,
    },
  };
}

export const FAKE_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

/**
 * What cert-manager does when a Certificate is issued: writes the Secret (with the
 * secretTemplate labels and its certificate-name annotation) and sets `Ready=True`.
 */
export function issueCertificate(server: FakeApiServer, namespace: string, name: string, notAfter = '2027-01-01T00:00:00Z'): void {
  const cert = server.getObject('cert-manager.io/v1', 'Certificate', namespace, name);
  if (!cert) throw new Error(`Certificate ${namespace}/${name} does not exist`);
  const spec = cert.spec as { secretName: string; isCA?: boolean; secretTemplate?: { labels?: Record<string, string> } };
  putSecret(
    server,
    namespace,
    spec.secretName,
    { 'tls.crt': FAKE_PEM, 'tls.key': 'PRIVATE KEY MATERIAL', 'ca.crt': FAKE_PEM },
    { labels: spec.secretTemplate?.labels, annotations: { 'cert-manager.io/certificate-name': name } },
  );
  server.setStatus('cert-manager.io/v1', 'Certificate', namespace, name, {
    conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' }],
    notAfter,
  });
}

/** What the Deployment controller reports once pods are up. */
export function markDeploymentAvailable(server: FakeApiServer, namespace: string, name: string): void {
  server.setStatus('apps/v1', 'Deployment', namespace, name, {
    availableReplicas: 1,
    readyReplicas: 1,
    conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }],
  });
}

export function conditionOf(obj: StoredObject | undefined, type: string): { status: string; reason: string; message: string; lastTransitionTime: string } | undefined {
  const conditions = (obj?.status as { conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === type);
}
