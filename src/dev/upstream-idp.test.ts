import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { startUpstreamIdp, type UpstreamIdp } from './upstream-idp.ts';
import { completeLogin } from './headless-login.ts';

// The local stack's upstream IdP is real oidc-provider; this drives it with openid-client and the
// headless form walker exactly as `dev --check` does.
describe('local upstream IdP', () => {
  let idp: UpstreamIdp;
  const redirectUri = 'http://127.0.0.1:1/callback';

  beforeAll(async () => {
    idp = await startUpstreamIdp({ clients: [{ clientId: 'as', clientSecret: 'secret-1', redirectUris: [redirectUri] }] });
  });
  afterAll(async () => idp?.stop());

  it('logs any username in through its forms and issues tokens including a refresh token', async () => {
    const config = await client.discovery(new URL(idp.issuer), 'as', 'secret-1', undefined, { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const authUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    });
    const callback = await completeLogin(authUrl, { username: 'alice', isDone: (u) => u.href.startsWith(redirectUri) });
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state });
    expect(tokens.claims()?.sub).toBe('alice');
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
  });

  it('refuses an empty username with a clear page', async () => {
    const config = await client.discovery(new URL(idp.issuer), 'as', 'secret-1', undefined, { execute: [client.allowInsecureRequests] });
    const authUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    await expect(completeLogin(authUrl, { username: '', isDone: (u) => u.href.startsWith(redirectUri) })).rejects.toThrow(/HTTP 400.*username/s);
  });

  it('counts requests per path and comes back on the same port with the same state after stop()', async () => {
    const config = await client.discovery(new URL(idp.issuer), 'as', 'secret-1', undefined, { execute: [client.allowInsecureRequests] });
    const tokens = await login(config, 'bob');
    const counts = idp.requestsByPath();
    expect(counts['/interaction/:uid/login']).toBeGreaterThanOrEqual(1);
    expect(counts['/interaction/:uid/confirm']).toBeGreaterThanOrEqual(1);
    await idp.stop();
    await expect(fetch(`${idp.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
    await idp.restart();
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()?.sub).toBe('bob');
    expect(idp.requestsByPath()['/token']).toBe((counts['/token'] ?? 0) + 1);
  });
});

describe('local upstream IdP with autoLoginAccount (redirect-only user agents)', () => {
  let idp: UpstreamIdp;
  const redirectUri = 'http://127.0.0.1:1/callback';

  beforeAll(async () => {
    idp = await startUpstreamIdp({ clients: [{ clientId: 'as', clientSecret: 'secret-1', redirectUris: [redirectUri] }], autoLoginAccount: 'carol' });
  });
  afterAll(async () => idp?.stop());

  it('signs the fixed account in and consents without serving a page', async () => {
    const config = await client.discovery(new URL(idp.issuer), 'as', 'secret-1', undefined, { execute: [client.allowInsecureRequests] });
    const tokens = await login(config, 'typed-name-is-never-asked');
    expect(tokens.claims()?.sub).toBe('carol');
    expect(tokens.refresh_token).toBeTruthy();
    expect(Object.keys(idp.requestsByPath()).filter((p) => p.endsWith('/login') || p.endsWith('/confirm'))).toEqual([]);
  });
});

async function login(config: client.Configuration, username: string) {
  const redirectUri = 'http://127.0.0.1:1/callback';
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
  });
  const callback = await completeLogin(authUrl, { username, isDone: (u) => u.href.startsWith(redirectUri) });
  return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce });
}
