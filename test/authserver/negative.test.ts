/**
 * Spec §6.2 "Authorize / callback / token / register" rows, one table-driven case each: status,
 * error code and a description naming the problem. Real HTTP against a real auth server with a
 * real upstream IdP (oidc-provider); the ID-token rows use a rogue IdP (rogue-idp.ts) because a
 * real provider cannot be made to sign bad tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { completeLogin } from '../../src/dev/headless-login.ts';
import { createMemoryStore } from '../../src/store/index.ts';
import { answerConsent, authorize, authorizeRequestUrl, CLIENT_REDIRECT, obtainCode, postForm, registerClient, RESOURCE, startStack, testEncryptionKeys, type Stack } from './harness.ts';
import { startRogueIdp, type RogueIdp } from './rogue-idp.ts';
import type { TestUpstreamIdp } from '../helpers/oidc-provider.ts';

const VERIFIER = 'dBjftJeZ4CVP-mJ0zmYXy1BFpBt1qa-HIp7u6klmUk4';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

let clock = Date.now();
const now = () => clock;

let stack: Stack;
let clientId: string;
let mcp: client.Configuration;

beforeAll(async () => {
  const store = createMemoryStore({ encryptionKeys: testEncryptionKeys(), now, sweepIntervalMs: 0 });
  stack = await startStack({ store, serverOptions: { now } });
  mcp = await registerClient(stack.issuer);
  clientId = mcp.clientMetadata().client_id;
});
afterAll(async () => {
  await stack?.stop();
});

function authorizeUrl(overrides: Record<string, string | string[] | null>): string {
  return authorizeRequestUrl(stack.issuer, clientId, CHALLENGE, overrides);
}

describe('authorize: client or redirect_uri in doubt → JSON error, never a redirect', () => {
  const cases: Array<[string, Record<string, string | string[] | null>, number, string, RegExp]> = [
    ['unknown client_id', { client_id: 'no-such-client' }, 401, 'invalid_client', /client_id is unknown/],
    ['missing client_id', { client_id: null }, 400, 'invalid_request', /client_id is required/],
    ['missing redirect_uri', { redirect_uri: null }, 400, 'invalid_request', /redirect_uri is required/],
    ['redirect_uri with trailing slash', { redirect_uri: `${CLIENT_REDIRECT}/` }, 400, 'invalid_request', /redirect_uri does not match/],
    ['redirect_uri with extra query', { redirect_uri: `${CLIENT_REDIRECT}?x=1` }, 400, 'invalid_request', /redirect_uri does not match/],
    ['redirect_uri with different path', { redirect_uri: 'http://127.0.0.1:33418/other' }, 400, 'invalid_request', /redirect_uri does not match/],
    ['redirect_uri with different host', { redirect_uri: 'https://evil.example/callback' }, 400, 'invalid_request', /redirect_uri does not match/],
    ['redirect_uri http non-loopback', { redirect_uri: 'http://example.com:33418/callback' }, 400, 'invalid_request', /redirect_uri does not match/],
    ['redirect_uri with fragment', { redirect_uri: `${CLIENT_REDIRECT}#frag` }, 400, 'invalid_request', /redirect_uri does not match/],
    ['repeated redirect_uri', { redirect_uri: [CLIENT_REDIRECT, CLIENT_REDIRECT] }, 400, 'invalid_request', /redirect_uri must not be repeated/],
  ];
  it.each(cases)('%s', async (_name, overrides, status, error, description) => {
    const r = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
    expect(r.status).toBe(status);
    expect(r.headers.get('location')).toBeNull();
    const body = (await r.json()) as { error: string; error_description: string };
    expect(body.error).toBe(error);
    expect(body.error_description).toMatch(description);
  });
});

describe('authorize: other problems → 303 to the client with error, state and iss', () => {
  const long = 'a'.repeat(129);
  const cases: Array<[string, Record<string, string | string[] | null>, string, RegExp]> = [
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type', /response_type "token" is not supported/],
    ['response_type=id_token', { response_type: 'id_token' }, 'unsupported_response_type', /response_type "id_token"/],
    ['response_type=code id_token', { response_type: 'code id_token' }, 'unsupported_response_type', /response_type "code id_token"/],
    ['missing response_type', { response_type: null }, 'invalid_request', /response_type is required/],
    ['missing code_challenge', { code_challenge: null }, 'invalid_request', /code_challenge is required/],
    ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request', /code_challenge_method "plain" is not allowed/],
    ['code_challenge_method omitted', { code_challenge_method: null }, 'invalid_request', /code_challenge_method is required/],
    ['challenge of 42 chars', { code_challenge: CHALLENGE.slice(0, 42) }, 'invalid_request', /code_challenge must be 43-128/],
    ['challenge of 129 chars', { code_challenge: long }, 'invalid_request', /code_challenge must be 43-128/],
    ['challenge with invalid chars', { code_challenge: `${CHALLENGE.slice(0, 42)}+` }, 'invalid_request', /code_challenge must be 43-128 base64url/],
    ['state shorter than 8 chars', { state: 'short' }, 'invalid_request', /state must be at least 8 characters/],
    ['repeated state', { state: ['state-123456', 'state-123456'] }, 'invalid_request', /state must not be repeated/],
    ['missing resource', { resource: null }, 'invalid_target', /resource parameter is required/],
    ['two resource params', { resource: [RESOURCE, RESOURCE] }, 'invalid_target', /exactly one resource/],
    ['relative resource', { resource: '/mcp' }, 'invalid_target', /resource must be an absolute URL/],
    ['ftp:// resource', { resource: 'ftp://github-tools.mcp.example.test/mcp' }, 'invalid_target', /scheme must be http or https/],
    ['resource with fragment', { resource: `${RESOURCE}#x` }, 'invalid_target', /must not contain a fragment/],
    ['resource with query', { resource: `${RESOURCE}?x=1` }, 'invalid_target', /must not contain a query/],
    ['resource not in the map', { resource: 'https://other.mcp.example.test/mcp' }, 'invalid_target', /resource is not registered/],
  ];
  it.each(cases)('%s', async (_name, overrides, error, description) => {
    const r = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
    expect(r.status).toBe(303);
    const location = new URL(r.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(CLIENT_REDIRECT);
    expect(location.searchParams.get('error')).toBe(error);
    expect(location.searchParams.get('error_description')).toMatch(description);
    expect(location.searchParams.get('iss')).toBe(stack.issuer);
    const state = overrides.state === undefined ? 'state-123456' : overrides.state;
    if (typeof state === 'string') expect(location.searchParams.get('state')).toBe(state);
  });

  it('accepts a loopback redirect_uri on another port (RFC 8252 §7.3) and the normalized resource', async () => {
    const r = await fetch(authorizeUrl({ redirect_uri: 'http://127.0.0.1:50123/callback', resource: 'HTTPS://GitHub-Tools.mcp.example.test:443/mcp/' }), {
      redirect: 'manual',
    });
    expect(r.status).toBe(302);
    const upstream = new URL(r.headers.get('location')!);
    expect(upstream.origin).toBe(stack.idp.issuer);
    expect(upstream.searchParams.get('code_challenge_method')).toBe('S256');
    expect(upstream.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(upstream.searchParams.get('redirect_uri')).toBe(`${stack.issuer}/oauth/callback`);
    expect(upstream.searchParams.get('state')!.length).toBeGreaterThanOrEqual(43);
  });

  it('accepts POST with a form body too', async () => {
    const query = new URL(authorizeUrl({})).searchParams;
    const r = await fetch(`${stack.issuer}/oauth/authorize`, { method: 'POST', body: query, redirect: 'manual' });
    expect(r.status).toBe(302);
  });
});

/** Runs our authorize and the upstream login, stopping at our callback URL (not yet called). */
async function upstreamCallbackUrl(mutateUpstream?: (url: URL) => void): Promise<URL> {
  const r = await fetch(authorizeUrl({}), { redirect: 'manual' });
  const upstream = new URL(r.headers.get('location')!);
  mutateUpstream?.(upstream);
  return completeLogin(upstream, { username: 'alice', isDone: (u) => u.pathname === '/oauth/callback' });
}

