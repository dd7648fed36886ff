// Pure builders of spec §4.1–§4.3: every object validated against the Kubernetes / cert-manager
// schemas (kubernetes-models), fixture comparisons for the proposal's example manifests in
// config/samples, and determinism (same input → same bytes).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { ClusterIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { applyDefaults } from '../../api/v1alpha1/index.ts';
import type { KubeObject, MCPAuthServer, MCPExternalAuthConfig, MCPServer } from '../lib/crd-types.ts';
import { DEFAULT_SETTINGS, type OperatorSettings } from '../lib/names.ts';
import { stableStringify } from '../lib/stable-json.ts';
import * as d from './index.ts';

// Builders return plain KubeObjects; tests poke into their specs.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const settings: OperatorSettings = { ...DEFAULT_SETTINGS, authServerImage: 'registry.example/mcp-authserver:1.0.0', proxyImage: 'registry.example/mcp-authserver:1.0.0' };

/** The sample manifests of config/samples (the spec's examples and the proposal's), as the API server would return them. */
function samples<T>(file: string): T[] {
  const text = readFileSync(new URL(`../../../config/samples/${file}`, import.meta.url), 'utf8');
  return parseAllDocuments(text).map((doc, i) => {
    const obj = doc.toJS() as T & { metadata: Record<string, unknown> };
    obj.metadata.uid = `00000000-0000-4000-8000-00000000000${i}`;
    obj.metadata.creationTimestamp = `2026-01-0${i + 1}T00:00:00Z`;
    obj.metadata.generation = 1;
    return obj;
  });
}

const authServers = samples<MCPAuthServer>('toolhive.stacklok.dev_v1alpha1_mcpauthserver.yaml');
const configs = samples<MCPExternalAuthConfig>('toolhive.stacklok.dev_v1alpha1_mcpexternalauthconfig.yaml');
const servers = samples<MCPServer>('toolhive.stacklok.dev_v1alpha1_mcpserver.yaml');
const byName = <T extends { metadata: { name: string; namespace?: string } }>(list: T[], ns: string, name: string): T => {
  const found = list.find((o) => o.metadata.name === name && o.metadata.namespace === ns);
  if (!found) throw new Error(`sample ${ns}/${name} missing from config/samples`);
  return found;
};
const enterprise = byName(authServers, 'toolhive-system', 'mcp-auth');
const auto = byName(authServers, 'toolhive-system', 'mcp-auth-auto');
const githubTools = byName(servers, 'mcp-prod', 'github-tools');
const corpClient = byName(configs, 'mcp-prod', 'corp-authserver-client');

