import { describe, expect, it } from 'vitest';
import { parseClientConfig } from './index.ts';

const base = {
  url: 'https://mcp-auth-internal.toolhive-system.svc.cluster.local',
  client_cert_path: '/etc/toolhive/authserver-mtls/tls.crt',
  client_key_path: '/etc/toolhive/authserver-mtls/tls.key',
  ca_bundle_path: '/etc/toolhive/authserver-ca/ca.crt',
};

describe('parseClientConfig (TOOLHIVE_AUTHSERVER_CONFIG, spec §4.3)', () => {
  it('parses the spec example with defaults', () => {
    expect(parseClientConfig(JSON.stringify({ ...base, upstream_idp: 'corp-okta', cache_default_ttl: '5m', cache_max_entries: 10000 }))).toEqual({
      url: base.url,
      clientCertPath: base.client_cert_path,
      clientKeyPath: base.client_key_path,
      caBundlePath: base.ca_bundle_path,
      upstreamIdp: 'corp-okta',
      cacheDefaultTtlMs: 300_000,
      cacheMaxEntries: 10_000,
    });
    expect(parseClientConfig(JSON.stringify(base))).toMatchObject({ cacheDefaultTtlMs: 300_000, cacheMaxEntries: 10_000 });
  });

  it('caps cache_default_ttl at 5 minutes (spec §7 item 7)', () => {
    expect(parseClientConfig(JSON.stringify({ ...base, cache_default_ttl: '1h' })).cacheDefaultTtlMs).toBe(300_000);
    expect(parseClientConfig(JSON.stringify({ ...base, cache_default_ttl: '90s' })).cacheDefaultTtlMs).toBe(90_000);
  });

  it.each([
    ['not JSON', '{', /is not valid JSON/],
    ['http url', JSON.stringify({ ...base, url: 'http://x' }), /TOOLHIVE_AUTHSERVER_CONFIG\.url must match/],
    ['missing cert path', JSON.stringify({ ...base, client_cert_path: undefined }), /must have required property 'client_cert_path'/],
    ['unknown field', JSON.stringify({ ...base, extra: 1 }), /additional properties \(extra\)/],
    ['bad ttl', JSON.stringify({ ...base, cache_default_ttl: '5 minutes' }), /cache_default_ttl must be a positive Go duration/],
    ['zero entries', JSON.stringify({ ...base, cache_max_entries: 0 }), /cache_max_entries must be >= 1/],
    ['uppercase idp', JSON.stringify({ ...base, upstream_idp: 'Okta' }), /upstream_idp must match/],
    ['url with query', JSON.stringify({ ...base, url: 'https://x/?a=1' }), /must not carry userinfo, query or fragment/],
  ])('rejects %s with a message naming the field', (_label, text, message) => {
    expect(() => parseClientConfig(text)).toThrow(message);
  });
});