describe('callback', () => {
  const plainCases: Array<[string, string, number, RegExp]> = [
    ['missing state', '?code=abc', 400, /state parameter is missing/],
    ['missing code', '?state=abcdefgh', 400, /code parameter is missing/],
    ['unknown state', '?state=unknown-state&code=abc', 400, /unknown or expired state/],
    ['error with unknown state', '?error=access_denied&state=nope', 502, /upstream authentication failed/],
  ];
  it.each(plainCases)('%s → plain text', async (_name, query, status, text) => {
    const r = await fetch(`${stack.issuer}/oauth/callback${query}`, { redirect: 'manual' });
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await r.text()).toMatch(text);
  });

  it('second use of a state is rejected (single-use pending row)', async () => {
    const cb = await upstreamCallbackUrl();
    const first = await answerConsent(await fetch(cb, { redirect: 'manual' }), 'allow');
    expect(first.status).toBe(303);
    expect(new URL(first.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    const second = await fetch(cb, { redirect: 'manual' });
    expect(second.status).toBe(400);
    expect(await second.text()).toMatch(/unknown or expired state/);
  });

  it('expired state (pending older than 10 minutes) is rejected', async () => {
    const cb = await upstreamCallbackUrl();
    clock += 11 * 60_000;
    try {
      const r = await fetch(cb, { redirect: 'manual' });
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/unknown or expired state/);
    } finally {
      clock -= 11 * 60_000;
    }
  });

  it('upstream error with a known state → 303 access_denied with the client state', async () => {
    const r = await fetch(authorizeUrl({}), { redirect: 'manual' });
    const internalState = new URL(r.headers.get('location')!).searchParams.get('state')!;
    const cb = await fetch(`${stack.issuer}/oauth/callback?error=access_denied&state=${internalState}`, { redirect: 'manual' });
    expect(cb.status).toBe(303);
    const location = new URL(cb.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('state-123456');
    expect(location.searchParams.get('iss')).toBe(stack.issuer);
  });

  it.each([
    ['wrong nonce', (u: URL) => u.searchParams.set('nonce', 'a-different-nonce-value')],
    ['missing nonce', (u: URL) => u.searchParams.delete('nonce')],
  ])('ID token with %s (real upstream) → 303 server_error "failed to verify user identity"', async (_name, mutate) => {
    const cb = await upstreamCallbackUrl(mutate);
    const r = await fetch(cb, { redirect: 'manual' });
    expect(r.status).toBe(303);
    const location = new URL(r.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('server_error');
    expect(location.searchParams.get('error_description')).toBe('failed to verify user identity');
  });
});

describe('callback: ID token validation against a rogue upstream', () => {
  let rogue: RogueIdp;
  let rogueStack: Stack;
  let rogueClient: string;
  beforeAll(async () => {
    rogue = await startRogueIdp();
    const fakeIdp = { issuer: rogue.issuer, clientId: rogue.clientId, clientSecret: 'secret' } as TestUpstreamIdp;
    rogueStack = await startStack({ idp: fakeIdp });
    rogueClient = (await registerClient(rogueStack.issuer)).clientMetadata().client_id;
  });
  afterAll(async () => {
    await rogueStack?.stop();
    await rogue?.stop();
  });

  it.each([
    ['honest token (control)', {}, null],
    ['wrong iss', { mutate: (c: Record<string, unknown>) => ({ ...c, iss: 'http://127.0.0.1:1/other' }) }, 'server_error'],
    ['wrong aud', { mutate: (c: Record<string, unknown>) => ({ ...c, aud: 'someone-else' }) }, 'server_error'],
    ['expired', { mutate: (c: Record<string, unknown>) => ({ ...c, iat: 1000, exp: 2000 }) }, 'server_error'],
    ['missing nonce', { mutate: (c: Record<string, unknown>) => ({ ...c, nonce: undefined }) }, 'server_error'],
    ['bad signature', { signWithForeignKey: true }, 'server_error'],
  ] as const)('%s', async (_name, behaviour, error) => {
    rogue.behave(behaviour as Parameters<RogueIdp['behave']>[0]);
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: rogueClient,
      redirect_uri: CLIENT_REDIRECT,
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      state: 'state-123456',
      resource: RESOURCE,
    });
    const cb = await completeLogin(`${rogueStack.issuer}/oauth/authorize?${params}`, { username: 'x', isDone: (u) => u.pathname === '/oauth/callback' });
    const answered = await fetch(cb, { redirect: 'manual' });
    // A verified login reaches our consent page; a rejected ID token never does.
    const r = error === null ? await answerConsent(answered, 'allow') : answered;
    expect(r.status).toBe(303);
    const location = new URL(r.headers.get('location')!);
    if (error === null) {
      expect(location.searchParams.get('code')).toBeTruthy();
    } else {
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('error_description')).toBe('failed to verify user identity');
    }
  });
});

