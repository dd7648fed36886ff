import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyDefaults } from './apply-defaults.ts';
import { validate } from './validate.ts';
import { sample, SAMPLE_NAMES } from './testdata/samples.ts';

describe('applyDefaults (spec §3 defaults)', () => {
  it('fills every MCPAuthServer default of a minimal auto-CA object', () => {
    const o = sample('authServerAuto');
    delete o.spec.tls;
    const d = applyDefaults(o);
    expect(d.spec).toMatchObject({
      replicas: 1,
      port: 8443,
      internalPort: 9443,
      publicService: { type: 'ClusterIP' },
      tokenLifespans: { accessToken: '1h', refreshToken: '168h', authCode: '10m' },
      tls: { serverCert: { duration: '8760h', renewBefore: '720h' }, clientAuth: { allowedSubjects: { trustDomain: 'toolhive.local' } } },
      storage: { type: 'memory' },
      networkPolicy: { enabled: true },
    });
    expect(d.spec.upstreamIdps[0].oidc.scopes).toEqual(['openid', 'profile', 'email']);
  });

  it('keeps explicit values and fills reference defaults (kind, group, CA bundle key)', () => {
    const o = sample('authServerEnterprise');
    delete o.spec.tls.serverCert.issuerRef.kind;
    delete o.spec.tls.clientAuth.caBundle.configMapRef.key;
    const d = applyDefaults(o);
    expect(d.spec.tls.serverCert).toEqual({
      issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      duration: '2160h',
      renewBefore: '360h',
    });
    expect(d.spec.tls.clientAuth.caBundle.configMapRef.key).toBe('ca.crt');
    expect(d.spec.tokenLifespans).toEqual({ accessToken: '30m', refreshToken: '168h', authCode: '5m' });
    expect(d.spec.upstreamIdps[0].oidc.scopes).toEqual(['openid', 'profile', 'email', 'offline_access']);
  });

  it('does not invent a trust domain in enterprise mode (it is required there)', () => {
    const o = sample('authServerEnterprise');
    delete o.spec.tls.clientAuth.allowedSubjects.trustDomain;
    const d = applyDefaults(o);
    expect(d.spec.tls.clientAuth.allowedSubjects.trustDomain).toBeUndefined();
    expect(validate(d).errors.map((e) => e.rule)).toEqual(['trustDomain-required']);
  });

  it('fills MCPServer defaults, including the JWKS URL from the issuer', () => {
    const d = applyDefaults(sample('server'));
    expect(d.spec).toMatchObject({ transport: 'streamable-http', port: 8080, proxyPort: 8000 });
    expect(d.spec.oidcConfig.inline.jwksUrl).toBe('https://auth.mcp.example.com/.well-known/jwks.json');
    expect(applyDefaults(sample('serverMinimal')).spec).toEqual({ image: 'ghcr.io/example/echo:1', transport: 'streamable-http', port: 8080, proxyPort: 8000 });
  });

  it("defaults authServerRef.namespace to the config's own namespace", () => {
    const o = sample('extAuthRef');
    delete o.spec.authServer.authServerRef.namespace;
    expect(applyDefaults(o).spec.authServer.authServerRef).toEqual({ name: 'mcp-auth', namespace: 'mcp-prod' });
    expect(applyDefaults(sample('extAuthRef')).spec.authServer.authServerRef.namespace).toBe('toolhive-system');
    delete o.metadata.namespace;
    expect(applyDefaults(o).spec.authServer.authServerRef).toEqual({ name: 'mcp-auth' });
  });

  it('fills the redis tls default only inside a redis block', () => {
    const o = sample('authServerHa');
    delete o.spec.storage.redis.tls;
    delete o.spec.storage.redis.caBundle;
    expect(applyDefaults(o).spec.storage.redis.tls).toBe(false);
    expect(applyDefaults(sample('authServerAuto')).spec.storage).toEqual({ type: 'memory' });
  });

  it.each(SAMPLE_NAMES)('is idempotent, copies, and keeps %s valid', (name) => {
    const o = sample(name);
    const before = structuredClone(o);
    const once = applyDefaults(o);
    expect(o).toEqual(before);
    expect(once).not.toBe(o);
    expect(applyDefaults(once)).toEqual(once);
    expect(validate(once).errors).toEqual([]);
  });

  it('is idempotent whatever optional MCPAuthServer fields are left out (property)', () => {
    const optional = ['replicas', 'port', 'internalPort', 'publicService', 'tokenLifespans', 'tls', 'storage', 'networkPolicy', 'resources'];
    fc.assert(
      fc.property(fc.subarray(optional), fc.constantFrom('authServerAuto', 'authServerEnterprise', 'authServerHa') as fc.Arbitrary<'authServerAuto'>, (drop, base) => {
        const o = sample(base);
        for (const key of drop) delete o.spec[key];
        const once = applyDefaults(o);
        expect(applyDefaults(once)).toEqual(once);
        expect(once.spec.port).toBe(o.spec.port ?? 8443);
      }),
      { numRuns: 100 },
    );
  });

  it('is idempotent when tls is null (the trust-domain default creates tls; its nested defaults follow in the same call)', () => {
    const o = sample('authServerAuto');
    o.spec.tls = null;
    const once = applyDefaults(o);
    expect(once.spec.tls.serverCert).toEqual({ duration: '8760h', renewBefore: '720h' });
    expect(applyDefaults(once)).toEqual(once);
  });

  it('returns other kinds as plain copies', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} };
    const out = applyDefaults(pod);
    expect(out).toEqual(pod);
    expect(out).not.toBe(pod);
  });
});
