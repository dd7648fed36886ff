/**
 * `mcp-authserver dev --check`: the whole flow against a running local stack, headless, with
 * clients written by others (openid-client for OAuth, the MCP SDK for the tool call), one line
 * per step: discovery, registration, PKCE login at the upstream, token, tool call through the
 * proxy, refresh, revoke, and the token exchange refused after the revoke.
 */
import * as oauth from 'openid-client';
import { Agent, request } from 'undici';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { completeLogin } from './headless-login.ts';
import type { LocalStack } from './local-stack.ts';
import { DEV_UPSTREAM_NAME } from './local-stack.ts';
import { GRANT_TYPE_TOKEN_EXCHANGE, TOKEN_EXCHANGE_PATH, TOKEN_TYPE_JWT } from '../exchange/index.ts';

export interface CheckStep {
  name: string;
  ok: boolean;
  detail: string;
}

/** The redirect URI of the check's client; nothing listens there, the walker stops at it. */
const REDIRECT_URI = 'http://127.0.0.1:1/callback';

async function callWhoami(mcpUrl: string, accessToken: string): Promise<{ user: string | null; upstream_token_fingerprint: string | null }> {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } });
  const client = new Client({ name: 'mcp-authserver-dev-check', version: '1.0.0' });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    return result.structuredContent as { user: string | null; upstream_token_fingerprint: string | null };
  } finally {
    await client.close();
  }
}

/** One exchange as the proxy would do it, with the proxy's own client certificate. */
async function exchangeDirectly(stack: LocalStack, accessToken: string): Promise<{ status: number; error?: string }> {
  const dispatcher = new Agent({
    connect: {
      cert: readFileSync(stack.state.proxyClient.certFile),
      key: readFileSync(stack.state.proxyClient.keyFile),
      ca: readFileSync(stack.state.proxyClient.caFile),
    },
  });
  try {
    const res = await request(`${stack.internalUrl}${TOKEN_EXCHANGE_PATH}`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: GRANT_TYPE_TOKEN_EXCHANGE, subject_token: accessToken, subject_token_type: TOKEN_TYPE_JWT, audience: DEV_UPSTREAM_NAME }).toString(),
    });
    const body = (await res.body.json()) as { error?: string };
    return { status: res.statusCode, ...(body.error ? { error: body.error } : {}) };
  } finally {
    await dispatcher.close();
  }
}

/**
 * Runs every step, stopping at the first failure; `report` receives each step as it ends.
 *
 * @example
 * const steps = await runCheckFlow(stack, (s) => console.log(`${s.ok ? 'ok  ' : 'FAIL'} ${s.name}: ${s.detail}`));
 */
export async function runCheckFlow(stack: LocalStack, report: (step: CheckStep) => void = () => {}, username = 'dev-check'): Promise<CheckStep[]> {
  const steps: CheckStep[] = [];
  const step = async (name: string, run: () => Promise<string>): Promise<boolean> => {
    let result: CheckStep;
    try {
      result = { name, ok: true, detail: await run() };
    } catch (err) {
      result = { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
    steps.push(result);
    report(result);
    return result.ok;
  };

  let issuer = '';
  let config!: oauth.Configuration;
  let callbackUrl!: URL;
  const verifier = oauth.randomPKCECodeVerifier();
  const state = oauth.randomState();
  let tokens!: { access_token: string; refresh_token?: string };
  let fingerprint = '';

  const ok =
    (await step('discovery', async () => {
      const res = await fetch(stack.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const challenge = res.headers.get('www-authenticate') ?? '';
      const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
      if (res.status !== 401 || !metadataUrl) throw new Error(`expected 401 with resource_metadata from the proxy, got ${res.status} "${challenge}"`);
      const prm = (await (await fetch(metadataUrl)).json()) as { authorization_servers?: string[]; resource?: string };
      issuer = prm.authorization_servers?.[0] ?? '';
      if (issuer !== stack.issuer) throw new Error(`protected-resource metadata names ${JSON.stringify(issuer)}, expected ${stack.issuer}`);
      return `401 → ${metadataUrl} → authorization server ${issuer}`;
    })) &&
    (await step('registration', async () => {
      config = await oauth.dynamicClientRegistration(
        new URL(issuer),
        { client_name: 'dev --check', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] },
        oauth.None(),
        { execute: [oauth.allowInsecureRequests] },
      );
      return `client_id ${config.clientMetadata().client_id}`;
    })) &&
    (await step('login', async () => {
      const url = oauth.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        resource: stack.mcpUrl,
      });
      callbackUrl = await completeLogin(url, { username, isDone: (u) => u.href.startsWith(REDIRECT_URI) });
      if (!callbackUrl.searchParams.get('code')) throw new Error(`no code in the redirect: ${callbackUrl.searchParams.get('error') ?? 'unknown error'}`);
      return `PKCE login at ${stack.upstreamIssuer} as "${username}", IdP consent and our consent page allowed, redirected back with a code`;
    })) &&
    (await step('token', async () => {
      tokens = await oauth.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: verifier, expectedState: state }, { resource: stack.mcpUrl });
      if (!tokens.refresh_token) throw new Error('no refresh token issued');
      return 'access token (JWT) and refresh token issued';
    })) &&
    (await step('tool call', async () => {
      const seen = await callWhoami(stack.mcpUrl, tokens.access_token);
      if (seen.user !== username) throw new Error(`the MCP server saw user ${JSON.stringify(seen.user)}, expected ${username}`);
      fingerprint = seen.upstream_token_fingerprint ?? '';
      return `whoami through the proxy: user "${seen.user}", upstream token ${fingerprint}…`;
    })) &&
    (await step('refresh', async () => {
      const previous = tokens.refresh_token!;
      tokens = await oauth.refreshTokenGrant(config, previous, { resource: stack.mcpUrl });
      if (!tokens.refresh_token || tokens.refresh_token === previous) throw new Error('the refresh token was not rotated');
      const seen = await callWhoami(stack.mcpUrl, tokens.access_token);
      if (seen.user !== username) throw new Error(`after refresh the MCP server saw ${JSON.stringify(seen.user)}`);
      return 'new access token, refresh token rotated, tool call still works';
    })) &&
    (await step('revoke', async () => {
      await oauth.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
      return 'refresh token revoked (family, session and upstream tokens)';
    })) &&
    (await step('exchange refused after revoke', async () => {
      const res = await exchangeDirectly(stack, tokens.access_token);
      if (res.status !== 400 || res.error !== 'invalid_grant') throw new Error(`expected 400 invalid_grant, got ${res.status} ${res.error ?? ''}`);
      return 'internal token exchange with the proxy certificate: 400 invalid_grant';
    }));
  void ok;
  return steps;
}
