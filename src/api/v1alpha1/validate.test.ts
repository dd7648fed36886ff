import { describe, expect, it } from 'vitest';
import { validate } from './validate.ts';
import { schemaValidator } from './lib/ajv.ts';
import { formatFieldError } from './field-error.ts';
import { sample, SAMPLE_NAMES } from './testdata/samples.ts';
import { RULE_CASES } from './testdata/rule-cases.ts';

describe('validate: valid objects', () => {
  it.each(SAMPLE_NAMES)('accepts sample %s with no errors', (name) => {
    expect(validate(sample(name)).errors).toEqual([]);
  });

  it('accepts up to 10 upstream IdPs with the MultiUpstreamIdp gate', () => {
    const o = sample('authServerAuto');
    o.spec.upstreamIdps = Array.from({ length: 10 }, (_, i) => ({ ...o.spec.upstreamIdps[0], name: `idp-${i}` }));
    expect(validate(o, { featureGates: { MultiUpstreamIdp: true } }).errors).toEqual([]);
    o.spec.upstreamIdps.push({ ...o.spec.upstreamIdps[0], name: 'idp-10' });
    expect(validate(o, { featureGates: { MultiUpstreamIdp: true } }).errors).toEqual([
      { path: 'spec.upstreamIdps', rule: 'maxItems', message: 'has 11 items; must have at most 10' },
    ]);
  });

  it('accepts boundary values: lifespans at their bounds, renewBefore just below duration, 5 keys', () => {
    const o = sample('authServerAuto');
    o.spec.tokenLifespans = { accessToken: '24h', refreshToken: '1h', authCode: '30s' };
    o.spec.tls.serverCert = { duration: '720h', renewBefore: '719h59m59s' };
    o.spec.signingKeys = Array.from({ length: 5 }, (_, i) => ({ secretRef: { name: `k${i}`, key: 'private.pem' }, algorithm: 'ES256' }));
    expect(validate(o).errors).toEqual([]);
  });

  it('accepts the same Secret with different keys as distinct signing keys', () => {
    const o = sample('authServerAuto');
    o.spec.signingKeys = [
      { secretRef: { name: 'keys', key: 'a.pem' }, algorithm: 'ES256' },
      { secretRef: { name: 'keys', key: 'b.pem' }, algorithm: 'ES256' },
    ];
    expect(validate(o).errors).toEqual([]);
  });

  it('accepts an audience equal to the normalized resourceUrl when resourceUrl is not normalized', () => {
    const o = sample('server');
    o.spec.oidcConfig.resourceUrl = 'https://GitHub-Tools.mcp.example.com:443/mcp/';
    o.spec.oidcConfig.inline.audience = 'https://github-tools.mcp.example.com/mcp';
    expect(validate(o).errors).toEqual([]);
  });
});

describe('validate: one problem per case, with path and rule', () => {
  it.each(RULE_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const o = sample(c.base);
    c.mutate(o);
    const { errors } = validate(o, { featureGates: c.gates });
    expect(errors.map((e) => ({ path: e.path, rule: e.rule }))).toEqual([{ path: c.path, rule: c.rule }]);
    expect(errors[0]?.message.length).toBeGreaterThan(5);
  });

  it('reports every problem at once', () => {
    const o = sample('authServerAuto');
    o.spec.issuer = 'http://a/';
    o.spec.replicas = 2;
    o.spec.port = 9443;
    o.spec.upstreamIdps[0].name = 'Bad_Name';
    o.spec.signingKeys = [];
    o.spec.tls.clientAuth.allowedSubjects.trustDomain = 'UPPER';
    o.spec.bogus = true;
    const rules = validate(o).errors.map((e) => `${e.path} ${e.rule}`).sort();
    expect(rules).toEqual(
      [
        'spec.bogus unknown-field',
        'spec.internalPort port-differs-from-internalPort',
        'spec.issuer pattern',
        'spec.replicas replicas-need-redis',
        'spec.signingKeys minItems',
        'spec.tls.clientAuth.allowedSubjects.trustDomain pattern',
        'spec.upstreamIdps[0].name pattern',
      ].sort(),
    );
  });

  it('words messages for people, as the webhook denial shows them', () => {
    const o = sample('authServerAuto');
    o.spec.replicas = 2;
    const [error] = validate(o).errors;
    expect(formatFieldError(error!)).toBe('spec.replicas: 2 replicas need storage.type redis; memory storage is per-pod (replicas-need-redis)');
    o.spec.replicas = 1;
    o.spec.issuer = 'https://auth.example.com/';
    expect(validate(o).errors[0]?.message).toBe('"https://auth.example.com/" must be an https URL without query, fragment or trailing slash');
  });
});

