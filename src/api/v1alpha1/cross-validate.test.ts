import { describe, expect, it } from 'vitest';
import { crossValidate } from './cross-validate.ts';
import { sample } from './testdata/samples.ts';

// The spec §3 set: MCPAuthServer mcp-auth (enterprise), its client config and the MCPServer.
const set = () => [sample('authServerEnterprise'), sample('extAuthRef'), sample('server')];

describe('crossValidate (a set of manifests)', () => {
  it('accepts the consistent spec §3 set', () => {
    expect(crossValidate(set())).toEqual([]);
  });

  it('reports an MCPServer whose issuer is not its MCPAuthServer issuer', () => {
    const objects = set();
    objects[2].spec.oidcConfig.inline.issuer = 'https://other.example.com';
    expect(crossValidate(objects)).toEqual([
      {
        index: 2,
        path: 'spec.oidcConfig.inline.issuer',
        rule: 'issuer-matches-authserver',
        message: '"https://other.example.com" must equal the issuer "https://auth.mcp.example.com" of MCPAuthServer toolhive-system/mcp-auth',
      },
    ]);
  });

  it('resolves an RFC-style url to {name}-internal.{ns}', () => {
    const as = sample('authServerAuto');
    const cfg = sample('extAuthUrl');
    cfg.metadata.namespace = 'mcp-prod';
    cfg.metadata.name = 'corp-authserver-client';
    const srv = sample('server');
    srv.spec.oidcConfig.inline.issuer = 'https://wrong.example.com';
    expect(crossValidate([as, cfg, srv]).map((e) => e.rule)).toEqual(['issuer-matches-authserver']);
    cfg.spec.authServer.url = 'https://elsewhere.example.com';
    expect(crossValidate([as, cfg, srv])).toEqual([]);
  });

  it('reports an unknown upstream IdP and a trust-domain mismatch on the config', () => {
    const objects = set();
    objects[1].spec.authServer.upstreamIdp = 'google';
    objects[1].spec.authServer.clientCert.trustDomain = 'toolhive.local';
    expect(crossValidate(objects).map((e) => `${e.index} ${e.path} ${e.rule}`)).toEqual([
      '1 spec.authServer.upstreamIdp upstreamIdp-exists',
      '1 spec.authServer.clientCert.trustDomain trustDomain-matches-authserver',
    ]);
  });

  it('requires oidcConfig on an MCPServer using an authServer config', () => {
    const objects = set();
    delete objects[2].spec.oidcConfig;
    expect(crossValidate(objects)).toEqual([expect.objectContaining({ index: 2, path: 'spec.oidcConfig', rule: 'oidcConfig-required-for-authServer' })]);
  });

  it('follows nothing across namespaces it was not told about, nor through ambiguous names', () => {
    const objects = set();
    objects[2].spec.oidcConfig.inline.issuer = 'https://other.example.com';
    objects[2].metadata.namespace = 'elsewhere';
    expect(crossValidate(objects)).toEqual([]);
    const dup = set();
    dup[2].spec.oidcConfig.inline.issuer = 'https://other.example.com';
    const second = sample('authServerEnterprise');
    second.spec.issuer = 'https://other.example.com';
    expect(crossValidate([...dup, second])).toEqual([]);
  });

  it('ignores non-objects and other kinds', () => {
    expect(crossValidate([null, 'x', { kind: 'Pod', metadata: { name: 'p' }, spec: {} }])).toEqual([]);
  });
});
