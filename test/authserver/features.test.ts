/**
 * Features beyond the single-IdP flow: several upstream IdPs chained (spec §2.5 step 8), a
 * path-based issuer (RFC 8414 §3.1 suffix metadata, endpoints under the path), confidential DCR
 * when enabled, and the common audit fields of spec §6.3 on public events.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { createAuthServer } from '../../src/authserver/index.ts';
import { createMemoryStore } from '../../src/store/index.ts';
import { createAuditLogger, createLogger } from '../../src/telemetry/index.ts';
import { startUpstreamIdp, type TestUpstreamIdp } from '../helpers/oidc-provider.ts';
import { authorize, listenLoopback, registerClient, startStack, testConfig, testEncryptionKeys, type Stack } from './harness.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('multi-IdP chain (spec §2.5 step 8)', () => {
  it('logs in at every configured IdP in order under one tsid, then issues the code', async () => {
    const listener = await listenLoopback();
    const idps: TestUpstreamIdp[] = [];
    for (let i = 0; i < 2; i++) idps.push(await startUpstreamIdp({ redirectUris: [`${listener.origin}/oauth/callback`] }));
    const store = createMemoryStore({ encryptionKeys: testEncryptionKeys(), sweepIntervalMs: 0 });
    const auth = await createAuthServer(testConfig(listener.origin, idps), store, { logger: createLogger({ level: 'silent' }) });
    listener.server.on('request', auth.publicApp);
    cleanups.push(async () => {
      await auth.close();
      await listener.close();
      for (const idp of idps) await idp.stop();
    });

    const mcp = await registerClient(listener.origin);
    // A different upstream subject at each IdP's login page.
    const { tokens } = await authorize(mcp, { account: (form) => (form.origin === idps[0]!.issuer ? 'alice-at-corp' : 'alice-at-github') });
    const tsid = decodeJwt(tokens.access_token).tsid as string;
    const rows = await store.upstreamTokens.getAll(tsid);
    expect(Object.keys(rows).sort()).toEqual(['corp', 'idp1']);
    expect(rows.corp!.upstreamSubject).toBe('alice-at-corp');
    expect(rows.idp1!.upstreamSubject).toBe('alice-at-github');
    // One internal user across the chain.
    expect(rows.corp!.userId).toBe(rows.idp1!.userId);
    expect(decodeJwt(tokens.access_token).sub).toBe(rows.corp!.userId);
  });
});

describe('path-based issuer', () => {
  let stack: Stack;
  it('serves metadata in the suffix and the appended form, and the whole flow under the path', async () => {
    const listener = await listenLoopback();
    stack = await startStack({ listener, issuer: `${listener.origin}/tenant-a` });
    cleanups.push(() => stack.stop());
    for (const path of ['/.well-known/oauth-authorization-server/tenant-a', '/tenant-a/.well-known/oauth-authorization-server', '/.well-known/openid-configuration/tenant-a', '/tenant-a/.well-known/openid-configuration']) {
      const r = await fetch(`${listener.origin}${path}`);
      expect(r.status).toBe(200);
      const body = (await r.json()) as Record<string, string>;
      expect(body.issuer).toBe(stack.issuer);
      expect(body.token_endpoint).toBe(`${stack.issuer}/oauth/token`);
    }
    expect((await fetch(`${listener.origin}/tenant-a/internal/token-exchange`, { method: 'POST' })).status).toBe(404);
    const mcp = await registerClient(stack.issuer);
    const { tokens } = await authorize(mcp);
    expect(decodeJwt(tokens.access_token).iss).toBe(stack.issuer);
  });
});

describe('confidential clients (dcr.allow_confidential)', () => {
  it('registers with client_secret_basic, must authenticate at the token endpoint', async () => {
    const stack = await startStack({ config: { dcr: { ratePerSecond: 100, burst: 100, allowConfidential: true } } });
    cleanups.push(() => stack.stop());
    const meta = (await (await fetch(`${stack.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(meta.token_endpoint_auth_methods_supported).toEqual(['none', 'client_secret_basic', 'client_secret_post']);
    const reg = await fetch(`${stack.issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:33418/callback'], token_endpoint_auth_method: 'client_secret_basic' }),
    });
    expect(reg.status).toBe(201);
    const { client_id, client_secret, client_secret_expires_at } = (await reg.json()) as Record<string, string | number>;
    expect(client_secret_expires_at).toBe(0);
    const config = await client.discovery(new URL(stack.issuer), client_id as string, { redirect_uris: ['http://127.0.0.1:33418/callback'] }, client.ClientSecretBasic(client_secret as string), {
      execute: [client.allowInsecureRequests],
    });
    const { tokens } = await authorize(config);
    expect(tokens.access_token).toBeTruthy();
    const wrong = await client.discovery(new URL(stack.issuer), client_id as string, {}, client.ClientSecretBasic('wrong'), { execute: [client.allowInsecureRequests] });
    await expect(client.refreshTokenGrant(wrong, tokens.refresh_token!)).rejects.toMatchObject({ status: 401 });
  });
});

describe('audit events carry the common fields of spec §6.3', () => {
  it('request_id, remote_addr, listener and latency_ms on public events', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
          done();
        },
      }),
    });
    const stack = await startStack({ serverOptions: { logger, audit: createAuditLogger(logger) } });
    cleanups.push(() => stack.stop());
    const mcp = await registerClient(stack.issuer);
    await authorize(mcp);
    const issue = lines.find((l) => l.event === 'token.issue')!;
    expect(issue).toMatchObject({ audit: true, outcome: 'success', listener: 'public', remote_addr: '127.0.0.1' });
    expect(issue.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    expect(typeof issue.latency_ms).toBe('number');
    expect(typeof issue.ts).toBe('string');
    const requestIds = new Set(lines.filter((l) => l.audit).map((l) => l.request_id));
    expect(requestIds.size).toBeGreaterThanOrEqual(3); // register, authorize, callback, token: one id each
  });
});
