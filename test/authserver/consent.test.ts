/**
 * The auth server's consent step (routes/consent.ts). Without it, every MCP client goes through
 * the server's one static upstream client, so once a user has an upstream session the IdP shows
 * nothing, and a freshly registered client with an attacker's redirect URI could collect a code for
 * the user's session from a single link (the MCP "confused deputy"). Real oidc-provider upstream.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeLogin } from '../../src/dev/headless-login.ts';
import { createMemoryStore, type StoredValue } from '../../src/store/index.ts';
import { answerConsent, registerClient, RESOURCE, startStack, testEncryptionKeys, type Stack } from './harness.ts';

const VERIFIER = 'dBjftJeZ4CVP-mJ0zmYXy1BFpBt1qa-HIp7u6klmUk4';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const EVIL_REDIRECT = 'https://evil.example/cb';

let stack: Stack;
let evilClient: string;
// The memory store's own Map, to see which upstream-token rows exist (their keys start `upstream:`).
const stored = new Map<string, StoredValue>();
const upstreamRows = () => [...stored.keys()].filter((k) => k.startsWith('upstream:'));

beforeAll(async () => {
  stack = await startStack({ store: createMemoryStore({ encryptionKeys: testEncryptionKeys(), sweepIntervalMs: 0, map: stored }) });
  evilClient = (await registerClient(stack.issuer, { redirect_uris: [EVIL_REDIRECT], client_name: 'Totally Legit Tools' })).clientMetadata().client_id;
});
afterAll(async () => stack?.stop());

/** Runs authorize + upstream login for the attacker's client and returns the callback response. */
async function loginThroughAttackerLink(): Promise<Response> {
  const link = new URL(`${stack.issuer}/oauth/authorize`);
  link.search = new URLSearchParams({
    response_type: 'code',
    client_id: evilClient,
    redirect_uri: EVIL_REDIRECT,
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    state: 'attacker-state',
    resource: RESOURCE,
  }).toString();
  const callback = await completeLogin(link, { username: 'alice', isDone: (u) => u.pathname === '/oauth/callback' });
  return fetch(callback, { redirect: 'manual' });
}

describe('consent before any code is issued', () => {
  it('a completed upstream login ends on the consent page naming the client, the destination and the MCP server; no code is sent', async () => {
    const before = upstreamRows();
    const page = await loginThroughAttackerLink();
    // Until the user answers, the login's upstream tokens are held for 30 minutes only.
    const [rowKey] = upstreamRows().filter((k) => !before.includes(k));
    const tsid = rowKey!.split(':')[1]!;
    const held = Object.values(await stack.store.upstreamTokens.getAll(tsid));
    expect(held).toHaveLength(1);
    expect(held[0]!.sessionExpiresAtMs).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
    expect(page.status).toBe(200);
    expect(page.headers.get('location')).toBeNull();
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.clone().text();
    expect(html).toContain('Totally Legit Tools');
    expect(html).toContain('https://evil.example');
    expect(html).toContain(RESOURCE);
    expect(html).not.toMatch(/[?&]code=/);
    // Allow is what hands over the code.
    const allowed = await answerConsent(page, 'allow');
    expect(allowed.status).toBe(303);
    const location = new URL(allowed.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(EVIL_REDIRECT);
    expect(location.searchParams.get('code')).toBeTruthy();
    expect(location.searchParams.get('state')).toBe('attacker-state');
    expect(location.searchParams.get('iss')).toBe(stack.issuer);
    // Allowed: the rows now live as long as the session (the refresh lifespan and its head-room).
    const session = await stack.store.sessions.get(tsid);
    const kept = Object.values(await stack.store.upstreamTokens.getAll(tsid));
    expect(session!.expiresAtMs).toBeGreaterThan(Date.now() + 24 * 3600_000);
    expect(kept[0]!.sessionExpiresAtMs).toBe(session!.expiresAtMs);
  });

  it('deny → 303 access_denied to the client, and the login leaves no session or upstream tokens', async () => {
    const before = upstreamRows();
    const page = await loginThroughAttackerLink();
    expect(upstreamRows()).toHaveLength(before.length + 1); // the upstream login's tokens, held until the decision
    const html = await page.clone().text();
    const denied = await answerConsent(page, 'deny');
    expect(denied.status).toBe(303);
    const location = new URL(denied.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('code')).toBeNull();
    expect(location.searchParams.get('state')).toBe('attacker-state');
    // The consent id is single use: the Allow form of the same page no longer works.
    const allowAction = /action="([^"]+decision=allow)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const late = await fetch(allowAction, { method: 'POST', redirect: 'manual' });
    expect(late.status).toBe(400);
    expect(await late.text()).toBe('unknown or expired consent');
    expect(upstreamRows()).toEqual(before);
  });

  it.each([
    ['no consent id', '?decision=allow', 'consent parameter is missing'],
    ['no decision', '?consent=abc', 'decision must be allow or deny'],
    ['another decision', '?consent=abc&decision=yes', 'decision must be allow or deny'],
    ['an unknown consent id', '?consent=made-up&decision=allow', 'unknown or expired consent'],
  ])('%s → 400 with a clear text', async (_name, query, text) => {
    const r = await fetch(`${stack.issuer}/oauth/consent${query}`, { method: 'POST', redirect: 'manual' });
    expect(r.status).toBe(400);
    expect(await r.text()).toBe(text);
  });
});
