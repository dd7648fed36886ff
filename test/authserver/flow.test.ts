import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { authorize, OWNER, registerClient, RESOURCE, startStack, type Stack } from './harness.ts';
import { hashForLog } from '../../src/telemetry/index.ts';

describe('end-to-end flow with real peers (openid-client MCP client, oidc-provider upstream, memory store)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.stop());

  it('discovery, DCR, PKCE authorization through the upstream login, code exchange, refresh rotation', async () => {
    const config = await registerClient(stack.issuer);
    const { tokens, callback } = await authorize(config);
    expect(callback.searchParams.get('iss')).toBe(stack.issuer); // RFC 9207
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const header = decodeProtectedHeader(tokens.access_token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: stack.auth.keys.active.kid });
    const jwks = createRemoteJWKSet(new URL(`${stack.issuer}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: stack.issuer, audience: RESOURCE, typ: 'at+jwt' });
    expect(payload.aud).toEqual([RESOURCE]);
    expect(payload.client_id).toBe(config.clientMetadata().client_id);
    expect(payload.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.sub).not.toBe('alice'); // internal user id, never the upstream subject
    expect(typeof payload.tsid).toBe('string');
    expect(payload.nbf).toBe(payload.iat);

    // The session is bound to the owner from the resource map [REV a], upstream tokens stored encrypted.
    const session = await stack.store.sessions.get(payload.tsid as string);
    expect(session?.owner).toEqual(OWNER);
    const upstream = await stack.store.upstreamTokens.get(payload.tsid as string, 'corp', Date.now());
    expect(upstream?.tokens.upstreamSubject).toBe('alice');
    expect(upstream?.tokens.refreshToken).not.toBe('');

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const again = await jwtVerify(refreshed.access_token, jwks, { issuer: stack.issuer, audience: RESOURCE });
    expect(again.payload.tsid).toBe(payload.tsid);
    expect(again.payload.sub).toBe(payload.sub);
    expect(again.payload.jti).not.toBe(payload.jti);

    // The old refresh token is now a replay: family revoked, the new one dies too.
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await stack.store.denyList.isDenied(again.payload.jti as string)).toBe(true);
    expect((await stack.store.sessions.get(payload.tsid as string))?.revokedAtMs).toBeTypeOf('number');
    expect(await stack.store.upstreamTokens.getAll(payload.tsid as string)).toEqual({});
  });

  it('serves RFC 8414 and OIDC discovery with cache headers and CORS, JWKS with public keys only', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const r = await fetch(`${stack.issuer}${path}`, { headers: { origin: 'http://inspector.local' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('public, max-age=3600');
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      const body = (await r.json()) as Record<string, unknown>;
      expect(body.issuer).toBe(stack.issuer);
      expect(body.grant_types_supported).toEqual(['authorization_code', 'refresh_token']);
      expect(body.code_challenge_methods_supported).toEqual(['S256']);
      expect(body.authorization_response_iss_parameter_supported).toBe(true);
      if (path.endsWith('openid-configuration')) expect(body.id_token_signing_alg_values_supported).toEqual(['ES256']);
    }
    const jwks = (await (await fetch(`${stack.issuer}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: stack.auth.keys.active.kid });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('answers 404 on /internal/* and does not put CORS on authorize', async () => {
    for (const method of ['GET', 'POST']) {
      const r = await fetch(`${stack.issuer}/internal/token-exchange`, { method });
      expect(r.status).toBe(404);
      expect(await r.text()).toBe('not found');
    }
    const r = await fetch(`${stack.issuer}/oauth/authorize?client_id=x`, { redirect: 'manual', headers: { origin: 'http://evil.local' } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('healthz and readyz are 200 when everything is loaded', async () => {
    expect((await fetch(`${stack.issuer}/healthz`)).status).toBe(200);
    const r = await fetch(`${stack.issuer}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ checks: { storage: true, upstream_discovery: true, resource_map: true, signing_keys: true } });
  });

  it('revocation of a refresh token cascades to the family, session and upstream tokens', async () => {
    const config = await registerClient(stack.issuer);
    const { tokens } = await authorize(config);
    const tsid = (await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${stack.issuer}/.well-known/jwks.json`)))).payload.tsid as string;
    await client.tokenRevocation(config, tokens.refresh_token!);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await stack.store.sessions.get(tsid))?.revokedAtMs).toBeTypeOf('number');
    expect(await stack.store.upstreamTokens.getAll(tsid)).toEqual({});
    expect(hashForLog(tsid)).toHaveLength(16);
  });

  it('revocation of an access token deny-lists its jti and revokes the session for exchange', async () => {
    const config = await registerClient(stack.issuer);
    const { tokens } = await authorize(config);
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${stack.issuer}/.well-known/jwks.json`)));
    await client.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });
    expect(await stack.store.denyList.isDenied(payload.jti as string)).toBe(true);
    expect((await stack.store.sessions.get(payload.tsid as string))?.revokedAtMs).toBeTypeOf('number');
  });

  it('revoking another client’s token changes nothing (RFC 7009 §2.1) and still answers 200', async () => {
    const owner = await registerClient(stack.issuer);
    const other = await registerClient(stack.issuer);
    const { tokens } = await authorize(owner);
    await client.tokenRevocation(other, tokens.refresh_token!);
    const refreshed = await client.refreshTokenGrant(owner, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
  });

  it('CORS preflight on token/register/revoke/JWKS answers 204 with the allowed methods', async () => {
    for (const path of ['/oauth/token', '/oauth/register', '/oauth/revoke', '/.well-known/jwks.json', '/.well-known/openid-configuration']) {
      const r = await fetch(`${stack.issuer}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'http://inspector.local', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(r.status).toBe(204);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
    }
  });

  it('upstream refresh per IdP (what the internal exchange calls): new tokens from the real IdP; a dead refresh token is invalid_grant', async () => {
    const config = await registerClient(stack.issuer);
    const { tokens } = await authorize(config);
    const tsid = (await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${stack.issuer}/.well-known/jwks.json`)))).payload.tsid as string;
    const row = (await stack.store.upstreamTokens.get(tsid, 'corp', Date.now()))!.tokens;
    const corp = stack.auth.upstreams.get('corp')!;
    const refreshed = await corp.refresh(row.refreshToken);
    expect(refreshed.accessToken).toBeTruthy();
    expect(refreshed.accessToken).not.toBe(row.accessToken);
    expect(refreshed.expiresAtMs).toBeGreaterThan(Date.now());
    await expect(corp.refresh('not-a-refresh-token')).rejects.toMatchObject({ name: 'UpstreamError', code: 'invalid_grant' });
  });

  it('upstream discovery and JWKS are fetched once for all the flows above (cached, spec conventions §13)', () => {
    const counts = stack.idp.requestsByPath();
    expect(counts['/token']).toBeGreaterThanOrEqual(4);
    expect(counts['/.well-known/openid-configuration']).toBe(1);
    expect(counts['/jwks']).toBe(1);
  });
});
