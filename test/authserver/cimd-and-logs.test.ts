import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { createCA, issueServerCert } from '../../src/pki/index.ts';
import { createAuditLogger, createLogger } from '../../src/telemetry/index.ts';
import { authorize, CLIENT_REDIRECT, registerClient, startStack, type Stack } from './harness.ts';

describe('Client ID Metadata Document as client_id, end to end', () => {
  let docServer: https.Server;
  let docUrl: string;
  let stack: Stack;

  beforeAll(async () => {
    const ca = await createCA({ commonName: 'cimd e2e CA' });
    const cert = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'] });
    docServer = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: docUrl, client_name: 'doc client', redirect_uris: [CLIENT_REDIRECT] }));
    });
    await new Promise<void>((r) => docServer.listen(0, '127.0.0.1', () => r()));
    docUrl = `https://localhost:${(docServer.address() as AddressInfo).port}/client.json`;
    // Loopback documents need the SSRF guard relaxed; production keeps it on (config default).
    stack = await startStack({
      config: { clientIdMetadataDocuments: { enabled: true, allowPrivateAddresses: true, fetchTimeoutMs: 5000, maxBytes: 5120, cacheTtlMs: 60_000 } },
      serverOptions: { metadataDocumentCa: ca.certPem },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    docServer?.closeAllConnections();
    await new Promise<void>((r) => docServer.close(() => r()));
  });

  it('authorizes, exchanges and refreshes with the document URL as client_id', async () => {
    const config = await client.discovery(new URL(stack.issuer), docUrl, { redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: 'none' }, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    expect(config.serverMetadata().client_id_metadata_document_supported).toBe(true);
    const { tokens } = await authorize(config);
    expect(decodeJwt(tokens.access_token).client_id).toBe(docUrl);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
  });

  it('a redirect_uri that the document does not list is refused without redirect', async () => {
    const params = new URLSearchParams({ response_type: 'code', client_id: docUrl, redirect_uri: 'http://127.0.0.1:1/other', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256', resource: 'https://x' });
    const r = await fetch(`${stack.issuer}/oauth/authorize?${params}`, { redirect: 'manual' });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/redirect_uri does not match/) });
  });
});

describe('logs never contain tokens, codes, secrets or raw tsid (spec §6.3)', () => {
  let lines: string[] = [];
  let stack: Stack;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger({ level: 'trace', destination: sink });
    stack = await startStack({ serverOptions: { logger, audit: createAuditLogger(logger) } });
  });
  afterAll(async () => stack?.stop());

  it('a full flow, refresh, replay and revoke log audit events with hashed identifiers only', async () => {
    lines = [];
    const mcp = await registerClient(stack.issuer);
    const { tokens, callback } = await authorize(mcp);
    const refreshed = await client.refreshTokenGrant(mcp, tokens.refresh_token!);
    await expect(client.refreshTokenGrant(mcp, tokens.refresh_token!)).rejects.toThrow();
    await client.tokenRevocation(mcp, refreshed.refresh_token!);
    const tsid = decodeJwt(tokens.access_token).tsid as string;

    const all = lines.join('\n');
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.audit);
    const names = events.map((e) => e.event);
    for (const name of ['client.register', 'authorize.start', 'authorize.callback', 'token.issue', 'refresh.replay_detected', 'token.revoke']) expect(names).toContain(name);
    const issue = events.find((e) => e.event === 'token.issue')!;
    expect(issue).toMatchObject({ outcome: 'success', grant_type: 'authorization_code', client_id: mcp.clientMetadata().client_id });
    expect(issue.tsid_hash).toMatch(/^[0-9a-f]{16}$/);
    expect(events.find((e) => e.event === 'refresh.replay_detected')).toMatchObject({ outcome: 'denied' });

    const secrets = [tokens.access_token, tokens.refresh_token!, refreshed.access_token, refreshed.refresh_token!, callback.searchParams.get('code')!, tsid];
    for (const s of secrets) expect(all).not.toContain(s);
    expect(all).not.toContain(stack.idp.clientSecret);
  });

  it('the logger redacts secret-named fields wherever a caller puts them', () => {
    const captured: string[] = [];
    const logger = createLogger({
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          captured.push(chunk.toString());
          done();
        },
      }),
    });
    logger.info({ code: 'c0de', params: { refresh_token: 'rt-secret', client_secret: 'cs' }, tsid: 'raw-tsid', client_id: 'visible' }, 'x');
    const out = captured.join('');
    for (const s of ['c0de', 'rt-secret', 'raw-tsid', '"cs"']) expect(out).not.toContain(s);
    expect(out).toContain('visible');
  });
});
