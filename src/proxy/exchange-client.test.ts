import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FileCertSource, createCA, issueClientCert, issueServerCert, writeBundle } from '../pki/index.ts';
import { cacheTtlMs, SAFETY_BUFFER_MS, EXCHANGE_MAX_CONNECTIONS, ExchangeClient, parseClientConfig } from './index.ts';
import { metadataLocation } from './index.ts';

describe('cacheTtlMs (spec §4.4, §7 item 7)', () => {
  const now = 1_000_000;
  it.each([
    ['1 h left → capped at 5 min', now + 3_600_000, 300_000],
    ['200 s left → 80 % = 160 s', now + 200_000, 160_000],
    ['100 s left → remaining − 30 s = 70 s', now + 100_000, 70_000],
    ['20 s left → 0 (not cached)', now + 20_000, 0],
    ['already expired → 0', now - 1, 0],
    ['unknown expiry → default', 0, 120_000],
  ])('%s', (_label, expiresAt, expected) => {
    expect(cacheTtlMs({ upstreamExpiresAtMs: expiresAt }, now, 120_000)).toBe(expected);
  });

  it('property: an entry never outlives 80 % of the life, 5 minutes, or expiry − 30 s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 * 86_400_000 }), (remaining) => {
        const ttl = cacheTtlMs({ upstreamExpiresAtMs: now + remaining }, now, 300_000);
        expect(ttl).toBeGreaterThanOrEqual(0);
        expect(ttl).toBeLessThanOrEqual(300_000);
        expect(ttl).toBeLessThanOrEqual(Math.max(0, remaining * 0.8));
        expect(ttl).toBeLessThanOrEqual(Math.max(0, remaining - SAFETY_BUFFER_MS));
      }),
    );
  });
});

describe('ExchangeClient connections to the auth server', () => {
  it(`answers a burst of concurrent cache misses over at most ${EXCHANGE_MAX_CONNECTIONS} connections`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'xclient-conns-'));
    const ca = await createCA({ commonName: 'test CA' });
    const server = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'] });
    const files = await writeBundle(dir, { ...(await issueClientCert(ca, { commonName: 'proxy', spiffeIds: ['spiffe://toolhive.local/ns/mcp/mcpserver/tools'] })), caPem: ca.certPem });
    let connections = 0;
    // A stand-in auth server that answers each exchange with a token naming the session it was for.
    const standIn = https.createServer({ cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        const subject = new URLSearchParams(body).get('subject_token');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `upstream-for-${subject}`, token_type: 'Bearer', expires_in: 3600 }));
      });
    });
    standIn.on('secureConnection', () => (connections += 1));
    await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
    const source = new FileCertSource(files);
    await source.start();
    const config = parseClientConfig(
      JSON.stringify({ url: `https://localhost:${(standIn.address() as AddressInfo).port}`, client_cert_path: files.certFile, client_key_path: files.keyFile, ca_bundle_path: files.caFile }),
    );
    const client = new ExchangeClient({ config, source });
    try {
      const sessions = Array.from({ length: 40 }, (_, i) => `session-${i}`);
      const answers = await Promise.all(sessions.map((s) => client.exchange(`jwt-${s}`, s)));
      expect(answers).toEqual(sessions.map((s) => ({ accessToken: `upstream-for-jwt-${s}`, cached: false })));
      expect(client.requests).toBe(sessions.length);
      expect(connections).toBeGreaterThan(0);
      expect(connections).toBeLessThanOrEqual(EXCHANGE_MAX_CONNECTIONS);
    } finally {
      await client.close();
      source.stop();
      standIn.closeAllConnections();
      standIn.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('metadataLocation (RFC 9728 §3.1)', () => {
  it('inserts the well-known segment before the resource path', () => {
    expect(metadataLocation('https://tools.example.com/mcp')).toEqual({
      url: 'https://tools.example.com/.well-known/oauth-protected-resource/mcp',
      paths: ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'],
    });
    expect(metadataLocation('https://tools.example.com')).toEqual({
      url: 'https://tools.example.com/.well-known/oauth-protected-resource',
      paths: ['/.well-known/oauth-protected-resource'],
    });
  });
});
