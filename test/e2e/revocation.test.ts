/**
 * Revocation end to end on the local stack: after /oauth/revoke the proxy refuses the session
 * once its cache entry can have expired (≤ 5 minutes, spec §7.7; the proxy's clock is moved
 * forward, nobody waits), and a replayed refresh token revokes the whole family.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'openid-client';
import { startLocalStack, type LocalStack } from '../../src/dev/local-stack.ts';
import { completeLogin } from '../../src/dev/headless-login.ts';
import { MAX_CACHE_TTL_MS } from '../../src/proxy/index.ts';

const REDIRECT = 'http://127.0.0.1:1/cb';
const proxyClock = { skewMs: 0 };
let stateDir: string;
let stack: LocalStack;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'revocation-'));
  stack = await startLocalStack({
    stateDir,
    ports: { idp: 0, auth: 0, internal: 0, proxy: 0, mcp: 0 },
    logLevel: 'silent',
    proxyNow: () => Date.now() + proxyClock.skewMs,
  });
});
afterAll(async () => {
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

async function login(username: string): Promise<{ config: oauth.Configuration; tokens: { access_token: string; refresh_token?: string } }> {
  const config = await oauth.dynamicClientRegistration(
    new URL(stack.issuer),
    { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] },
    oauth.None(),
    { execute: [oauth.allowInsecureRequests] },
  );
  const verifier = oauth.randomPKCECodeVerifier();
  const url = oauth.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    resource: stack.mcpUrl,
  });
  const callback = await completeLogin(url, { username, isDone: (u) => u.href.startsWith(REDIRECT) });
  const tokens = await oauth.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier }, { resource: stack.mcpUrl });
  return { config, tokens };
}

/** An MCP initialize request through the proxy with a bearer token; returns status and challenge. */
async function mcpInitialize(accessToken: string): Promise<{ status: number; challenge: string }> {
  const res = await fetch(stack.mcpUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'revocation-test', version: '1' } } }),
  });
  await res.body?.cancel();
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '' };
}

describe('revocation end to end', () => {
  it('after /oauth/revoke the proxy refuses the session within the cache TTL bound', async () => {
    const { config, tokens } = await login('bob');
    expect((await mcpInitialize(tokens.access_token)).status).toBe(200); // exchange done, upstream token cached

    await oauth.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });

    // Past the longest cache life the proxy must ask the auth server again, which refuses.
    proxyClock.skewMs = MAX_CACHE_TTL_MS + 1_000;
    try {
      const refused = await mcpInitialize(tokens.access_token);
      expect(refused.status).toBe(401);
      expect(refused.challenge).toContain('error="invalid_token"');
      expect(refused.challenge).toContain('resource_metadata="http://');
    } finally {
      proxyClock.skewMs = 0;
    }
  });

  it('a replayed refresh token revokes the whole family: the rotated token and the session die too', async () => {
    const { config, tokens } = await login('carol');
    const first = tokens.refresh_token!;
    const rotated = await oauth.refreshTokenGrant(config, first, { resource: stack.mcpUrl });
    expect(rotated.refresh_token).toBeTruthy();
    expect((await mcpInitialize(rotated.access_token)).status).toBe(200);

    await expect(oauth.refreshTokenGrant(config, first, { resource: stack.mcpUrl })).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oauth.refreshTokenGrant(config, rotated.refresh_token!, { resource: stack.mcpUrl })).rejects.toMatchObject({ error: 'invalid_grant' });

    proxyClock.skewMs = MAX_CACHE_TTL_MS + 1_000;
    try {
      expect((await mcpInitialize(rotated.access_token)).status).toBe(401);
    } finally {
      proxyClock.skewMs = 0;
    }
  });
});
