/**
 * Two auth-server replicas on one real redis-server (spawned on a free port by the store
 * engineer's helper), sharing issuer, signing key and encryption key as a Deployment would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createRedisStore, type AuthStore } from '../../src/store/index.ts';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { startUpstreamIdp, type TestUpstreamIdp } from '../helpers/oidc-provider.ts';
import { authorize, CLIENT_REDIRECT, generateSigningPem, listenLoopback, obtainCode, postForm, registerClient, startStack, testEncryptionKeys, type Stack } from './harness.ts';

describe('two replicas on one Redis', () => {
  let redis: RedisServerHandle;
  let idp: TestUpstreamIdp;
  let a: Stack;
  let b: Stack;
  const stores: AuthStore[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const listenerA = await listenLoopback();
    const listenerB = await listenLoopback();
    idp = await startUpstreamIdp({ redirectUris: [`${listenerA.origin}/oauth/callback`] });
    const encryptionKeys = testEncryptionKeys();
    const signingPem = generateSigningPem();
    for (let i = 0; i < 2; i++) {
      stores.push(await createRedisStore({ url: redis.url, keyPrefix: 'thv:auth:{mcp-prod:auth}:', commandTimeoutMs: 250, encryptionKeys }));
    }
    a = await startStack({ listener: listenerA, idp, store: stores[0]!, config: { signingPem } });
    b = await startStack({ listener: listenerB, idp, store: stores[1]!, config: { signingPem }, issuer: listenerA.origin });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    for (const s of stores) await s.close();
    await idp?.stop();
    await redis?.stop({ keepData: false });
  });

  it('a client registered and a code obtained on replica A redeem on replica B', async () => {
    const mcp = await registerClient(a.issuer);
    const clientId = mcp.clientMetadata().client_id;
    const { code, verifier } = await obtainCode(mcp, clientId);
    const r = await postForm(`${b.origin}/oauth/token`, { grant_type: 'authorization_code', code, redirect_uri: CLIENT_REDIRECT, code_verifier: verifier, client_id: clientId });
    expect(r.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${b.origin}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(r.json.access_token as string, jwks, { issuer: a.issuer });
    // The upstream tokens written by A (encrypted) are readable by B.
    const upstream = await stores[1]!.upstreamTokens.get(payload.tsid as string, 'corp', Date.now());
    expect(upstream?.tokens.upstreamSubject).toBe('alice');
    // And the same code on A is now a replay.
    const again = await postForm(`${a.origin}/oauth/token`, { grant_type: 'authorization_code', code, redirect_uri: CLIENT_REDIRECT, code_verifier: verifier, client_id: clientId });
    expect(again.json.error).toBe('invalid_grant');
  });

  it('100 parallel refreshes of one token across both replicas → exactly 1 success, 99 invalid_grant, family revoked', async () => {
    const mcp = await registerClient(a.issuer);
    const clientId = mcp.clientMetadata().client_id;
    const { tokens } = await authorize(mcp);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        postForm(`${i % 2 ? b.origin : a.origin}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    const rejected = results.filter((r) => r.status === 400 && r.json.error === 'invalid_grant');
    expect(ok).toHaveLength(1);
    expect(rejected).toHaveLength(99);
    // The winner's new refresh token belongs to the revoked family.
    const winner = ok[0]!.json.refresh_token as string;
    const after = await postForm(`${a.origin}/oauth/token`, { grant_type: 'refresh_token', refresh_token: winner, client_id: clientId });
    expect(after.status).toBe(400);
    expect(after.json.error).toBe('invalid_grant');
    const { payload } = await jwtVerify(ok[0]!.json.access_token as string, createRemoteJWKSet(new URL(`${a.origin}/.well-known/jwks.json`)));
    expect(await stores[0]!.denyList.isDenied(payload.jti as string)).toBe(true);
    expect((await stores[1]!.sessions.get(payload.tsid as string))?.revokedAtMs).toBeTypeOf('number');
  });

  it('refresh rotation works through openid-client against either replica', async () => {
    const mcp = await registerClient(a.issuer);
    const { tokens } = await authorize(mcp);
    const first = await client.refreshTokenGrant(mcp, tokens.refresh_token!);
    const second = await postForm(`${b.origin}/oauth/token`, { grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: mcp.clientMetadata().client_id });
    expect(second.status).toBe(200);
    expect(second.json.refresh_token).not.toBe(first.refresh_token);
  });
});
