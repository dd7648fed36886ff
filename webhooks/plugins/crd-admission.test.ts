/**
 * Spec §6.2 "CRDs (admission)" and the rule lists of §3, each as a table case sent as a real
 * AdmissionReview over HTTPS to the validating webhook; plus the defaulting webhooks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLookup } from '../lookup/memory-lookup.ts';
import { startHarness, type Harness } from '../testing/harness.ts';
import { applyReturnedPatch, decodePatch } from '../testing/client.ts';
import { buildReview, fixture } from '../testing/reviews.ts';
import { validAuthServer, validExternalAuthConfig, validMCPServer, type LooseSpec } from '../testing/crd-objects.ts';
import { applyDefaults, validate } from '../../src/api/v1alpha1/index.ts';
import type { AdmissionReviewResponse, KubeObject } from '../framework/types.ts';

// The cache holds the related objects of the valid examples, so cross-object checks find them.
const lookup = createMemoryLookup([validAuthServer(), validExternalAuthConfig()]);
let h: Harness;
let gated: Harness;

beforeAll(async () => {
  [h, gated] = await Promise.all([startHarness({ lookup }), startHarness({ lookup, featureGates: { MultiUpstreamIdp: true } })]);
});
afterAll(async () => {
  await Promise.all([h.stop(), gated.stop()]);
});

const PATH: Record<string, string> = { MCPAuthServer: 'mcpauthserver', MCPExternalAuthConfig: 'mcpexternalauthconfig', MCPServer: 'mcpserver' };

async function review(verb: 'validate' | 'mutate', obj: KubeObject, opts: { oldObject?: KubeObject; server?: Harness; dryRun?: boolean } = {}): Promise<AdmissionReviewResponse> {
  const body = buildReview({ operation: opts.oldObject ? 'UPDATE' : 'CREATE', object: obj, ...(opts.oldObject ? { oldObject: opts.oldObject } : {}), dryRun: opts.dryRun ?? false });
  const res = await (opts.server ?? h).client.post(`/${verb}-${PATH[obj.kind!]}?timeout=10s`, body);
  expect(res.status).toBe(200);
  const out = res.json();
  expect(out.response.uid).toBe(body.request.uid);
  return out;
}

type Spec = LooseSpec;
const idp = (name: string) => ({ name, type: 'oidc', oidc: { issuer: 'https://idp.example.com', clientId: 'c', clientSecretRef: { name: 's', key: 'k' } } });
const key = (name: string, algorithm = 'ES256') => ({ secretRef: { name, key: 'private.pem' }, algorithm });

// [description, mutation of a valid object, field path the denial must name]
const authServerCases: Array<[string, (s: Spec) => void, string]> = [
  ['http issuer', (s) => (s.issuer = 'http://auth.mcp.example.com'), 'spec.issuer'],
  ['issuer with trailing slash', (s) => (s.issuer = 'https://auth.mcp.example.com/'), 'spec.issuer'],
  ['issuer with query', (s) => (s.issuer = 'https://auth.mcp.example.com?x=1'), 'spec.issuer'],
  ['issuer with fragment', (s) => (s.issuer = 'https://auth.mcp.example.com#f'), 'spec.issuer'],
  ['port == internalPort', (s) => ((s.port = 9443), (s.internalPort = 9443)), 'spec.internalPort'],
  ['port below 1024', (s) => (s.port = 443), 'spec.port'],
  ['replicas 2 with memory storage', (s) => (s.replicas = 2), 'spec.replicas'],
  ['replicas 0', (s) => (s.replicas = 0), 'spec.replicas'],
  ['duplicate IdP names', (s) => (s.upstreamIdps = [idp('corp'), idp('corp')]), 'spec.upstreamIdps[1].name'],
  ['uppercase IdP name', (s) => (s.upstreamIdps = [idp('Corp')]), 'spec.upstreamIdps[0].name'],
  ['IdP name over 63 chars', (s) => (s.upstreamIdps = [idp('a'.repeat(64))]), 'spec.upstreamIdps[0].name'],
  ['2 IdPs without feature gate', (s) => (s.upstreamIdps = [idp('a'), idp('b')]), 'spec.upstreamIdps'],
  ['no IdP', (s) => (s.upstreamIdps = []), 'spec.upstreamIdps'],
  ['type oidc without oidc', (s) => delete s.upstreamIdps[0].oidc, 'spec.upstreamIdps[0].oidc'],
  ['oidc.issuer not https', (s) => (s.upstreamIdps[0].oidc.issuer = 'http://accounts.google.com'), 'spec.upstreamIdps[0].oidc.issuer'],
  ['empty clientId', (s) => (s.upstreamIdps[0].oidc.clientId = ''), 'spec.upstreamIdps[0].oidc.clientId'],
  ['scopes without openid', (s) => (s.upstreamIdps[0].oidc.scopes = ['profile', 'email']), 'spec.upstreamIdps[0].oidc.scopes'],
  ['0 signing keys', (s) => (s.signingKeys = []), 'spec.signingKeys'],
  ['6 signing keys', (s) => (s.signingKeys = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => key(n))), 'spec.signingKeys'],
  ['duplicate signing key refs', (s) => (s.signingKeys = [key('k1'), key('k1', 'RS256')]), 'spec.signingKeys[1].secretRef'],
  ['unknown algorithm', (s) => (s.signingKeys = [key('k1', 'HS256')]), 'spec.signingKeys[0].algorithm'],
  ['signing key secretRef without key', (s) => (s.signingKeys = [{ secretRef: { name: 'k' }, algorithm: 'ES256' }]), 'spec.signingKeys[0].secretRef.key'],
  ['issuerRef without caBundle', (s) => (s.tls = { serverCert: { issuerRef: { name: 'corp', kind: 'ClusterIssuer' } }, clientAuth: { allowedSubjects: { trustDomain: 'mcp.example.com' } } }), 'spec.tls.clientAuth.caBundle'],
  ['caBundle without issuerRef', (s) => (s.tls.clientAuth.caBundle = { configMapRef: { name: 'ca', key: 'ca.crt' } }), 'spec.tls.clientAuth.caBundle'],
  ['issuerRef kind not Issuer/ClusterIssuer', (s) => (s.tls = { serverCert: { issuerRef: { name: 'corp', kind: 'Vault' } }, clientAuth: { caBundle: { configMapRef: { name: 'ca' } }, allowedSubjects: { trustDomain: 'mcp.example.com' } } }), 'spec.tls.serverCert.issuerRef.kind'],
  ['renewBefore == duration', (s) => (s.tls.serverCert = { duration: '720h', renewBefore: '720h' }), 'spec.tls.serverCert.renewBefore'],
  ['renewBefore > duration', (s) => (s.tls.serverCert = { duration: '24h', renewBefore: '48h' }), 'spec.tls.serverCert.renewBefore'],
  ['duration that does not parse', (s) => (s.tls.serverCert = { duration: '1 year' }), 'spec.tls.serverCert.duration'],
  ['accessToken lifespan below 1m', (s) => (s.tokenLifespans = { accessToken: '30s' }), 'spec.tokenLifespans.accessToken'],
  ['accessToken lifespan above 24h', (s) => (s.tokenLifespans = { accessToken: '25h' }), 'spec.tokenLifespans.accessToken'],
  ['refreshToken lifespan above 720h', (s) => (s.tokenLifespans = { refreshToken: '721h' }), 'spec.tokenLifespans.refreshToken'],
  ['authCode lifespan above 10m', (s) => (s.tokenLifespans = { authCode: '11m' }), 'spec.tokenLifespans.authCode'],
  ['authCode lifespan below 30s', (s) => (s.tokenLifespans = { authCode: '10s' }), 'spec.tokenLifespans.authCode'],
  ['trust domain spiffe://x', (s) => (s.tls.clientAuth.allowedSubjects.trustDomain = 'spiffe://x'), 'spec.tls.clientAuth.allowedSubjects.trustDomain'],
  ['trust domain UPPER', (s) => (s.tls.clientAuth.allowedSubjects.trustDomain = 'UPPER'), 'spec.tls.clientAuth.allowedSubjects.trustDomain'],
  ['trust domain a_b', (s) => (s.tls.clientAuth.allowedSubjects.trustDomain = 'a_b'), 'spec.tls.clientAuth.allowedSubjects.trustDomain'],
  ['allowedNamespaces entry not DNS-1123', (s) => (s.tls.clientAuth.allowedSubjects.allowedNamespaces = ['Mcp_Prod']), 'spec.tls.clientAuth.allowedSubjects.allowedNamespaces[0]'],
  ['allowedServers entry without name', (s) => (s.tls.clientAuth.allowedSubjects.allowedServers = [{ namespace: 'mcp-prod' }]), 'spec.tls.clientAuth.allowedSubjects.allowedServers[0].name'],
  ['additionalDnsNames entry not DNS-1123', (s) => (s.tls.serverCert = { additionalDnsNames: ['bad_name'] }), 'spec.tls.serverCert.additionalDnsNames[0]'],
  ['publicService.type ExternalName', (s) => (s.publicService = { type: 'ExternalName' }), 'spec.publicService.type'],
  ['redis storage without address', (s) => (s.storage = { type: 'redis' }), 'spec.storage.redis'],
  ['internalPort above 65535', (s) => (s.internalPort = 70000), 'spec.internalPort'],
  ['IdP type saml', (s) => (s.upstreamIdps[0].type = 'saml'), 'spec.upstreamIdps[0].type'],
  ['IdP without clientSecretRef', (s) => delete s.upstreamIdps[0].oidc.clientSecretRef, 'spec.upstreamIdps[0].oidc.clientSecretRef'],
  ['trust domain over 255 chars', (s) => (s.tls.clientAuth.allowedSubjects.trustDomain = `${'a'.repeat(63)}.`.repeat(4) + 'abcd'), 'spec.tls.clientAuth.allowedSubjects.trustDomain'],
  ['allowedNames entry uppercase', (s) => (s.tls.clientAuth.allowedSubjects.allowedNames = ['GitHub']), 'spec.tls.clientAuth.allowedSubjects.allowedNames[0]'],
  ['storage.type etcd', (s) => (s.storage = { type: 'etcd' }), 'spec.storage.type'],
  ['encryptionKeySecretRef without key', (s) => (s.storage = { type: 'memory', encryptionKeySecretRef: { name: 'k' } }), 'spec.storage.encryptionKeySecretRef.key'],
  ['signing key secretRef empty name', (s) => (s.signingKeys = [{ secretRef: { name: '', key: 'k' }, algorithm: 'ES256' }]), 'spec.signingKeys[0].secretRef.name'],
];

const externalAuthConfigCases: Array<[string, (s: Spec) => void, string]> = [
  ['type authServer without authServer block', (s) => delete s.authServer, 'spec.authServer'],
  ['authServer block with another type', (s) => (s.type = 'tokenExchange'), 'spec.authServer'],
  ['another type\'s block alongside authServer', (s) => (s.tokenExchange = { tokenUrl: 'https://x' }), 'spec.tokenExchange'],
  ['url with http', (s) => (s.authServer = { ...s.authServer, authServerRef: undefined, url: 'http://mcp-auth-internal.toolhive-system.svc.cluster.local' }), 'spec.authServer.url'],
  ['url with query', (s) => (s.authServer.url = 'https://mcp-auth-internal.toolhive-system.svc?x=1'), 'spec.authServer.url'],
  ['neither authServerRef nor url', (s) => delete s.authServer.authServerRef, 'spec.authServer.url'],
  ['trust domain UPPER', (s) => (s.authServer.clientCert.trustDomain = 'UPPER'), 'spec.authServer.clientCert.trustDomain'],
  ['trust domain spiffe://x', (s) => (s.authServer.clientCert.trustDomain = 'spiffe://x'), 'spec.authServer.clientCert.trustDomain'],
  ['issuerRef.kind not in enum', (s) => (s.authServer.clientCert.issuerRef.kind = 'Vault'), 'spec.authServer.clientCert.issuerRef.kind'],
  ['unknown type', (s) => (s.type = 'magic'), 'spec.type'],
  ['url with fragment', (s) => (s.authServer.url = 'https://mcp-auth-internal.toolhive-system.svc#x'), 'spec.authServer.url'],
  ['no clientCert', (s) => delete s.authServer.clientCert, 'spec.authServer.clientCert'],
  ['caBundle configMapRef without name', (s) => (s.authServer.caBundle = { configMapRef: { key: 'ca.crt' } }), 'spec.authServer.caBundle.configMapRef.name'],
];

const mcpServerCases: Array<[string, (s: Spec, o: KubeObject) => void, string]> = [
  ['inline.audience ≠ normalized resourceUrl', (s) => (s.oidcConfig.inline.audience = 'github-tools'), 'spec.oidcConfig.inline.audience'],
  ['resourceUrl with fragment', (s) => (s.oidcConfig.resourceUrl = 'https://github-tools.mcp.example.com/mcp#x'), 'spec.oidcConfig.resourceUrl'],
  ['resourceUrl relative', (s) => (s.oidcConfig.resourceUrl = '/mcp'), 'spec.oidcConfig.resourceUrl'],
  ['no image', (s) => delete s.image, 'spec.image'],
  ['transport stdio', (s) => (s.transport = 'stdio'), 'spec.transport'],
  ['port == proxyPort', (s) => ((s.port = 8000), (s.proxyPort = 8000)), 'spec.proxyPort'],
  ['name over 63 characters', (_s, o) => (o.metadata!.name = 'a'.repeat(64)), 'metadata.name'],
  ['oidcConfig type inline without inline', (s) => delete s.oidcConfig.inline, 'spec.oidcConfig.inline'],
  ['oidcConfig type kubernetes', (s) => (s.oidcConfig.type = 'kubernetes'), 'spec.oidcConfig.type'],
  ['resourceUrl ftp://', (s) => (s.oidcConfig.resourceUrl = 'ftp://github-tools.mcp.example.com/mcp'), 'spec.oidcConfig.resourceUrl'],
  ['resourceUrl with query', (s) => (s.oidcConfig.resourceUrl = 'https://github-tools.mcp.example.com/mcp?x=1'), 'spec.oidcConfig.resourceUrl'],
  ['inline without issuer', (s) => delete s.oidcConfig.inline.issuer, 'spec.oidcConfig.inline.issuer'],
  ['inline without audience', (s) => delete s.oidcConfig.inline.audience, 'spec.oidcConfig.inline.audience'],
  ['port 0', (s) => (s.port = 0), 'spec.port'],
  ['proxyPort above 65535', (s) => (s.proxyPort = 70000), 'spec.proxyPort'],
];

function expectDenied(out: AdmissionReviewResponse, path: string) {
  expect(out.response.allowed).toBe(false);
  expect(out.response.status?.code).toBe(403);
  expect(out.response.status?.reason).toBe('Forbidden');
  const fields = out.response.status?.details?.causes.map((c) => c.field) ?? [];
  expect(fields, out.response.status?.message).toContain(path);
  // The one message names the field path and the rule: `path: message (rule)`.
  expect(out.response.status?.message).toMatch(new RegExp(`${path.replace(/[.[\]]/g, '\\$&')}: .+ \\([\\w-]+\\)`));
}

describe('validating webhooks: spec §6.2 "CRDs (admission)" and §3 rules over HTTPS', () => {
  it('the valid spec examples are admitted without warnings', async () => {
    for (const obj of [validAuthServer(), validExternalAuthConfig(), validMCPServer()]) {
      const out = await review('validate', obj);
      expect(out.response, obj.kind).toEqual({ uid: out.response.uid, allowed: true });
    }
  });

  it.each(authServerCases)('MCPAuthServer: %s → denied at the field', async (_what, mutate, path) => {
    const obj = validAuthServer();
    mutate(obj.spec);
    expectDenied(await review('validate', obj), path);
  });

  it.each(externalAuthConfigCases)('MCPExternalAuthConfig: %s → denied at the field', async (_what, mutate, path) => {
    const obj = validExternalAuthConfig();
    mutate(obj.spec);
    expectDenied(await review('validate', JSON.parse(JSON.stringify(obj))), path);
  });

  it.each(mcpServerCases)('MCPServer: %s → denied at the field', async (_what, mutate, path) => {
    const obj = validMCPServer();
    mutate(obj.spec, obj);
    expectDenied(await review('validate', obj), path);
  });

  it('reports every problem in one denial', async () => {
    const obj = validAuthServer();
    obj.spec.issuer = 'http://x';
    obj.spec.replicas = 2;
    obj.spec.signingKeys = [];
    obj.spec.tls.clientAuth.allowedSubjects.trustDomain = 'UPPER';
    const out = await review('validate', obj);
    const fields = out.response.status?.details?.causes.map((c) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['spec.issuer', 'spec.replicas', 'spec.signingKeys', 'spec.tls.clientAuth.allowedSubjects.trustDomain']));
    for (const cause of out.response.status?.details?.causes ?? []) {
      expect(out.response.status?.message).toContain(`${cause.field}: ${cause.message} (${cause.reason})`);
    }
  });

  it('feature gate MultiUpstreamIdp admits 2 IdPs, still refuses 11 and duplicates', async () => {
    const two = validAuthServer();
    two.spec.upstreamIdps = [idp('a'), idp('b')];
    expect((await review('validate', two, { server: gated })).response.allowed).toBe(true);
    const eleven = validAuthServer();
    eleven.spec.upstreamIdps = Array.from({ length: 11 }, (_, i) => idp(`idp-${i}`));
    expectDenied(await review('validate', eleven, { server: gated }), 'spec.upstreamIdps');
    const dup = validAuthServer();
    dup.spec.upstreamIdps = [idp('a'), idp('a')];
    expectDenied(await review('validate', dup, { server: gated }), 'spec.upstreamIdps[1].name');
  });

  it('UPDATE warnings: IdP renamed, trust domain changed, several replicas on Redis without TLS — admitted', async () => {
    const old = validAuthServer();
    const renamed = validAuthServer();
    renamed.spec.upstreamIdps[0].name = 'google-workspace';
    renamed.spec.tls.clientAuth.allowedSubjects.trustDomain = 'mcp.example.com';
    const out = await review('validate', renamed, { oldObject: old });
    expect(out.response.allowed).toBe(true);
    expect(out.response.warnings?.join('\n')).toMatch(/google/);
    expect(out.response.warnings?.join('\n')).toMatch(/trustDomain/);
    expect(out.response.warnings?.length).toBeGreaterThanOrEqual(2);
    const redis = validAuthServer();
    redis.spec.replicas = 2;
    redis.spec.storage = { type: 'redis', redis: { address: 'redis:6379' } };
    const r2 = await review('validate', redis, { oldObject: old });
    expect(r2.response.allowed).toBe(true);
    expect(r2.response.warnings?.join('\n')).toMatch(/TLS|tls/);
  });

  it('DELETE is not validated (allowed), dryRun is answered exactly like a real request', async () => {
    const body = buildReview({ operation: 'DELETE', oldObject: validAuthServer() });
    expect((await h.client.post('/validate-mcpauthserver', body)).json().response).toEqual({ uid: body.request.uid, allowed: true });
    const bad = validAuthServer();
    bad.spec.issuer = 'http://x';
    const real = await review('validate', bad);
    const dry = await review('validate', bad, { dryRun: true });
    expect(dry.response.status).toEqual(real.response.status);
  });

  it('captured MCPServer CREATE/UPDATE reviews from the apiserver are admitted', async () => {
    for (const name of ['mcpserver-create.json', 'mcpserver-update.json']) {
      const captured = fixture(name);
      const out = (await h.client.post('/validate-mcpserver?timeout=10s', captured)).json();
      expect(out.response, name).toMatchObject({ uid: captured.request.uid, allowed: true });
    }
  });
});

describe('validating webhooks: cross-object findings are warnings, never denials', () => {
  it('MCPServer: missing config → warning; issuer differing from the MCPAuthServer → warning', async () => {
    lookup.put(validExternalAuthConfig());
    lookup.put(validAuthServer());
    const orphan = validMCPServer();
    orphan.spec.externalAuthConfigRef = { name: 'not-there' };
    const r1 = await review('validate', orphan);
    expect(r1.response.allowed).toBe(true);
    expect(r1.response.warnings).toEqual([expect.stringMatching(/MCPExternalAuthConfig mcp-prod\/not-there does not exist/)]);

    const mismatch = validMCPServer();
    mismatch.spec.oidcConfig.inline.issuer = 'https://other.example.com';
    const r2 = await review('validate', mismatch);
    expect(r2.response.allowed).toBe(true);
    expect(r2.response.warnings).toEqual([expect.stringMatching(/^spec\.oidcConfig\.inline\.issuer: .*auth\.mcp\.example\.com/)]);

    const noOidc = validMCPServer();
    delete noOidc.spec.oidcConfig;
    const r3 = await review('validate', noOidc);
    expect(r3.response.allowed).toBe(true);
    expect(r3.response.warnings).toEqual([expect.stringMatching(/^spec\.oidcConfig: /)]);

    expect((await review('validate', validMCPServer())).response.warnings).toBeUndefined();
  });

  it('MCPExternalAuthConfig: missing MCPAuthServer or differing trust domain / IdP → warnings', async () => {
    const missing = validExternalAuthConfig();
    missing.spec.authServer.authServerRef = { name: 'nope', namespace: 'toolhive-system' };
    const r1 = await review('validate', missing);
    expect(r1.response.allowed).toBe(true);
    expect(r1.response.warnings).toEqual([expect.stringMatching(/MCPAuthServer toolhive-system\/nope does not exist/)]);
    lookup.put(validAuthServer());
    const differ = validExternalAuthConfig();
    differ.spec.authServer.clientCert.trustDomain = 'other.example.com';
    differ.spec.authServer.upstreamIdp = 'okta';
    const r2 = await review('validate', differ);
    expect(r2.response.allowed).toBe(true);
    expect(r2.response.warnings?.join('\n')).toMatch(/spec\.authServer\.clientCert\.trustDomain/);
    expect(r2.response.warnings?.join('\n')).toMatch(/spec\.authServer\.upstreamIdp/);
  });
});

describe('defaulting webhooks (spec §3 defaults as JSON Patch)', () => {
  it.each([
    ['MCPAuthServer', validAuthServer],
    ['MCPExternalAuthConfig', validExternalAuthConfig],
    ['MCPServer', validMCPServer],
  ])('%s: patch fills the defaults, result validates, second pass is empty', async (_kind, make) => {
    const obj = make();
    const out = await review('mutate', obj);
    expect(out.response.allowed).toBe(true);
    const defaulted = applyReturnedPatch(obj, out);
    expect(defaulted).toEqual(applyDefaults(obj));
    expect(validate(defaulted).errors).toEqual([]);
    const again = await review('mutate', defaulted);
    expect(again.response).toEqual({ uid: again.response.uid, allowed: true });
  });

  it('MCPAuthServer: the defaults of §3.1 are in the patch', async () => {
    const obj = validAuthServer();
    const defaulted = applyReturnedPatch(obj, await review('mutate', obj)) as { spec: Spec };
    expect(defaulted.spec).toMatchObject({
      replicas: 1,
      port: 8443,
      internalPort: 9443,
      publicService: { type: 'ClusterIP' },
      tokenLifespans: { accessToken: '1h', refreshToken: '168h', authCode: '10m' },
      storage: { type: 'memory' },
      networkPolicy: { enabled: true },
      tls: { serverCert: { duration: '8760h', renewBefore: '720h' } },
    });
    expect(defaulted.spec.upstreamIdps[0].oidc.scopes).toEqual(['openid', 'profile', 'email']);
  });

  it('patch is against the raw object: unknown fields and metadata survive, labels with "/" are untouched', async () => {
    const obj = validMCPServer();
    obj.metadata = { ...obj.metadata, labels: { 'app.kubernetes.io/name': 'x' }, managedFields: [{ manager: 'kubectl' }] };
    (obj.spec as Spec).futureField = { keep: true };
    const out = await review('mutate', obj);
    const ops = decodePatch(out);
    expect(ops.every((op) => op.path.startsWith('/spec/'))).toBe(true);
    const result = applyReturnedPatch(obj, out) as { spec: Spec; metadata: unknown };
    expect(result.spec.futureField).toEqual({ keep: true });
    expect(result.metadata).toEqual(obj.metadata);
  });

  it('captured MCPServer CREATE (and UPDATE) get the same defaults; dryRun the same patch; DELETE no patch', async () => {
    const captured = fixture('mcpserver-create.json');
    const out = (await h.client.post('/mutate-mcpserver?timeout=10s', captured)).json();
    expect(out.response.uid).toBe(captured.request.uid);
    const result = applyReturnedPatch(captured.request.object, out);
    expect(result).toEqual(applyDefaults(captured.request.object));
    const dry = (await h.client.post('/mutate-mcpserver', { ...captured, request: { ...captured.request, dryRun: true } })).json();
    expect(dry.response.patch).toBe(out.response.patch);
    const update = fixture('mcpserver-update.json');
    const upd = (await h.client.post('/mutate-mcpserver', update)).json();
    expect(applyReturnedPatch(update.request.object, upd)).toEqual(applyDefaults(update.request.object));
    const del = buildReview({ operation: 'DELETE', oldObject: validMCPServer() });
    expect((await h.client.post('/mutate-mcpserver', del)).json().response).toEqual({ uid: del.request.uid, allowed: true });
  });
});
