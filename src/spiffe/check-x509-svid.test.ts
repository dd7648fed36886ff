import { describe, expect, it, beforeAll } from 'vitest';
import { createCA, issueClientCert, issueServerCert, type CertBundle } from '../pki/index.ts';
import { checkX509Svid, checkSubjectPolicy, SpiffeError, type SpiffeErrorCode } from './index.ts';

let ca: CertBundle;
beforeAll(async () => {
  ca = await createCA({ commonName: 'ca' });
});

const ID = 'spiffe://td/ns/tools/mcpserver/github';

function codeOf(pem: string): SpiffeErrorCode | 'ok' {
  try {
    checkX509Svid(pem);
    return 'ok';
  } catch (err) {
    if (err instanceof SpiffeError) return err.code;
    throw err;
  }
}

describe('checkX509Svid', () => {
  it('returns the identity and audit fields of a valid SVID', async () => {
    const svid = await issueClientCert(ca, { commonName: 'github', spiffeIds: [ID] });
    const identity = checkX509Svid(svid.certPem);
    expect(identity).toMatchObject({ id: ID, trustDomain: 'td', namespace: 'tools', name: 'github', certCn: 'github' });
    expect(identity.certSerial).toMatch(/^[0-9a-f]+$/);
    expect(identity.certNotAfterMs).toBeGreaterThan(Date.now());
  });

  it.each<[string, () => Promise<CertBundle>, SpiffeErrorCode]>([
    ['zero URI SANs', () => issueClientCert(ca, { commonName: 'x' }), 'uri_san_count'],
    ['two spiffe URI SANs', () => issueClientCert(ca, { commonName: 'x', spiffeIds: [ID, 'spiffe://td/ns/tools/mcpserver/other'] }), 'uri_san_count'],
    ['a https URI SAN', () => issueClientCert(ca, { commonName: 'x', spiffeIds: ['https://td/ns/a/mcpserver/b'] }), 'not_spiffe'],
    ['a CA leaf', () => issueClientCert(ca, { commonName: 'x', spiffeIds: [ID], isCA: true }), 'leaf_is_ca'],
    ['keyCertSign usage', () => issueClientCert(ca, { commonName: 'x', spiffeIds: [ID], keyUsages: ['digitalSignature', 'keyCertSign'] }), 'ca_key_usage'],
    ['cRLSign usage', () => issueClientCert(ca, { commonName: 'x', spiffeIds: [ID], keyUsages: ['digitalSignature', 'cRLSign'] }), 'ca_key_usage'],
    ['no EKU', () => issueClientCert(ca, { commonName: 'x', spiffeIds: [ID], extKeyUsages: [] }), 'no_client_auth_eku'],
    ['serverAuth only', () => issueClientCert(ca, { commonName: 'x', spiffeIds: [ID], extKeyUsages: ['serverAuth'] }), 'no_client_auth_eku'],
    ['the server cert', () => issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'] }), 'uri_san_count'],
    ['an uppercase trust domain', () => issueClientCert(ca, { commonName: 'x', spiffeIds: ['spiffe://TD/ns/tools/mcpserver/github'] }), 'bad_trust_domain'],
  ])('rejects %s', async (_label, make, code) => {
    expect(codeOf((await make()).certPem)).toBe(code);
  });

  it('rejects garbage bytes as bad_certificate', () => {
    expect(codeOf('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toBe('bad_certificate');
  });
});

describe('checkSubjectPolicy', () => {
  const identity = { id: ID, trustDomain: 'td', namespace: 'tools', name: 'github' };
  it.each([
    [{ trustDomain: 'td' }, null],
    [{ trustDomain: 'other.domain' }, 'trust_domain_mismatch'],
    [{ trustDomain: 'td', allowedNamespaces: ['tools', 'x'] }, null],
    [{ trustDomain: 'td', allowedNamespaces: ['x'] }, 'namespace_not_allowed'],
    [{ trustDomain: 'td', allowedNames: ['github'] }, null],
    [{ trustDomain: 'td', allowedNames: ['gitlab'] }, 'name_not_allowed'],
    [{ trustDomain: 'td', allowedServers: [{ namespace: 'tools', name: 'github' }] }, null],
    [{ trustDomain: 'td', allowedServers: [{ namespace: 'tools', name: 'gitlab' }, { namespace: 'x', name: 'github' }] }, 'server_not_allowed'],
    [{ trustDomain: 'td', allowedNamespaces: [], allowedNames: [], allowedServers: [] }, null],
    [{ trustDomain: 'td', allowedNamespaces: ['tools'], allowedNames: ['gitlab'] }, 'name_not_allowed'],
  ])('policy %j → %s', (policy, expected) => {
    expect(checkSubjectPolicy(identity, policy)).toBe(expected);
  });
});
