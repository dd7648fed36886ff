import { X509Certificate, createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { x509 } from './lib/x509.ts';
import { createCA, issueClientCert, issueServerCert } from './index.ts';

function ext<T extends x509.Extension>(pem: string, type: new (raw: BufferSource) => T): T | null {
  return new x509.X509Certificate(pem).getExtension(type);
}

describe('createCA / issueServerCert / issueClientCert', () => {
  it('creates a self-signed ECDSA P-256 CA with keyCertSign and CA:true', async () => {
    const ca = await createCA({ commonName: 'test CA' });
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(ext(ca.certPem, x509.KeyUsagesExtension)!.usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    expect(ca.caPem).toBeUndefined();
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
  });

  it('issues a server cert chained to the CA, serverAuth only, with DNS and IP SANs', async () => {
    const ca = await createCA({ commonName: 'test CA' });
    const server = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const cert = new X509Certificate(server.certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(server.caPem?.trim()).toBe(ca.certPem.trim());
  });

  it('issues a client SVID with one spiffe URI SAN, clientAuth EKU and digitalSignature', async () => {
    const ca = await createCA({ commonName: 'test CA' });
    const id = 'spiffe://cluster.local/ns/tools/mcpserver/github';
    const client = await issueClientCert(ca, { commonName: 'github', spiffeIds: [id] });
    const cert = new X509Certificate(client.certPem);
    expect(cert.subjectAltName).toBe(`URI:${id}`);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.ca).toBe(false);
    expect(ext(client.certPem, x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.digitalSignature);
  });

  it('builds the rule-breaking certificates negative tests need', async () => {
    const ca = await createCA({ commonName: 'test CA' });
    const two = await issueClientCert(ca, { commonName: 'x', spiffeIds: ['spiffe://a/ns/a/mcpserver/b', 'spiffe://a/ns/a/mcpserver/c'] });
    expect(ext(two.certPem, x509.SubjectAlternativeNameExtension)!.names.items).toHaveLength(2);
    const none = await issueClientCert(ca, { commonName: 'x' });
    expect(ext(none.certPem, x509.SubjectAlternativeNameExtension)).toBeNull();
    const noEku = await issueClientCert(ca, { commonName: 'x', extKeyUsages: [] });
    expect(new X509Certificate(noEku.certPem).keyUsage).toBeUndefined();
    const caLeaf = await issueClientCert(ca, { commonName: 'x', isCA: true, keyUsages: ['digitalSignature', 'keyCertSign'] });
    expect(new X509Certificate(caLeaf.certPem).ca).toBe(true);
    expect(ext(caLeaf.certPem, x509.KeyUsagesExtension)!.usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    const expired = await issueClientCert(ca, {
      commonName: 'x',
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2020-01-02T00:00:00Z'),
    });
    expect(Date.parse(new X509Certificate(expired.certPem).validTo)).toBe(Date.parse('2020-01-02T00:00:00Z'));
  });

  it('chains through an intermediate CA (enterprise issuerRef shape) and supports RSA', async () => {
    const root = await createCA({ commonName: 'root', keyAlgorithm: 'RSA-2048' });
    const inter = await createCA({ commonName: 'intermediate', parent: root });
    const leaf = await issueClientCert(inter, { commonName: 'leaf', spiffeIds: ['spiffe://td/ns/a/mcpserver/b'] });
    expect(new X509Certificate(inter.certPem).verify(new X509Certificate(root.certPem).publicKey)).toBe(true);
    expect(new X509Certificate(leaf.certPem).verify(new X509Certificate(inter.certPem).publicKey)).toBe(true);
    expect(leaf.caPem).toContain(inter.certPem.trim());
    expect(leaf.caPem).toContain(root.certPem.trim());
  });
});
