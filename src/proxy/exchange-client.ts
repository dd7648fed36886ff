import { LRUCache } from 'lru-cache';
import type { Dispatcher } from 'undici';
import { FileCertSource, ReloadingAgent } from '../pki/index.ts';
import { MAX_CACHE_TTL_MS, type ExchangeClientConfig } from './client-config.ts';

/** Stable failure classes of the exchange, mapped to client responses by spec §2.11. */
export type ExchangeFailure = 'invalid_grant' | 'forbidden' | 'unavailable';

export class ExchangeClientError extends Error {
  constructor(
    readonly code: ExchangeFailure,
    message: string,
    /** Status and `error` of the auth server's answer, for logs (never a token). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ExchangeClientError';
  }
}

/** Spec §4.4: an entry is used only while `now + 30 s < upstream expiry`. */
export const SAFETY_BUFFER_MS = 30_000;
const ERROR_BODY_LIMIT_BYTES = 1024;
/** An answer larger than this is not a token response (it is refused, not buffered further). */
const BODY_LIMIT_BYTES = 1024 * 1024;
/**
 * Keep-alive connections to the auth server, at most. An exchange is one small POST and answer, so
 * a few connections carry thousands a second; further cache misses wait for a free one (inside
 * the total timeout). Unbounded, every concurrent miss opened its own mTLS connection, ~80 KB of
 * native memory each that the allocator keeps after it closes (issue 7: 50 concurrent misses
 * cost the proxy ~5 MB of resident memory for good).
 */
export const EXCHANGE_MAX_CONNECTIONS = 8;

interface CacheEntry {
  accessToken: string;
  /** Upstream expiry, epoch ms; 0 when the auth server sent no expires_in. */
  upstreamExpiresAtMs: number;
}

export interface ExchangeClientOptions {
  config: ExchangeClientConfig;
  /** mTLS material (client cert/key + the CA bundle, the only trust anchor). Started by the caller. */
  source: FileCertSource;
  now?: () => number;
  /** Default 5 s (spec §4.4). */
  connectTimeoutMs?: number;
  /** Whole request bound; default 10 s (spec §4.4). */
  totalTimeoutMs?: number;
  /** Override SNI/hostname verification (tests connecting to 127.0.0.1). */
  servername?: string;
}

/**
 * The proxy's auth-server client (spec §4.4 [REV k]): POSTs the validated client JWT to
 * `{url}/internal/token-exchange` over mTLS (undici, trusts only the CA bundle, material rebuilt on
 * file change), caches the upstream token per (tsid, upstream_idp) for min(80 % of its remaining
 * life, cache_default_ttl ≤ 5 min) in a bounded LRU, single-flights misses, never caches errors.
 *
 * @example
 * const client = new ExchangeClient({ config: parseClientConfig(process.env.TOOLHIVE_AUTHSERVER_CONFIG!), source });
 * const { accessToken } = await client.exchange(jwt, claims.tsid);
 */
export class ExchangeClient {
  readonly #config: ExchangeClientConfig;
  readonly #agent: ReloadingAgent;
  readonly #now: () => number;
  readonly #totalTimeoutMs: number;
  readonly #cache: LRUCache<string, CacheEntry>;
  readonly #inFlight = new Map<string, Promise<CacheEntry>>();
  readonly #sweep: NodeJS.Timeout;
  readonly #origin: string;
  readonly #path: string;
  /** Number of requests sent to the auth server (cache misses), for tests and metrics. */
  requests = 0;

  constructor(options: ExchangeClientOptions) {
    this.#config = options.config;
    this.#now = options.now ?? Date.now;
    this.#totalTimeoutMs = options.totalTimeoutMs ?? 10_000;
    const endpoint = new URL(`${this.#config.url}/internal/token-exchange`);
    this.#origin = endpoint.origin;
    this.#path = endpoint.pathname;
    this.#agent = new ReloadingAgent(options.source, {
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      ...(options.servername ? { servername: options.servername } : {}),
      connections: EXCHANGE_MAX_CONNECTIONS,
    });
    this.#cache = new LRUCache<string, CacheEntry>({
      max: this.#config.cacheMaxEntries,
      ttl: MAX_CACHE_TTL_MS,
      ttlAutopurge: false,
      ttlResolution: 0,
      perf: { now: () => this.#now() },
    });
    // Spec §4.4: periodic sweep every 60 s.
    this.#sweep = setInterval(() => this.#cache.purgeStale(), 60_000);
    this.#sweep.unref();
  }

  /** Entries currently cached (including not yet swept stale ones). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /**
   * The upstream access token for an already validated client JWT. `tsid` comes from the
   * validated claims. Throws {@link ExchangeClientError}.
   */
  async exchange(subjectToken: string, tsid: string): Promise<{ accessToken: string; cached: boolean }> {
    // Spec §4.4 keys the cache by (tsid, upstream_idp); one client has one upstream_idp, so the tsid
    // alone is the key (not a concatenated string kept per entry).
    const key = tsid;
    const hit = this.#cache.get(key);
    if (hit && (hit.upstreamExpiresAtMs === 0 || this.#now() + SAFETY_BUFFER_MS < hit.upstreamExpiresAtMs)) {
      return { accessToken: hit.accessToken, cached: true };
    }
    let flight = this.#inFlight.get(key);
    if (!flight) {
      flight = this.#fetch(subjectToken)
        .then((entry) => {
          const ttl = cacheTtlMs(entry, this.#now(), this.#config.cacheDefaultTtlMs);
          if (ttl > 0) this.#cache.set(key, entry, { ttl });
          return entry;
        })
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, flight);
    }
    const entry = await flight;
    return { accessToken: entry.accessToken, cached: false };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#cache.clear();
    await this.#agent.close();
  }

  async #fetch(subjectToken: string): Promise<CacheEntry> {
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      ...(this.#config.upstreamIdp ? { audience: this.#config.upstreamIdp } : {}),
    });
    this.requests += 1;
    let res: ExchangeResponse;
    try {
      res = await postForm(this.#agent, { origin: this.#origin, path: this.#path, body: form.toString() }, this.#totalTimeoutMs);
    } catch (err) {
      throw new ExchangeClientError('unavailable', 'the auth server is unreachable', (err as { code?: string }).code ?? (err as Error).name);
    }
    if (res.statusCode !== 200) {
      const { error, text } = parseErrorBody(res.body);
      const detail = `status ${res.statusCode}${error ? ` error ${error}` : ''}${text ? `: ${text}` : ''}`;
      if (error === 'invalid_grant') throw new ExchangeClientError('invalid_grant', 'the session is no longer valid', detail);
      if (res.statusCode === 401 || res.statusCode === 403) throw new ExchangeClientError('forbidden', 'this MCP server is not allowed to use the session', detail);
      throw new ExchangeClientError('unavailable', 'the auth server could not exchange the token', detail);
    }
    let body: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    try {
      if (res.truncated) throw new Error('body too large');
      body = JSON.parse(utf8Text(res.body)) as typeof body;
    } catch {
      throw new ExchangeClientError('unavailable', 'the auth server sent an invalid response', 'body is not JSON');
    }
    if (typeof body !== 'object' || body === null || typeof body.access_token !== 'string' || body.access_token === '') {
      throw new ExchangeClientError('unavailable', 'the auth server sent an invalid response', 'no access_token');
    }
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 0;
    return { accessToken: body.access_token, upstreamExpiresAtMs: expiresIn ? this.#now() + expiresIn * 1000 : 0 };
  }
}

