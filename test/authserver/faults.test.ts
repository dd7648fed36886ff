/**
 * Faults with real parts: a real redis-server stopped (crash-like) and hung (SIGSTOP), and a real
 * upstream IdP made slow or taken down. Requests must fail closed with a clear error, never hang,
 * and service must resume without losing what was acknowledged before the fault.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type AuthStore } from '../../src/store/index.ts';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { startUpstreamIdp, type TestUpstreamIdp } from '../helpers/oidc-provider.ts';
import { UpstreamError } from '../../src/authserver/index.ts';
import { completeLogin } from '../../src/dev/headless-login.ts';
import { authorize, authorizeRequestUrl, listenLoopback, postForm, registerClient, startStack, testEncryptionKeys, type Stack } from './harness.ts';

const CHALLENGE = 'a'.repeat(43);

async function until(check: () => Promise<boolean>, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function authorizeUrl(issuer: string, clientId: string): string {
  return authorizeRequestUrl(issuer, clientId, CHALLENGE);
}

describe('Redis outage', () => {
  let redis: RedisServerHandle;
  let store: AuthStore;
  let stack: Stack;

  beforeAll(async () => {
    redis = await startRedisServer();
    store = await createRedisStore({ url: redis.url, keyPrefix: 'thv:auth:{mcp-prod:auth}:', commandTimeoutMs: 250, encryptionKeys: testEncryptionKeys() });
    stack = await startStack({ store });
  });
  afterAll(async () => {
    await stack?.stop();
    await store?.close();
    await redis?.stop({ keepData: false });
  });

  const expectFailClosed = async (clientId: string, refreshToken: string) => {
    const token = await postForm(`${stack.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
    expect(token.status).toBe(503);
    expect(token.json).toEqual({ error: 'temporarily_unavailable', error_description: 'storage is temporarily unavailable, retry later' });
    expect(token.headers.get('retry-after')).toBe('1');
    const authz = await fetch(authorizeUrl(stack.issuer, clientId), { redirect: 'manual' });
    expect(authz.status).toBe(503);
    expect(authz.headers.get('location')).toBeNull();
    expect(await authz.json()).toMatchObject({ error: 'temporarily_unavailable' });
    const ready = await fetch(`${stack.issuer}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { storage: false } });
  };

  /** Retries 503s for at most 5 s (the recovery bound), returning the first other answer. */
  const refreshOnceRecovered = async (clientId: string, refreshToken: string) => {
    let last: Awaited<ReturnType<typeof postForm>> | undefined;
    await until(async () => {
      last = await postForm(`${stack.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
      return last.status !== 503;
    }, 5000);
    return last!;
  };

  it('stopped Redis: 503 + OAuth body, readyz false; after restart service resumes within 5 s and earlier tokens still work', async () => {
    const mcp = await registerClient(stack.issuer);
    const clientId = mcp.clientMetadata().client_id;
    const { tokens } = await authorize(mcp);

    await redis.stop();
    await expectFailClosed(clientId, tokens.refresh_token!);

    await redis.restart();
    // The refresh attempted during the outage consumed nothing: the token still rotates once.
    // A client retries a 503 (Retry-After); a half-written rotation would show up as a replay here.
    const after = await refreshOnceRecovered(clientId, tokens.refresh_token!);
    expect(after.status).toBe(200);
    expect(after.json.refresh_token).toBeTruthy();
    expect((await fetch(`${stack.issuer}/readyz`)).status).toBe(200);
  });

  it('hung Redis (SIGSTOP): requests fail closed at the command timeout instead of hanging; resume on SIGCONT', async () => {
    const mcp = await registerClient(stack.issuer);
    const clientId = mcp.clientMetadata().client_id;
    const { tokens } = await authorize(mcp);

    redis.hang();
    try {
      await expectFailClosed(clientId, tokens.refresh_token!);
    } finally {
      redis.resume();
    }
    const after = await refreshOnceRecovered(clientId, tokens.refresh_token!);
    expect(after.status).toBe(200);
    expect((await fetch(`${stack.issuer}/readyz`)).status).toBe(200);
  });
});

describe('upstream IdP slow or down', () => {
  let idp: TestUpstreamIdp;
  let stack: Stack;
  let clientId: string;

  beforeAll(async () => {
    const listener = await listenLoopback();
    idp = await startUpstreamIdp({ redirectUris: [`${listener.origin}/oauth/callback`] });
    // The 10 s bound is configuration; the test uses 500 ms so it stays fast.
    stack = await startStack({ listener, idp, config: { upstreamTimeoutMs: 500 } });
    clientId = (await registerClient(stack.issuer)).clientMetadata().client_id;
  });
  afterAll(async () => {
    await stack?.stop();
    await idp?.stop();
  });

  const loginToCallback = async () => {
    const r = await fetch(authorizeUrl(stack.issuer, clientId), { redirect: 'manual' });
    expect(r.status).toBe(302);
    return completeLogin(r.headers.get('location')!, { username: 'alice', isDone: (u) => u.pathname === '/oauth/callback' });
  };

  it('slow token endpoint: the callback gives up at the bound with a clear server_error redirect', async () => {
    const callback = await loginToCallback();
    idp.setLatencyMs(3000);
    try {
      const r = await fetch(callback, { redirect: 'manual' });
      expect(r.status).toBe(303);
      const location = new URL(r.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('server_error');
      expect(location.searchParams.get('error_description')).toBe('code exchange with the upstream identity provider failed');
      expect(location.searchParams.get('state')).toBe('state-123456');
    } finally {
      idp.setLatencyMs(0);
    }
  });

  it('slow token endpoint: upstream refresh (used by the exchange) rejects with refresh_failed at the bound', async () => {
    const corp = stack.auth.upstreams.get('corp')!;
    idp.setLatencyMs(3000);
    try {
      await expect(corp.refresh('any-refresh-token')).rejects.toSatisfy((e) => e instanceof UpstreamError && e.code === 'refresh_failed');
    } finally {
      idp.setLatencyMs(0);
    }
  });

  it('IdP down at the callback: server_error redirect, no hang', async () => {
    const callback = await loginToCallback();
    await idp.stop();
    try {
      const r = await fetch(callback, { redirect: 'manual' });
      expect(r.status).toBe(303);
      expect(new URL(r.headers.get('location')!).searchParams.get('error')).toBe('server_error');
    } finally {
      await idp.restart();
    }
  });

  it('IdP down before discovery: authorize redirects temporarily_unavailable naming the IdP, readyz false, then recovers', async () => {
    const listener = await listenLoopback();
    const lateIdp = await startUpstreamIdp({ redirectUris: [`${listener.origin}/oauth/callback`] });
    await lateIdp.stop();
    const cold = await startStack({ listener, idp: lateIdp, config: { upstreamTimeoutMs: 500 } });
    try {
      const coldClient = (await registerClient(cold.issuer)).clientMetadata().client_id;
      const r = await fetch(authorizeUrl(cold.issuer, coldClient), { redirect: 'manual' });
      expect(r.status).toBe(303);
      const location = new URL(r.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('temporarily_unavailable');
      expect(location.searchParams.get('error_description')).toBe('upstream identity provider "corp" is unreachable');
      const ready = await fetch(`${cold.issuer}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { upstream_discovery: false } });

      await lateIdp.restart();
      expect(await until(async () => (await fetch(`${cold.issuer}/readyz`)).status === 200, 5000)).toBe(true);
      expect((await fetch(authorizeUrl(cold.issuer, coldClient), { redirect: 'manual' })).status).toBe(302);
    } finally {
      await cold.stop();
      await lateIdp.stop();
    }
  });
});
