/**
 * A minimal user agent for the local stack's upstream login: follows redirects, keeps cookies
 * per origin, and submits the upstream IdP's login and consent forms (src/dev/upstream-idp.ts)
 * until the flow redirects to the client's redirect URI. Used by `dev --check` and tests, where
 * no browser is wanted; the browser test drives the same pages with Chromium.
 */

export interface HeadlessLoginOptions {
  /** Name typed on each login page; a function picks one per page (several IdPs in one flow). */
  username: string | ((loginForm: URL) => string);
  /** True for the URL that ends the flow (the MCP client's redirect URI). */
  isDone: (url: URL) => boolean;
  maxSteps?: number;
  timeoutMs?: number;
}

const FORM_ACTION = /<form[^>]*method="post"[^>]*action="([^"]+)"/i;

/** The words a person would read on an HTML page, for error messages. */
function visibleText(html: string): string {
  return html
    .replace(/<(style|script)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, string>>();

  store(url: URL, response: Response): void {
    const jar = this.byOrigin.get(url.origin) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) continue;
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    this.byOrigin.set(url.origin, jar);
  }

  header(url: URL): string {
    return [...(this.byOrigin.get(url.origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Walks from `startUrl` (an authorization URL) to the redirect that `isDone` accepts and returns it.
 *
 * @example
 * const callback = await completeLogin(authorizationUrl, { username: 'alice', isDone: (u) => u.href.startsWith(redirectUri) });
 * const code = callback.searchParams.get('code');
 */
export async function completeLogin(startUrl: string | URL, options: HeadlessLoginOptions): Promise<URL> {
  const jar = new CookieJar();
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  let url = new URL(startUrl);
  let body: URLSearchParams | undefined;
  for (let step = 0; step < (options.maxSteps ?? 20); step++) {
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      body,
      redirect: 'manual',
      signal: deadline,
      headers: { cookie: jar.header(url), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    });
    jar.store(url, response);
    body = undefined;
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url);
      if (options.isDone(url)) return url;
      continue;
    }
    const text = await response.text();
    const action = response.ok ? FORM_ACTION.exec(text)?.[1] : undefined;
    if (!action) {
      throw new Error(`login flow stopped at ${url.origin}${url.pathname} with HTTP ${response.status}: ${visibleText(text).slice(0, 200)}`);
    }
    url = new URL(action.replace(/&amp;/g, '&'), url);
    body = new URLSearchParams();
    if (action.endsWith('/login')) body.set('username', typeof options.username === 'function' ? options.username(url) : options.username);
  }
  throw new Error('login flow did not reach the redirect URI within the step limit');
}