function allObjects(as: MCPAuthServer): KubeObject[] {
  const map = d.buildResourceMap(as, [{ server: githubTools, config: corpClient }]);
  return [
    d.selfSignedClusterIssuer(),
    d.caCertificate(as, settings),
    d.caClusterIssuer(as),
    d.caBundleConfigMap(as, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'),
    d.serverCertificate(as, settings),
    d.clientCertificate(githubTools, { externalAuthConfig: 'corp-authserver-client', trustDomain: 'mcp.example.com', issuerRef: { name: 'corp-vault-issuer' } }),
    d.authServerConfigMap(as),
    d.resourceMapConfigMap(as, map.document),
    d.authServerServiceAccount(as),
    d.authServerDeployment(as, settings, {
      configHash: d.configHash(d.renderAuthServerConfig(as), { 'toolhive-system/as-signing': '7' }),
      clientCa: { name: 'corp-mtls-ca', key: 'ca.crt' },
      encryptionKey: { name: 'mcp-auth-encryption-key', key: 'key' },
    }),
    d.publicService(as),
    d.internalService(as),
    d.authServerNetworkPolicy(as)!,
    d.encryptionKeySecret(as, Buffer.alloc(32, 7)),
    d.mcpServerDeployment(githubTools, settings),
    d.mcpServerService(githubTools),
  ];
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'cert-manager.io/v1/Certificate': Certificate as never,
  'cert-manager.io/v1/ClusterIssuer': ClusterIssuer as never,
  'apps/v1/Deployment': Deployment as never,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy as never,
  'v1/ConfigMap': ConfigMap as never,
  'v1/Secret': Secret as never,
  'v1/Service': Service as never,
  'v1/ServiceAccount': ServiceAccount as never,
};

describe('every builder produces a schema-valid object', () => {
  for (const as of [enterprise, auto]) {
    for (const obj of allObjects(as)) {
      it(`${as.metadata.name}: ${obj.kind} ${obj.metadata.name}`, () => {
        const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
        expect(Model, `no schema for ${obj.apiVersion} ${obj.kind}`).toBeDefined();
        expect(() => new Model!(structuredClone(obj) as never).validate()).not.toThrow();
      });
    }
  }

  it('the schema check is not vacuous: a broken Certificate is rejected', () => {
    const cert = d.serverCertificate(enterprise, settings) as Loose;
    delete cert.spec.issuerRef;
    expect(() => new Certificate(cert as never).validate()).toThrow(/issuerRef/);
  });
});

describe("the proposal's example (config/samples)", () => {
  it('client Certificate github-tools-mtls: CN, one SPIFFE URI SAN, client-auth usages, 90 d / 15 d, owned by the MCPServer', () => {
    const cert = d.clientCertificate(githubTools, { externalAuthConfig: 'corp-authserver-client', trustDomain: 'mcp.example.com', issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer' } });
    expect(cert.metadata).toMatchObject({ name: 'github-tools-mtls', namespace: 'mcp-prod' });
    expect(cert.metadata.labels).toMatchObject({ 'toolhive.stacklok.dev/externalauthconfig': 'corp-authserver-client' });
    expect(cert.metadata.ownerReferences).toEqual([
      { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPServer', name: 'github-tools', uid: githubTools.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(cert.spec).toEqual({
      secretName: 'github-tools-mtls',
      commonName: 'github-tools',
      uris: ['spiffe://mcp.example.com/ns/mcp-prod/mcpserver/github-tools'],
      duration: '2160h',
      renewBefore: '360h',
      usages: ['client auth', 'digital signature', 'key encipherment'],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
    expect(cert.spec).not.toHaveProperty('dnsNames');
  });

  it('auth server Deployment mounts server TLS at /etc/toolhive/server-tls and the client CA at /etc/toolhive/client-ca', () => {
    const dep = d.authServerDeployment(enterprise, settings, {
      configHash: 'abc',
      clientCa: { name: 'corp-mtls-ca', key: 'ca.crt' },
      encryptionKey: { name: 'mcp-auth-encryption-key', key: 'key' },
    }) as Loose;
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    expect(c.name).toBe('authserver');
    expect(c.image).toBe(settings.authServerImage);
    expect(c.args).toEqual(['serve', '--config', '/etc/toolhive/authserver/config.json']);
    expect(c.ports).toEqual([
      { name: 'https', containerPort: 8443, protocol: 'TCP' },
      { name: 'https-internal', containerPort: 9443, protocol: 'TCP' },
    ]);
    expect(c.volumeMounts).toEqual([
      { name: 'server-tls', mountPath: '/etc/toolhive/server-tls', readOnly: true },
      { name: 'client-ca', mountPath: '/etc/toolhive/client-ca', readOnly: true },
      { name: 'config', mountPath: '/etc/toolhive/authserver', readOnly: true },
      { name: 'resource-map', mountPath: '/etc/toolhive/resource-map', readOnly: true },
    ]);
    const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
    expect(volumes['server-tls'].secret).toEqual({ secretName: 'mcp-auth-tls', defaultMode: 0o400 });
    expect(volumes['client-ca'].configMap).toEqual({ name: 'corp-mtls-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
    const sources = volumes.config.projected.sources;
    expect(sources).toContainEqual({ configMap: { name: 'mcp-auth-config', items: [{ key: 'config.json', path: 'config.json' }] } });
    expect(sources).toContainEqual({ secret: { name: 'as-signing-2026q3', items: [{ key: 'private.pem', path: 'keys/key-0.pem', mode: 0o400 }] } });
    expect(sources).toContainEqual({ secret: { name: 'as-signing-2026q2', items: [{ key: 'private.pem', path: 'keys/key-1.pem', mode: 0o400 }] } });
    expect(sources).toContainEqual({ secret: { name: 'okta-client', items: [{ key: 'client-secret', path: 'upstreams/corp-okta/client-secret', mode: 0o400 }] } });
    expect(dep.spec.template.metadata.annotations).toEqual({ 'toolhive.stacklok.dev/config-hash': 'abc' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'https', scheme: 'HTTPS' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('mcp-auth');
  });

  it('public Service 443 → 8443 and internal ClusterIP Service 443 → 9443', () => {
    expect(d.publicService(enterprise)).toMatchObject({
      metadata: { name: 'mcp-auth', namespace: 'toolhive-system' },
      spec: { type: 'ClusterIP', ports: [{ name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' }] },
    });
    expect(d.internalService(enterprise)).toMatchObject({
      metadata: { name: 'mcp-auth-internal', namespace: 'toolhive-system' },
      spec: { type: 'ClusterIP', ports: [{ name: 'https-internal', port: 443, targetPort: 9443, protocol: 'TCP' }] },
    });
    const lb = structuredClone(enterprise);
    lb.spec.publicService = { type: 'LoadBalancer', annotations: { z: '1', a: '2' } };
    lb.spec.internalPort = 9555;
    expect((d.publicService(lb).spec as { type: string }).type).toBe('LoadBalancer');
    expect(Object.keys(d.publicService(lb).metadata.annotations!)).toEqual(['a', 'z']);
    expect(d.internalService(lb).spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 443, targetPort: 9555 }] });
  });

  it('server Certificate covers both Services in all four forms, plus additionalDnsNames', () => {
    const as = structuredClone(enterprise);
    as.spec.tls!.serverCert!.additionalDnsNames = ['auth.mcp.example.com'];
    const cert = d.serverCertificate(as, settings) as Loose;
    expect(cert.spec).toMatchObject({
      secretName: 'mcp-auth-tls',
      commonName: 'mcp-auth.toolhive-system.svc.cluster.local',
      duration: '2160h',
      renewBefore: '360h',
      usages: ['server auth', 'digital signature', 'key encipherment'],
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
    expect(cert.spec.dnsNames).toEqual([
      'mcp-auth',
      'mcp-auth.toolhive-system',
      'mcp-auth.toolhive-system.svc',
      'mcp-auth.toolhive-system.svc.cluster.local',
      'mcp-auth-internal',
      'mcp-auth-internal.toolhive-system',
      'mcp-auth-internal.toolhive-system.svc',
      'mcp-auth-internal.toolhive-system.svc.cluster.local',
      'auth.mcp.example.com',
    ]);
    const other = d.serverCertificate(auto, { ...settings, clusterDomain: 'corp.internal' }) as Loose;
    expect(other.spec.dnsNames).toContain('mcp-auth-auto-internal.toolhive-system.svc.corp.internal');
    expect(other.spec.issuerRef).toEqual({ name: 'thv-as-toolhive-system-mcp-auth-auto-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  });

  it('auto CA: self-signed bootstrap, CA Certificate in the cluster-resource namespace, CA ClusterIssuer, public bundle only', () => {
    expect(d.selfSignedClusterIssuer()).toMatchObject({ kind: 'ClusterIssuer', metadata: { name: 'toolhive-selfsigned' }, spec: { selfSigned: {} } });
    const ca = d.caCertificate(auto, { ...settings, clusterResourceNamespace: 'cm-system' }) as Loose;
    expect(ca.metadata).toMatchObject({ name: 'thv-as-toolhive-system-mcp-auth-auto-ca', namespace: 'cm-system' });
    expect(ca.metadata.ownerReferences).toBeUndefined();
    expect(ca.spec).toMatchObject({
      isCA: true,
      commonName: 'ToolHive mTLS CA (toolhive-system/mcp-auth-auto)',
      secretName: 'thv-as-toolhive-system-mcp-auth-auto-ca',
      duration: '87600h',
      renewBefore: '8760h',
      privateKey: { algorithm: 'ECDSA', size: 384, rotationPolicy: 'Never' },
      issuerRef: { name: 'toolhive-selfsigned', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
    expect(d.caClusterIssuer(auto).spec).toEqual({ ca: { secretName: 'thv-as-toolhive-system-mcp-auth-auto-ca' } });
    const bundle = d.caBundleConfigMap(auto, 'PEM');
    expect(bundle.metadata.name).toBe('mcp-auth-auto-ca-bundle');
    expect(bundle.data).toEqual({ 'ca.crt': 'PEM' });
    expect(bundle).not.toHaveProperty('binaryData');
  });

  it('config.json has the exact shape of spec §4.1 for the enterprise example', () => {
    const text = d.renderAuthServerConfig(enterprise);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({
      schema_version: 'v1',
      issuer: 'https://auth.mcp.example.com',
      public_listen_addr: ':8443',
      internal_listen_addr: ':9443',
      public_tls: true,
      tls: {
        cert_file: '/etc/toolhive/server-tls/tls.crt',
        key_file: '/etc/toolhive/server-tls/tls.key',
        client_ca_file: '/etc/toolhive/client-ca/ca.crt',
        min_version: '1.2',
      },
      signing_keys: [
        { file: '/etc/toolhive/authserver/keys/key-0.pem', algorithm: 'ES256' },
        { file: '/etc/toolhive/authserver/keys/key-1.pem', algorithm: 'ES256' },
      ],
      token_lifespans: { access_token: '30m', refresh_token: '168h', auth_code: '5m' },
      upstreams: [
        {
          name: 'corp-okta',
          type: 'oidc',
          issuer_url: 'https://example.okta.com',
          client_id: '0oa1example',
          client_secret_file: '/etc/toolhive/authserver/upstreams/corp-okta/client-secret',
          redirect_uri: 'https://auth.mcp.example.com/oauth/callback',
          scopes: ['openid', 'profile', 'email', 'offline_access'],
        },
      ],
      allowed_subjects: {
        trust_domain: 'mcp.example.com',
        allowed_namespaces: ['mcp-prod', 'mcp-staging'],
        allowed_names: [],
        allowed_servers: [{ namespace: 'mcp-prod', name: 'github-tools' }],
      },
      resource_map_file: '/etc/toolhive/resource-map/resources.json',
      storage: { type: 'memory', encryption_keys: [{ id: 'mcp-auth-encryption-key', file: '/etc/toolhive/authserver/storage/encryption-key' }] },
      dcr: { rate_per_second: 1, burst: 5, allow_confidential: false },
    });
    // Key order follows the spec's example.
    expect(Object.keys(JSON.parse(text)).slice(0, 5)).toEqual(['schema_version', 'issuer', 'public_listen_addr', 'internal_listen_addr', 'public_tls']);
  });

  it('config.json defaults for the auto-CA minimal example', () => {
    const cfg = d.authServerConfig(auto) as Loose;
    expect(cfg.token_lifespans).toEqual({ access_token: '1h', refresh_token: '168h', auth_code: '10m' });
    expect(cfg.upstreams[0].scopes).toEqual(['openid', 'profile', 'email']);
    expect(cfg.allowed_subjects.trust_domain).toBe('toolhive.local');
  });

  it('MCPServer Deployment: proxy + mcp containers, pod label, Service → proxyPort', () => {
    const dep = d.mcpServerDeployment(githubTools, settings) as Loose;
    expect(dep.spec.template.metadata.labels['toolhive.stacklok.dev/mcpserver']).toBe('github-tools');
    expect(dep.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/instance': 'github-tools', 'app.kubernetes.io/name': 'mcpserver' } });
    const [proxy, mcp] = dep.spec.template.spec.containers;
    expect(proxy.name).toBe('proxy');
    expect(proxy.image).toBe(settings.proxyImage);
    expect(proxy.args).toEqual([
      'proxy',
      '--listen',
      ':8000',
      '--upstream',
      'http://127.0.0.1:8080',
      '--resource-url',
      'https://github-tools.mcp.example.com/mcp',
      '--issuer',
      'https://auth.mcp.example.com',
      '--jwks-url',
      'https://auth.mcp.example.com/.well-known/jwks.json',
    ]);
    expect(mcp).toMatchObject({ name: 'mcp', image: 'ghcr.io/example/github-mcp:1.2.3', ports: [{ containerPort: 8080 }] });
    expect(d.mcpServerService(githubTools).spec).toEqual({
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/instance': 'github-tools', 'app.kubernetes.io/name': 'mcpserver' },
      ports: [{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }],
    });
  });

  it('every child carries the labels of spec §4 and a controller ownerReference when namespaced in the same namespace', () => {
    for (const obj of allObjects(enterprise)) {
      expect(obj.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('mcp-authserver');
      const crossNamespace = obj.metadata.namespace === undefined || obj.metadata.namespace === settings.clusterResourceNamespace;
      if (crossNamespace) expect(obj.metadata.ownerReferences, `${obj.kind} ${obj.metadata.name}`).toBeUndefined();
      else expect(obj.metadata.ownerReferences?.[0]?.controller, `${obj.kind} ${obj.metadata.name}`).toBe(true);
    }
    expect(d.authServerConfigMap(enterprise).metadata.labels).toEqual({
      'app.kubernetes.io/instance': 'mcp-auth',
      'app.kubernetes.io/managed-by': 'mcp-authserver',
      'app.kubernetes.io/name': 'mcpauthserver',
      'toolhive.stacklok.dev/mcpauthserver': 'mcp-auth',
    });
  });
});

describe('NetworkPolicy', () => {
  it('internal port only from MCPServer pods of the allowed namespaces; public port from anywhere', () => {
    const np = d.authServerNetworkPolicy(enterprise)!;
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'mcp-auth', 'app.kubernetes.io/name': 'mcpauthserver' } },
      policyTypes: ['Ingress'],
      ingress: [
        { ports: [{ port: 8443, protocol: 'TCP' }] },
        {
          from: [
            {
              namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['mcp-prod', 'mcp-staging'] }] },
              podSelector: { matchExpressions: [{ key: 'toolhive.stacklok.dev/mcpserver', operator: 'Exists' }] },
            },
          ],
          ports: [{ port: 9443, protocol: 'TCP' }],
        },
      ],
    });
  });

  it('all namespaces when allowedNamespaces is unset; none when disabled', () => {
    const np = d.authServerNetworkPolicy(auto)! as Loose;
    expect(np.spec.ingress[1]!.from![0]!.namespaceSelector).toEqual({});
    const off = structuredClone(auto);
    off.spec.networkPolicy = { enabled: false };
    expect(d.authServerNetworkPolicy(off)).toBeNull();
  });
});

describe('resource map', () => {
  const srv = (ns: string, name: string, created: string, url: string): MCPServer => ({
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPServer',
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, creationTimestamp: created },
    spec: { image: 'x', oidcConfig: { type: 'inline', resourceUrl: url }, externalAuthConfigRef: { name: 'cfg' } },
  });

  it('maps normalized resources to their owner, with the upstream IdP of the config', () => {
    const map = d.buildResourceMap(enterprise, [{ server: githubTools, config: corpClient }]);
    expect(map.document).toEqual({
      version: 1,
      resources: { 'https://github-tools.mcp.example.com/mcp': { namespace: 'mcp-prod', name: 'github-tools', upstreamIdp: 'corp-okta' } },
    });
    expect(JSON.parse(d.resourceMapConfigMap(enterprise, map.document).data!['resources.json' as never])).toEqual(map.document);
  });

  it('conflict: the oldest MCPServer keeps the resource, ties broken by namespace/name', () => {
    const older = srv('mcp-staging', 'b', '2026-01-01T00:00:00Z', 'https://t.example.com/mcp/');
    const newer = srv('mcp-prod', 'a', '2026-02-01T00:00:00Z', 'HTTPS://T.example.com:443/mcp');
    const sameTimeA = srv('mcp-prod', 'c', '2026-03-01T00:00:00Z', 'https://u.example.com');
    const sameTimeB = srv('mcp-prod', 'd', '2026-03-01T00:00:00Z', 'https://u.example.com/');
    const as = structuredClone(auto);
    const cfg = corpClient;
    const map = d.buildResourceMap(as, [newer, sameTimeB, older, sameTimeA].map((server) => ({ server, config: cfg })));
    expect(map.document.resources['https://t.example.com/mcp']).toMatchObject({ namespace: 'mcp-staging', name: 'b' });
    expect(map.outcomes.get('mcp-prod/a')).toEqual({ kind: 'conflict', resource: 'https://t.example.com/mcp', heldBy: 'mcp-staging/b' });
    expect(map.document.resources['https://u.example.com']).toMatchObject({ name: 'c' });
    expect(map.outcomes.get('mcp-prod/d')).toMatchObject({ kind: 'conflict', heldBy: 'mcp-prod/c' });
  });

  it('servers outside allowedSubjects and invalid resource URLs are not registered', () => {
    const outside = srv('other-ns', 'github-tools', '2026-01-01T00:00:00Z', 'https://x.example.com');
    const badUrl = srv('mcp-prod', 'github-tools', '2026-01-01T00:00:00Z', 'https://x.example.com/?q=1');
    const map = d.buildResourceMap(enterprise, [outside, badUrl].map((server) => ({ server, config: corpClient })));
    expect(map.document.resources).toEqual({});
    expect(map.outcomes.get('other-ns/github-tools')).toEqual({ kind: 'not_allowed' });
    expect(map.outcomes.get('mcp-prod/github-tools')).toMatchObject({ kind: 'invalid_resource' });
  });
});

describe('determinism', () => {
  it('building twice gives identical bytes', () => {
    for (const as of [enterprise, auto]) {
      expect(JSON.stringify(allObjects(as))).toBe(JSON.stringify(allObjects(as)));
    }
  });

  it('input key order does not change the output bytes', () => {
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverseKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)])) : v;
    const reordered = reverseKeys(enterprise) as MCPAuthServer;
    expect(Object.keys(reordered.spec)[0]).not.toBe(Object.keys(enterprise.spec)[0]);
    reordered.spec.publicService = { annotations: { b: '1', a: '2' } };
    const original = structuredClone(enterprise);
    original.spec.publicService = { annotations: { a: '2', b: '1' } };
    expect(JSON.stringify(allObjects(reordered))).toBe(JSON.stringify(allObjects(original)));
  });

  it('configHash depends on config.json and Secret versions, not on map order', () => {
    const a = d.configHash('{}', { 'ns/a': '1', 'ns/b': '2' });
    expect(d.configHash('{}', { 'ns/b': '2', 'ns/a': '1' })).toBe(a);
    expect(d.configHash('{}', { 'ns/a': '1', 'ns/b': '3' })).not.toBe(a);
    expect(d.configHash('{ }', { 'ns/a': '1', 'ns/b': '2' })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the builders' defaults agree with the API's applyDefaults (webhook-defaulted or not, same objects)", () => {
    for (const as of [enterprise, auto]) {
      const defaulted = applyDefaults(structuredClone(as) as never) as unknown as MCPAuthServer;
      expect(JSON.stringify(defaulted.spec)).not.toBe(JSON.stringify(as.spec));
      expect(JSON.stringify(allObjects(defaulted))).toBe(JSON.stringify(allObjects(as)));
    }
    const srv = applyDefaults(structuredClone(githubTools) as never) as unknown as MCPServer;
    expect(JSON.stringify(d.mcpServerDeployment(srv, settings))).toBe(JSON.stringify(d.mcpServerDeployment(githubTools, settings)));
  });

  it('stableStringify sorts keys at every level', () => {
    expect(stableStringify({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });
});

describe('encryption-key Secret', () => {
  it('holds the given 32 bytes, never generates its own', () => {
    const key = Buffer.alloc(32, 0xab);
    const s = d.encryptionKeySecret(auto, key);
    expect(s.metadata.name).toBe('mcp-auth-auto-encryption-key');
    expect(Buffer.from((s.data as { key: string }).key, 'base64').equals(key)).toBe(true);
    expect(() => d.encryptionKeySecret(auto, Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