describe('token', () => {
  const tokenUrl = () => `${stack.issuer}/oauth/token`;
  const codeGrant = (code: string, extra: Record<string, string | string[]> = {}) =>
    postForm(tokenUrl(), { grant_type: 'authorization_code', code, redirect_uri: CLIENT_REDIRECT, code_verifier: VERIFIER, client_id: clientId, ...extra });
  const freshCode = async () => (await obtainCode(mcp, clientId, { code_challenge: CHALLENGE })).code;

  it('reused code → invalid_grant and the tokens issued from it are revoked', async () => {
    const code = await freshCode();
    const first = await codeGrant(code);
    expect(first.status).toBe(200);
    const second = await codeGrant(code);
    expect(second.status).toBe(400);
    expect(second.json).toMatchObject({ error: 'invalid_grant' });
    expect(second.json.error_description).toMatch(/already used; tokens issued from it have been revoked/);
    const jti = (await jwtVerify(first.json.access_token as string, createRemoteJWKSet(new URL(`${stack.issuer}/.well-known/jwks.json`)))).payload.jti!;
    expect(await stack.store.denyList.isDenied(jti)).toBe(true);
    const refresh = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string, client_id: clientId });
    expect(refresh.json.error).toBe('invalid_grant');
  });

  const codeCases: Array<[string, (code: string) => Promise<Awaited<ReturnType<typeof postForm>>>, number, string, RegExp]> = [
    ['wrong code_verifier', (c) => codeGrant(c, { code_verifier: 'x'.repeat(43) }), 400, 'invalid_grant', /code_verifier does not match/],
    ['code_verifier too short', (c) => codeGrant(c, { code_verifier: 'short' }), 400, 'invalid_request', /code_verifier must be 43-128/],
    ['missing code_verifier', (c) => codeGrant(c, { code_verifier: '' }), 400, 'invalid_request', /code_verifier is required/],
    ['redirect_uri mismatch', (c) => codeGrant(c, { redirect_uri: 'http://127.0.0.1:33418/other' }), 400, 'invalid_grant', /redirect_uri does not match/],
    ['resource different from authorize', (c) => codeGrant(c, { resource: 'https://other.example/mcp' }), 400, 'invalid_target', /resource does not match/],
    ['multiple resource', (c) => codeGrant(c, { resource: [RESOURCE, RESOURCE] }), 400, 'invalid_target', /exactly one resource/],
    ['unknown code', () => codeGrant('not-a-real-code'), 400, 'invalid_grant', /code is invalid or expired/],
  ];
  it.each(codeCases)('%s', async (_name, run, status, error, description) => {
    const r = await run(await freshCode());
    expect(r.status).toBe(status);
    expect(r.json.error).toBe(error);
    expect(r.json.error_description).toMatch(description);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('code of another client → invalid_grant', async () => {
    const other = (await registerClient(stack.issuer)).clientMetadata().client_id;
    const r = await codeGrant(await freshCode(), { client_id: other });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/issued to another client/) });
  });

  it('an intercepted code cannot be burned: another client or a wrong verifier fails without spending it', async () => {
    const code = await freshCode();
    const other = (await registerClient(stack.issuer)).clientMetadata().client_id;
    expect((await codeGrant(code, { client_id: other })).json.error).toBe('invalid_grant');
    expect((await codeGrant(code, { code_verifier: 'y'.repeat(43) })).json.error).toBe('invalid_grant');
    expect((await codeGrant(code, { redirect_uri: 'http://127.0.0.1:33418/other' })).json.error).toBe('invalid_grant');
    // The legitimate client still redeems it, and its tokens are not revoked.
    const legit = await codeGrant(code);
    expect(legit.status).toBe(200);
    const refresh = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: legit.json.refresh_token as string, client_id: clientId });
    expect(refresh.status).toBe(200);
  });

  it('expired code → invalid_grant', async () => {
    const code = await freshCode();
    clock += 11 * 60_000;
    try {
      const r = await codeGrant(code);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/invalid or expired/) });
    } finally {
      clock -= 11 * 60_000;
    }
  });

  it('refresh token of another client → invalid_grant; scope broadening → invalid_scope; reuse → family revoked', async () => {
    const { tokens } = await authorize(mcp, { scope: 'openid tools' });
    const other = (await registerClient(stack.issuer)).clientMetadata().client_id;
    const foreign = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: other });
    expect(foreign.status).toBe(400);
    expect(foreign.json).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/issued to another client/) });
    const broader = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId, scope: 'openid tools admin' });
    expect(broader.status).toBe(400);
    expect(broader.json).toMatchObject({ error: 'invalid_scope', error_description: expect.stringMatching(/scope "admin" was not granted/) });
    const narrower = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId, scope: 'tools' });
    expect(narrower.status).toBe(200);
    expect(narrower.json.scope).toBe('tools');
    const replay = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId });
    expect(replay.status).toBe(400);
    expect(replay.json).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/already used; the whole grant has been revoked/) });
    const next = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: narrower.json.refresh_token as string, client_id: clientId });
    expect(next.json.error).toBe('invalid_grant');
  });

  const requestCases: Array<[string, Record<string, string | string[]>, Record<string, string>, number, string, RegExp]> = [
    ['grant_type=password', { grant_type: 'password', username: 'a', password: 'b' }, {}, 400, 'unsupported_grant_type', /"password" is not supported/],
    ['grant_type=client_credentials', { grant_type: 'client_credentials' }, {}, 400, 'unsupported_grant_type', /"client_credentials" is not supported/],
    ['grant_type=token-exchange', { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: 'x' }, {}, 400, 'unsupported_grant_type', /token-exchange" is not supported/],
    ['missing grant_type', {}, {}, 400, 'invalid_request', /grant_type is required/],
    ['repeated grant_type', { grant_type: ['refresh_token', 'refresh_token'], refresh_token: 'x' }, {}, 400, 'invalid_request', /grant_type must not be repeated/],
    ['unknown client', { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'nope' }, {}, 401, 'invalid_client', /client_id is unknown/],
    ['missing client_id', { grant_type: 'refresh_token', refresh_token: 'x', client_id: '' }, {}, 401, 'invalid_client', /client_id is required/],
    ['unknown refresh token', { grant_type: 'refresh_token', refresh_token: 'x' }, {}, 400, 'invalid_grant', /refresh token is invalid/],
    ['missing refresh_token', { grant_type: 'refresh_token' }, {}, 400, 'invalid_request', /refresh_token is required/],
    ['missing code', { grant_type: 'authorization_code', redirect_uri: CLIENT_REDIRECT, code_verifier: VERIFIER }, {}, 400, 'invalid_request', /code is required/],
  ];
  it.each(requestCases)('%s', async (_name, form, headers, status, error, description) => {
    const r = await postForm(tokenUrl(), { client_id: clientId, ...form }, headers);
    expect(r.status).toBe(status);
    expect(r.json.error).toBe(error);
    expect(r.json.error_description).toMatch(description);
  });

  it('JSON body → invalid_request naming the content type', async () => {
    const r = await fetch(tokenUrl(), { method: 'POST', body: JSON.stringify({ grant_type: 'refresh_token' }), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/Content-Type must be application\/x-www-form-urlencoded/) });
  });

  it('body over 64 KiB → invalid_request', async () => {
    const r = await postForm(tokenUrl(), { grant_type: 'refresh_token', client_id: clientId, refresh_token: 'x'.repeat(70_000) });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/exceeds 65536 bytes/) });
  });

  it('GET → 405', async () => {
    const r = await fetch(tokenUrl());
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe('register', () => {
  const registerUrl = () => `${stack.issuer}/oauth/register`;
  const post = async (body: unknown, contentType = 'application/json') => {
    const r = await fetch(registerUrl(), { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType } });
    return { status: r.status, headers: r.headers, json: (await r.json()) as Record<string, unknown> };
  };
  const cases: Array<[string, unknown, string | undefined, string, RegExp]> = [
    ['non-JSON content type', 'redirect_uris=x', 'application/x-www-form-urlencoded', 'invalid_client_metadata', /Content-Type must be application\/json/],
    ['malformed JSON', '{"redirect_uris":', undefined, 'invalid_client_metadata', /not valid JSON/],
    ['body over 64 KiB', { redirect_uris: ['http://127.0.0.1/cb'], client_name: 'x'.repeat(70_000) }, undefined, 'invalid_client_metadata', /exceeds 65536 bytes/],
    ['0 redirect URIs', { redirect_uris: [] }, undefined, 'invalid_redirect_uri', /at least one URI/],
    ['no redirect_uris', {}, undefined, 'invalid_redirect_uri', /redirect_uris is required/],
    ['11 redirect URIs', { redirect_uris: Array.from({ length: 11 }, (_, i) => `http://127.0.0.1/cb${i}`) }, undefined, 'invalid_redirect_uri', /11 entries; at most 10/],
    ['URI over 2048 chars', { redirect_uris: [`https://app.example/${'a'.repeat(2048)}`] }, undefined, 'invalid_redirect_uri', /longer than 2048/],
    ['http non-loopback', { redirect_uris: ['http://example.com/cb'] }, undefined, 'invalid_redirect_uri', /http is allowed only for loopback/],
    ['javascript: scheme', { redirect_uris: ['javascript:alert(1)'] }, undefined, 'invalid_redirect_uri', /scheme "javascript:" is not allowed/],
    ['data: scheme', { redirect_uris: ['data:text/html,hi'] }, undefined, 'invalid_redirect_uri', /scheme "data:" is not allowed/],
    ['file: scheme', { redirect_uris: ['file:///x'] }, undefined, 'invalid_redirect_uri', /scheme "file:" is not allowed/],
    ['fragment', { redirect_uris: ['https://app.example/cb#x'] }, undefined, 'invalid_redirect_uri', /fragment/],
    ['client_secret_basic when confidential disabled', { redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_basic' }, undefined, 'invalid_client_metadata', /token_endpoint_auth_method "client_secret_basic" is not allowed/],
    ['grant_types [refresh_token]', { redirect_uris: ['https://app.example/cb'], grant_types: ['refresh_token'] }, undefined, 'invalid_client_metadata', /must contain "authorization_code"/],
    ['grant_types [implicit]', { redirect_uris: ['https://app.example/cb'], grant_types: ['implicit'] }, undefined, 'invalid_client_metadata', /contains "implicit"/],
    ['grant_types [client_credentials]', { redirect_uris: ['https://app.example/cb'], grant_types: ['client_credentials'] }, undefined, 'invalid_client_metadata', /contains "client_credentials"/],
    ['response_types [token]', { redirect_uris: ['https://app.example/cb'], response_types: ['token'] }, undefined, 'invalid_client_metadata', /response_types may only contain "code"/],
    ['client_name over 256 chars', { redirect_uris: ['https://app.example/cb'], client_name: 'n'.repeat(257) }, undefined, 'invalid_client_metadata', /client_name is longer than 256/],
  ];
  it.each(cases)('%s', async (_name, body, contentType, error, description) => {
    const r = await post(body, contentType);
    expect(r.status).toBe(400);
    expect(r.json.error).toBe(error);
    expect(r.json.error_description).toMatch(description);
  });

  it('accepts a private-use scheme (RFC 8252 §7.1) and returns 201 no-store with defaults', async () => {
    const r = await post({ redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback'], client_name: 'Cursor' });
    expect(r.status).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.json).toMatchObject({
      client_name: 'Cursor',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    expect(r.json.client_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.json).not.toHaveProperty('client_secret');
  });
});

describe('register rate limit (token bucket 1/s, burst 5)', () => {
  let limited: Stack;
  let t = 0;
  beforeAll(async () => {
    limited = await startStack({ config: { dcr: { ratePerSecond: 1, burst: 5, allowConfidential: false } }, serverOptions: { now: () => t } });
  });
  afterAll(async () => limited?.stop());

  it('6th request within a second → 429 with Retry-After; a second later one more is allowed', async () => {
    const body = JSON.stringify({ redirect_uris: ['http://127.0.0.1/cb'] });
    const send = () => fetch(`${limited.issuer}/oauth/register`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    for (let i = 0; i < 5; i++) expect((await send()).status).toBe(201);
    const sixth = await send();
    expect(sixth.status).toBe(429);
    expect(sixth.headers.get('retry-after')).toBe('1');
    expect(await sixth.json()).toMatchObject({ error_description: expect.stringMatching(/too many registration requests/) });
    t += 1000;
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(429);
  });
});

describe('authorize budget (each authorization stores a pending row for 10 minutes)', () => {
  let limited: Stack;
  let limitedClient: string;
  // Real time plus an offset the test moves: upstream discovery retries need a running clock, and
  // at one token per 100 s the seconds this test takes refill nothing.
  let offsetMs = 0;
  beforeAll(async () => {
    limited = await startStack({ config: { authorize: { ratePerSecond: 0.01, burst: 3 } }, serverOptions: { now: () => Date.now() + offsetMs } });
    limitedClient = (await registerClient(limited.issuer)).clientMetadata().client_id;
  });
  afterAll(async () => limited?.stop());

  it('beyond the burst → 303 temporarily_unavailable to the client with Retry-After, and no pending row; refills with time', async () => {
    const url = authorizeRequestUrl(limited.issuer, limitedClient, CHALLENGE);
    for (let i = 0; i < 3; i++) expect((await fetch(url, { redirect: 'manual' })).status).toBe(302);
    const fourth = await fetch(url, { redirect: 'manual' });
    expect(fourth.status).toBe(303);
    expect(fourth.headers.get('retry-after')).toBe('100');
    const location = new URL(fourth.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(CLIENT_REDIRECT);
    expect(location.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(location.searchParams.get('error_description')).toBe('too many authorization requests; retry later');
    expect(location.searchParams.get('state')).toBe('state-123456');
    offsetMs += 100_000;
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(302);
  });

  it('invalid requests do not use up the budget', async () => {
    const bad = authorizeRequestUrl(limited.issuer, limitedClient, CHALLENGE, { code_challenge_method: 'plain', state: null });
    offsetMs += 1_000_000;
    for (let i = 0; i < 10; i++) expect(new URL((await fetch(bad, { redirect: 'manual' })).headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const good = authorizeRequestUrl(limited.issuer, limitedClient, CHALLENGE, { state: null });
    expect((await fetch(good, { redirect: 'manual' })).status).toBe(302);
  });
});

describe('register capacity (clients never expire, so their number is bounded)', () => {
  let full: Stack;
  beforeAll(async () => {
    full = await startStack({ config: { dcr: { ratePerSecond: 1000, burst: 1000, allowConfidential: false, maxClients: 2 } } });
  });
  afterAll(async () => full?.stop());

  it('a registration beyond max_clients → 503 temporarily_unavailable with Retry-After, and nothing stored', async () => {
    const body = JSON.stringify({ redirect_uris: ['http://127.0.0.1/cb'] });
    const send = () => fetch(`${full.issuer}/oauth/register`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect((await send()).status).toBe(201);
    expect((await send()).status).toBe(201);
    const third = await send();
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('3600');
    expect(await third.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'client registration capacity is exhausted; retry later' });
    expect(await full.store.clients.count()).toBe(2);
  });
});

describe('revoke', () => {
  it.each([
    ['missing token', { client_id: (): string => clientId }, 400, 'invalid_request', /token is required/],
    ['unknown client', { client_id: (): string => 'nope', token: (): string => 'x' }, 401, 'invalid_client', /client_id is unknown/],
  ] as const)('%s', async (_name, form, status, error, description) => {
    const body: Record<string, string> = {};
    for (const [k, v] of Object.entries(form)) body[k] = v();
    const r = await postForm(`${stack.issuer}/oauth/revoke`, body);
    expect(r.status).toBe(status);
    expect(r.json.error).toBe(error);
    expect(r.json.error_description).toMatch(description);
  });

  it('unknown token → 200 (RFC 7009 §2.2)', async () => {
    const r = await postForm(`${stack.issuer}/oauth/revoke`, { client_id: clientId, token: 'does-not-exist' });
    expect(r.status).toBe(200);
  });
});
