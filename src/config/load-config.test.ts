import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError, loadConfig, parseDurationMs, resolveConfig } from './index.ts';

let dir: string;
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
let base: Record<string, unknown>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'config-test-'));
  base = {
    schema_version: 'v1',
    issuer: 'https://auth.mcp.example.com',
    signing_keys: [{ file: file('key.pem', 'PEM'), algorithm: 'ES256' }],
    upstreams: [{ name: 'corp-okta', type: 'oidc', issuer_url: 'https://example.okta.com', client_id: 'c', client_secret_file: file('secret', 's3cret\n') }],
    resource_map_file: '/etc/toolhive/resource-map/resources.json',
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = { onWarning: () => undefined };

describe('loadConfig', () => {
  it('resolves the spec §4.1 example shape with the defaults table', () => {
    const config = loadConfig(file('ok.json', JSON.stringify(base)), quiet);
    expect(config).toMatchObject({
      issuer: 'https://auth.mcp.example.com',
      publicListenAddr: ':8443',
      internalListenAddr: ':9443',
      publicTls: false, // no tls block → plain HTTP public listener
      tokenLifespans: { accessTokenSeconds: 3600, refreshTokenSeconds: 168 * 3600, authCodeSeconds: 600 },
      upstreamTimeoutMs: 10_000,
      storage: { type: 'memory' },
      dcr: { ratePerSecond: 1, burst: 5, allowConfidential: false, maxClients: 100_000 },
      clientIdMetadataDocuments: { enabled: true, allowPrivateAddresses: false, fetchTimeoutMs: 5000, maxBytes: 5120 },
    });
    expect(config.upstreams[0]).toMatchObject({ clientSecret: 's3cret', redirectUri: 'https://auth.mcp.example.com/oauth/callback', scopes: ['openid', 'profile', 'email'] });
    expect(config.signingKeys[0]).toMatchObject({ pem: 'PEM', algorithm: 'ES256' });
  });

  it('tls block: HTTPS public unless public_tls false; redis with keys and a hash-tagged prefix', () => {
    const key = file('enc.key', Buffer.alloc(32, 1).toString('base64'));
    const config = loadConfig(
      file(
        'redis.json',
        JSON.stringify({
          ...base,
          tls: { cert_file: '/c', key_file: '/k', client_ca_file: '/ca' },
          storage: { type: 'redis', redis: { address: 'redis:6379', tls: true, password_file: file('pw', 'p@ss\n') }, encryption_keys: [{ id: 'k2', file: key }, { id: 'k1', file: file('raw.key', Buffer.alloc(32, 2)) }] },
        }),
      ),
      quiet,
    );
    expect(config.publicTls).toBe(true);
    expect(config.tls).toMatchObject({ minVersion: 'TLSv1.2', clientCaFile: '/ca' });
    expect(config.storage).toMatchObject({ type: 'redis', redis: { url: 'rediss://:p%40ss@redis:6379', keyPrefix: 'thv:auth:{default}:', commandTimeoutMs: 250 } });
    expect(config.encryptionKeys?.activeKeyId).toBe('k2');
    expect(config.encryptionKeys?.keys.k1).toEqual(Buffer.alloc(32, 2));
  });

  const invalid: Array<[string, (c: Record<string, unknown>) => Record<string, unknown>, RegExp]> = [
    ['missing issuer', ({ issuer: _i, ...c }) => c, /: issuer: is required$/],
    ['http issuer on a public host', (c) => ({ ...c, issuer: 'http://auth.example.com' }), /: issuer: must use https \(http is allowed only on a loopback host\)$/],
    ['issuer with trailing slash', (c) => ({ ...c, issuer: 'https://auth.example.com/' }), /: issuer: has an invalid format/],
    ['unknown field', (c) => ({ ...c, isuer: 'x' }), /: isuer: is not a known field$/],
    ['bad algorithm', (c) => ({ ...c, signing_keys: [{ file: '/k', algorithm: 'HS256' }] }), /: signing_keys\[0\]\.algorithm: must be one of "RS256"/],
    ['six signing keys', (c) => ({ ...c, signing_keys: Array(6).fill({ file: '/k', algorithm: 'ES256' }) }), /: signing_keys: must NOT have more than 5 items$/],
    ['unreadable key file', (c) => ({ ...c, signing_keys: [{ file: '/nonexistent/key.pem', algorithm: 'ES256' }] }), /: signing_keys\[0\]\.file: cannot read \/nonexistent\/key\.pem: ENOENT$/],
    ['duplicate upstream names', (c) => ({ ...c, upstreams: [(c.upstreams as unknown[])[0], (c.upstreams as unknown[])[0]] }), /: upstreams\[1\]\.name: "corp-okta" is used twice/],
    ['uppercase upstream name', (c) => ({ ...c, upstreams: [{ ...(c.upstreams as object[])[0], name: 'Okta' }] }), /: upstreams\[0\]\.name: has an invalid format/],
    ['http upstream issuer not on loopback', (c) => ({ ...c, upstreams: [{ ...(c.upstreams as object[])[0], issuer_url: 'http://idp.example.com' }] }), /: upstreams\[0\]\.issuer_url: must use https/],
    ['scopes without openid', (c) => ({ ...c, upstreams: [{ ...(c.upstreams as object[])[0], scopes: ['email'] }] }), /: upstreams\[0\]\.scopes: must contain "openid"$/],
    ['redirect_uri not our callback', (c) => ({ ...c, upstreams: [{ ...(c.upstreams as object[])[0], redirect_uri: 'https://x.example/cb' }] }), /: upstreams\[0\]\.redirect_uri: must be https:\/\/auth\.mcp\.example\.com\/oauth\/callback/],
    ['not a duration', (c) => ({ ...c, token_lifespans: { access_token: '10' } }), /: token_lifespans\.access_token: has an invalid format/],
    ['access token lifespan out of bounds', (c) => ({ ...c, token_lifespans: { access_token: '25h' } }), /: token_lifespans\.access_token: must be between 60s and 86400s, got 25h$/],
    ['auth code lifespan too short', (c) => ({ ...c, token_lifespans: { auth_code: '10s' } }), /: token_lifespans\.auth_code: must be between 30s and 600s/],
    ['redis without redis block', (c) => ({ ...c, storage: { type: 'redis' } }), /: storage\.redis: is required when storage\.type is redis$/],
    ['redis without encryption keys', (c) => ({ ...c, storage: { type: 'redis', redis: { address: 'r:6379' } } }), /: storage\.encryption_keys: is required with redis storage/],
    ['redis prefix without hash tag', (c) => ({ ...c, storage: { type: 'redis', redis: { address: 'r:6379', key_prefix: 'thv:' } } }), /: storage\.redis\.key_prefix: has an invalid format/],
    ['redis command timeout over 250ms', (c) => ({ ...c, storage: { type: 'redis', redis: { address: 'r:6379', command_timeout: '1s' }, encryption_keys: [{ id: 'a', file: '/x' }] } }), /: storage\.redis\.command_timeout: must be between 1ms and 250ms$/],
    ['listen address without port', (c) => ({ ...c, public_listen_addr: '0.0.0.0' }), /: public_listen_addr: has an invalid format/],
  ];
  it.each(invalid)('%s → one line naming the field', (_name, mutate, message) => {
    let thrown: unknown;
    try {
      loadConfig(file('bad.json', JSON.stringify(mutate(structuredClone(base)))), quiet);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toMatch(/^config .*bad\.json: /);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
  });

  it('encryption key of the wrong size is refused', () => {
    const key = file('short.key', 'abc');
    expect(() => loadConfig(file('enc.json', JSON.stringify({ ...base, storage: { type: 'memory', encryption_keys: [{ id: 'a', file: key }] } })), quiet)).toThrow(
      /storage\.encryption_keys\[0\]\.file: .* must hold a 32-byte key/,
    );
  });

  it('missing file and invalid JSON are one-line errors', () => {
    expect(() => loadConfig(join(dir, 'nope.json'))).toThrow(/^config .*nope\.json: cannot read: ENOENT$/);
    expect(() => loadConfig(file('broken.json', '{'))).toThrow(/^config .*broken\.json: not valid JSON: /);
  });

  it('warns (mustChange) about unsafe settings: loopback http issuer, no encryption keys, CIMD private addresses', () => {
    const onWarning = vi.fn();
    resolveConfig(
      { ...base, issuer: 'http://127.0.0.1:8080', upstreams: [{ ...(base.upstreams as object[])[0], issuer_url: 'http://localhost:9000' }], client_id_metadata_documents: { allow_private_addresses: true } },
      { onWarning },
    );
    const messages = onWarning.mock.calls.map((c) => c[0] as string).join('\n');
    expect(messages).toMatch(/issuer http:\/\/127\.0\.0\.1:8080 uses plain http/);
    expect(messages).toMatch(/upstream corp-okta issuer http:\/\/localhost:9000 uses plain http/);
    expect(messages).toMatch(/encryption_keys not set/);
    expect(messages).toMatch(/allow_private_addresses is on/);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5s', 1500],
    ['168h', 604_800_000],
    ['10', null],
    ['1d', null],
    ['', null],
  ])('%s → %s', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it('sums its parts (property)', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(59), fc.nat(59), (h, m, s) => {
        expect(parseDurationMs(`${h}h${m}m${s}s`)).toBe(((h * 60 + m) * 60 + s) * 1000);
      }),
    );
  });
});