describe('validate: dispatch and input shape', () => {
  it('rejects an unknown kind on the kind field', () => {
    expect(validate({ apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPRemoteProxy', spec: {} }).errors).toEqual([
      { path: 'kind', rule: 'enum', message: '"MCPRemoteProxy" is not one of: MCPAuthServer, MCPExternalAuthConfig, MCPServer' },
    ]);
    expect(validate({ spec: {} }).errors[0]).toMatchObject({ path: 'kind', rule: 'enum' });
    expect(validate({ kind: 'toString' }).errors[0]).toMatchObject({ path: 'kind', rule: 'enum' });
  });

  it.each([null, 'text', 42, [1, 2]])('rejects a non-object %j', (input) => {
    expect(validate(input).errors).toEqual([{ path: '', rule: 'type', message: 'must be an object' }]);
  });

  it('does not modify its input', () => {
    const o = sample('authServerAuto');
    const before = structuredClone(o);
    validate(o);
    expect(o).toEqual(before);
  });

  it('compiles each schema once', () => {
    expect(schemaValidator('MCPServer')).toBe(schemaValidator('MCPServer'));
  });

  it('does not trust status from clients but validates its shape', () => {
    const o = sample('authServerAuto');
    o.status = { phase: 'Ready', conditions: [{ type: 'Ready', status: 'Maybe', reason: 'X', message: '', lastTransitionTime: 'yesterday' }] };
    const rules = validate(o).errors.map((e) => `${e.path} ${e.rule}`);
    expect(rules).toEqual(['status.conditions[0].status enum', 'status.conditions[0].lastTransitionTime format']);
  });
});

describe('validate: warnings', () => {
  it('warns when an upstream IdP is renamed on UPDATE', () => {
    const old = sample('authServerAuto');
    const next = sample('authServerAuto');
    next.spec.upstreamIdps[0].name = 'google-workspace';
    const { errors, warnings } = validate(next, { oldObject: old });
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^spec\.upstreamIdps: upstream IdP "google" was removed or renamed; tokens stored under it are orphaned/);
  });

  it('warns when the trust domain changes, including from the auto-mode default', () => {
    const old = sample('authServerAuto');
    delete old.spec.tls;
    const next = sample('authServerAuto');
    next.spec.tls.clientAuth.allowedSubjects.trustDomain = 'corp.example';
    expect(validate(next, { oldObject: old }).warnings).toEqual([
      'spec.tls.clientAuth.allowedSubjects.trustDomain: changed from toolhive.local to corp.example; every MCPServer client certificate must be reissued',
    ]);
    // Spelling out the default is no change.
    next.spec.tls.clientAuth.allowedSubjects.trustDomain = 'toolhive.local';
    expect(validate(next, { oldObject: old }).warnings).toEqual([]);
  });

  it('warns about several replicas on Redis without TLS', () => {
    const o = sample('authServerHa');
    o.spec.storage.redis.tls = false;
    delete o.spec.storage.redis.caBundle;
    const { errors, warnings } = validate(o);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/^spec\.storage\.redis\.tls: 3 replicas share Redis without TLS/)]);
    expect(validate(sample('authServerHa')).warnings).toEqual([]);
  });

  it('gives no warnings for an unchanged UPDATE', () => {
    for (const name of SAMPLE_NAMES) expect(validate(sample(name), { oldObject: sample(name) }).warnings).toEqual([]);
  });

  it('warns when an MCPExternalAuthConfig trust domain or an MCPServer resourceUrl changes', () => {
    const cfg = sample('extAuthRef');
    cfg.spec.authServer.clientCert.trustDomain = 'other.example';
    expect(validate(cfg, { oldObject: sample('extAuthRef') }).warnings).toEqual([expect.stringContaining('client certificate')]);
    const srv = sample('server');
    srv.spec.oidcConfig.resourceUrl = srv.spec.oidcConfig.inline.audience = 'https://new.example.com/mcp';
    expect(validate(srv, { oldObject: sample('server') }).warnings).toEqual([expect.stringContaining('re-authorize')]);
  });
});
