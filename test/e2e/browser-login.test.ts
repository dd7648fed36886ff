/**
 * A real browser: headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * opens the authorization URL an MCP SDK client produced, logs in at the upstream IdP's page,
 * consents, and follows the redirects back to the client's redirect URI; the client then calls
 * the tool through the proxy. A screenshot of the login page is saved to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { startLocalStack, type LocalStack } from '../../src/dev/local-stack.ts';
import { InMemoryOAuthProvider } from '../helpers/mcp-oauth-provider.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`\n*** SKIPPING the browser login test: ${CHROMIUM} is missing. Install Debian's chromium package (.ci/run does). ***\n`);
}
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

describe.skipIf(!haveChromium)('MCP client login in headless Chromium', () => {
  let stateDir: string;
  let stack: LocalStack;
  let browser: Browser;
  let callbackServer: http.Server;
  let redirectUri: string;
  let received: Promise<URL>;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'browser-'));
    stack = await startLocalStack({ stateDir, ports: { idp: 0, auth: 0, internal: 0, proxy: 0, mcp: 0 }, logLevel: 'silent' });
    // The MCP client's redirect URI: a loopback listener, as native MCP clients use (RFC 8252).
    let deliver!: (url: URL) => void;
    received = new Promise((resolve) => (deliver = resolve));
    callbackServer = http.createServer((req, res) => {
      deliver(new URL(req.url ?? '/', redirectUri));
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Signed in</title><h1>Signed in. You can close this window.</h1>');
    });
    await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', () => resolve()));
    redirectUri = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Flags for a closed network and root: no sandbox, no background calls home.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    await mkdir(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    callbackServer?.closeAllConnections();
    callbackServer?.close();
    await stack?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('logs in at the upstream page, returns to the client redirect URI, and the client calls the tool', async () => {
    const provider = new InMemoryOAuthProvider(redirectUri, 'browser test client');
    const first = new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider });
    await expect(new Client({ name: 'browser-e2e', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.authorizationUrl).toBeDefined();

    const page = await browser.newPage();
    await page.goto(provider.authorizationUrl!.href);
    // The auth server redirected the browser to the upstream IdP's login page.
    expect(new URL(page.url()).origin).toBe(stack.upstreamIssuer);
    await expect(page.title()).resolves.toBe('Sign in');
    await page.screenshot({ path: join(ARTIFACTS, 'login-page.png'), fullPage: true });
    await page.fill('input[name="username"]', 'alice');
    await page.click('button[type="submit"]');
    await page.waitForSelector('text=Authorize access');
    await page.click('button[type="submit"]');
    // Then the auth server's own consent page names the client and the MCP server (first button: Allow).
    await page.waitForSelector('text=Allow access');
    await expect(page.textContent('body')).resolves.toContain('browser test client');
    await page.screenshot({ path: join(ARTIFACTS, 'consent-page.png'), fullPage: true });
    await page.click('button:has-text("Allow")');
    const callback = await received;
    await page.waitForURL((url) => url.href.startsWith(redirectUri));
    await expect(page.textContent('h1')).resolves.toContain('Signed in');
    await page.close();

    expect(callback.searchParams.get('iss')).toBe(stack.issuer); // RFC 9207
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();
    await first.finishAuth(code!);

    const client = new Client({ name: 'browser-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider }));
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect((result.structuredContent as { user: string }).user).toBe('alice');
    await client.close();
    expect(existsSync(join(ARTIFACTS, 'login-page.png'))).toBe(true);
  });
});