/**
 * Cache TTL (spec §4.4, §7 item 7): min(80 % of the remaining upstream life, 5 min), shortened so
 * the entry is gone before the 30 s safety buffer; `cache_default_ttl` when the expiry is unknown.
 *
 * @example
 * cacheTtlMs({ upstreamExpiresAtMs: 1_000_000 + 3_600_000 }, 1_000_000, 300_000) // 300000
 * cacheTtlMs({ upstreamExpiresAtMs: 1_000_000 + 100_000 }, 1_000_000, 300_000)   // 70000
 */
export function cacheTtlMs(entry: Pick<CacheEntry, 'upstreamExpiresAtMs'>, nowMs: number, defaultTtlMs: number): number {
  if (entry.upstreamExpiresAtMs === 0) return Math.min(defaultTtlMs, MAX_CACHE_TTL_MS);
  const remaining = entry.upstreamExpiresAtMs - nowMs;
  const ttl = Math.min(Math.floor(remaining * 0.8), remaining - SAFETY_BUFFER_MS, MAX_CACHE_TTL_MS);
  return Math.max(0, ttl);
}

function parseErrorBody(body: Buffer): { error?: string; text: string } {
  const text = body.subarray(0, ERROR_BODY_LIMIT_BYTES).toString('utf8');
  try {
    const parsed = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    const error = typeof parsed.error === 'string' ? parsed.error : undefined;
    const description = typeof parsed.error_description === 'string' ? parsed.error_description.slice(0, 200) : '';
    return { ...(error ? { error } : {}), text: description };
  } catch {
    return { text: '' };
  }
}

