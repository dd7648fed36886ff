/**
 * Client ID Metadata Documents fetched from a real HTTPS server on loopback (certificate from
 * src/pki). Loopback is exactly what the SSRF guard blocks, so the positive cases opt in with
 * allowPrivateAddresses and the negative ones show the guard resolving the name first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCA, issueServerCert } from '../../pki/index.ts';
import { createMetadataDocumentResolver, isPrivateAddress, MetadataDocumentError } from './client-id-metadata-document.ts';

let server: https.Server;
let origin: string;
let caPem: string;
let hits = 0;
const docs = new Map<string, { status?: number; body: string; hang?: boolean }>();

beforeAll(async () => {
  const ca = await createCA({ commonName: 'cimd test CA' });
  caPem = ca.certPem;
  const cert = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    hits++;
    const doc = docs.get(req.url ?? '');
    if (!doc) return void res.writeHead(404).end();
    if (doc.hang) return; // never answers
    res.writeHead(doc.status ?? 200, { 'content-type': 'application/json' }).end(doc.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  const good = (path: string) => JSON.stringify({ client_id: `${origin}${path}`, client_name: 'Inspector', redirect_uris: ['http://127.0.0.1:6274/oauth/callback'] });
  docs.set('/good.json', { body: good('/good.json') });
  docs.set('/mismatch.json', { body: JSON.stringify({ client_id: 'https://evil.example/client.json', redirect_uris: ['https://evil.example/cb'] }) });
  docs.set('/big.json', { body: JSON.stringify({ client_id: `${origin}/big.json`, redirect_uris: ['http://127.0.0.1/cb'], pad: 'x'.repeat(6000) }) });
  docs.set('/bad-uri.json', { body: JSON.stringify({ client_id: `${origin}/bad-uri.json`, redirect_uris: ['http://example.com/cb'] }) });
  docs.set('/slow.json', { body: '', hang: true });
  docs.set('/gone.json', { status: 410, body: '' });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const options = { fetchTimeoutMs: 300, maxBytes: 5120, cacheTtlMs: 60_000 };

describe('Client ID Metadata Documents', () => {
  it('fetches, validates and caches a document; redirect URIs come from it', async () => {
    const resolver = createMetadataDocumentResolver({ ...options, allowPrivateAddresses: true, ca: caPem });
    const before = hits;
    const client = await resolver.resolve(`${origin}/good.json`);
    expect(client).toMatchObject({ clientId: `${origin}/good.json`, clientName: 'Inspector', redirectUris: ['http://127.0.0.1:6274/oauth/callback'], tokenEndpointAuthMethod: 'none' });
    await resolver.resolve(`${origin}/good.json`);
    expect(hits - before).toBe(1);
    await resolver.close();
  });

  it.each([
    ['http:// client_id', (o: string) => o.replace('https:', 'http:') + '/good.json', 'not_https', /must use https/],
    ['name resolving to loopback (DNS checked, not just the name)', (o: string) => `${o}/good.json`, 'private_address', /private or loopback/],
    ['loopback IP literal', (o: string) => `${o.replace('localhost', '127.0.0.1')}/good.json`, 'private_address', /private or loopback/],
  ])('guard: %s', async (_name, url, code, message) => {
    const resolver = createMetadataDocumentResolver({ ...options, allowPrivateAddresses: false, ca: caPem });
    const err = await resolver.resolve(url(origin)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetadataDocumentError);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
    await resolver.close();
  });

  it.each([
    ['client_id different from its URL', '/mismatch.json', 'invalid_document', /client_id must equal its URL/],
    ['larger than 5 KB', '/big.json', 'too_large', /exceeds 5120 bytes/],
    ['bad redirect URI in the document', '/bad-uri.json', 'invalid_document', /redirect_uris\[0\] http is allowed only for loopback/],
    ['no answer within the time limit', '/slow.json', 'timeout', /not received within 300 ms/],
    ['HTTP error', '/gone.json', 'fetch_failed', /HTTP 410/],
  ])('rejects %s', async (_name, path, code, message) => {
    const resolver = createMetadataDocumentResolver({ ...options, allowPrivateAddresses: true, ca: caPem });
    const err = await resolver.resolve(`${origin}${path}`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
    await resolver.close();
  });

  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['::1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::127.0.0.1', true],
    ['64:ff9b::a9fe:a9fe', true], // NAT64 of 169.254.169.254 (cloud metadata)
    ['64:ff9b::10.0.0.1', true],
    ['64:ff9b:1::1', true],
    ['2002:a9fe:a9fe::1', true], // 6to4 of 169.254.169.254
    ['198.18.0.1', true],
    ['192.0.0.8', true],
    ['fec0::1', true],
    ['100::1', true],
    ['64:ff9b::5db8:d822', false], // NAT64 of a public address stays reachable
    ['2002:5db8:d822::1', false],
    ['93.184.216.34', false],
    ['2606:2800:220:1::1', false],
  ])('isPrivateAddress(%s) = %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});