/** UTF-8 text of a body without a leading byte-order mark (as undici's body.json() reads it). */
function utf8Text(body: Buffer): string {
  const start = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  return body.toString('utf8', start);
}

interface ExchangeResponse {
  statusCode: number;
  body: Buffer;
  /** The body went on past what was read (the error body limit, or BODY_LIMIT_BYTES). */
  truncated: boolean;
}

/**
 * POSTs a form and reads the answer, bounded by `timeoutMs` overall (connect, headers and body):
 * an undici dispatch handler rather than request() with AbortSignal.timeout(), which builds an
 * AbortSignal, a timer and a FinalizationRegistry entry per exchange; on Node 20 each AbortSignal
 * gets its own hidden class and outlives the young generation with what it references (issue 7).
 * A non-200 body is read up to ERROR_BODY_LIMIT_BYTES, a 200 body up to BODY_LIMIT_BYTES.
 */
function postForm(dispatcher: Dispatcher, target: { origin: string; path: string; body: string }, timeoutMs: number): Promise<ExchangeResponse> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(
      {
        origin: target.origin,
        path: target.path,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: target.body,
      },
      new FormResponseHandler(resolve, reject, timeoutMs),
    );
  });
}

class FormResponseHandler implements Dispatcher.DispatchHandler {
  readonly #resolve: (res: ExchangeResponse) => void;
  readonly #reject: (err: Error) => void;
  readonly #timer: NodeJS.Timeout;
  #controller: Dispatcher.DispatchController | null = null;
  #settled = false;
  #timedOut: Error | null = null;
  #statusCode = 0;
  #limit = BODY_LIMIT_BYTES;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(resolve: (res: ExchangeResponse) => void, reject: (err: Error) => void, timeoutMs: number) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#timer = setTimeout(this.#onTimeout, timeoutMs);
    this.#timer.unref();
  }

  readonly #onTimeout = (): void => {
    const err = new Error('the exchange took too long');
    err.name = 'TimeoutError';
    this.#timedOut = err;
    this.#controller?.abort(err);
    this.#fail(err);
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#timedOut) controller.abort(this.#timedOut);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    if (statusCode < 200) return;
    this.#statusCode = statusCode;
    if (statusCode !== 200) this.#limit = ERROR_BODY_LIMIT_BYTES;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size >= this.#limit) {
      // Enough read: the rest is not wanted (the answer is settled before the abort reports back).
      this.#settle({ statusCode: this.#statusCode, body: Buffer.concat(this.#chunks, this.#size), truncated: this.#size > this.#limit || this.#statusCode === 200 });
      controller.abort(new Error('response body limit'));
    }
  }

  onResponseEnd(): void {
    this.#settle({ statusCode: this.#statusCode, body: this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size), truncated: false });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.#fail(this.#timedOut ?? err);
  }

  #settle(res: ExchangeResponse): void {
    if (this.#finish()) this.#resolve(res);
  }

  #fail(err: Error): void {
    if (this.#finish()) this.#reject(err);
  }

  /** True the first time only: the answer is settled once, and the timer and buffer let go. */
  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#chunks = [];
    return true;
  }
}
