import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Agent, type Dispatcher } from 'undici';

/** RFC 9110 §7.6.1 hop-by-hop headers, plus ones the proxy sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'host',
  'authorization',
  'content-length',
  // The proxy reads the whole request itself; undici refuses to send `Expect: 100-continue`.
  'expect',
]);

export function createUpstreamAgent(): Agent {
  // bodyTimeout 0: SSE / streamable HTTP responses may stay open for a long time.
  return new Agent({ keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 0, connectTimeout: 5_000 });
}

/**
 * Forwards one request to the MCP server with `Authorization: Bearer <upstream token>`,
 * streaming both bodies (no buffering: SSE events reach the client as they are written), and
 * aborting the upstream request when the client goes away.
 *
 * Resolves when the response is done (or the client went away), rejects when the MCP server could
 * not be reached before any response header was sent (the caller answers 502).
 *
 * Written as an undici dispatch handler that writes straight into `res`, not as
 * `request()` + `stream.pipeline()`: those create two AbortSignals per request (undici's signal,
 * pipeline's own controller), and on Node 20 every AbortSignal gets its own hidden class (it is
 * built as an EventTarget whose prototype is then changed), so each one and what it references
 * outlives the young generation and piles up in old space until a full GC (issue 7: the
 * proxy's resident memory under load).
 */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: { origin: string; agent: Dispatcher; upstreamToken: string },
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  const connection = req.headers.connection;
  // Headers named by Connection are hop-by-hop too (RFC 9110 §7.6.1); the usual values name none.
  const connectionTokens = connection && connection !== 'keep-alive' && connection !== 'close' ? connectionTokenSet(connection) : undefined;
  const incoming = req.headers;
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || HOP_BY_HOP.has(name) || connectionTokens?.has(name)) continue;
    headers[name] = value;
  }
  headers.authorization = `Bearer ${target.upstreamToken}`;
  if (incoming['content-length']) headers['content-length'] = incoming['content-length'];
  return new Promise<void>((resolve, reject) => {
    // The client went away while its token was checked: nothing to forward.
    if (res.destroyed) {
      resolve();
      return;
    }
    let path: string;
    try {
      path = upstreamPath(target.origin, req.url ?? '/');
    } catch (err) {
      reject(err);
      return;
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    target.agent.dispatch(
      { origin: target.origin, path, method: req.method as Dispatcher.HttpMethod, headers, body: hasBody ? req : null },
      new ForwardHandler(req, res, hasBody, resolve, reject),
    );
  });
}

function connectionTokenSet(connection: string): Set<string> {
  const tokens = new Set<string>();
  for (const part of connection.split(',')) {
    const token = part.trim().toLowerCase();
    if (token) tokens.add(token);
  }
  return tokens;
}

/** Origin-form targets that `new URL` would give back unchanged (no dot segment, nothing to encode). */
const PLAIN_TARGET = /^\/(?!\/)[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*(?<!\?)$/;
const DOT_SEGMENT = /\/\.|%2e/i;

/**
 * The request target sent upstream: what `new URL(origin + target)` gives (as undici's
 * request(url) parsed it), which must stay on the MCP server's origin. Plain origin-form targets,
 * the usual case, are returned as they are without building a URL (the same text: property-tested).
 */
export function upstreamPath(origin: string, target: string): string {
  if (PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target)) return target;
  const url = new URL(`${origin}${target}`);
  if (url.origin !== origin) throw new Error('the request target leaves the MCP server');
  return `${url.pathname}${url.search}`;
}

const noop = () => undefined;

/** Streams one upstream response into the client's response (undici's dispatch handler API). */
class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #hasBody: boolean;
  #resolve: (() => void) | null;
  readonly #reject: (err: Error) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #clientGone = false;
  #started = false;

  constructor(req: IncomingMessage, res: ServerResponse, hasBody: boolean, resolve: () => void, reject: (err: Error) => void) {
    this.#req = req;
    this.#res = res;
    this.#hasBody = hasBody;
    this.#resolve = resolve;
    this.#reject = reject;
    res.once('close', this.#onClose);
  }

  /** The client went away: abort the upstream request (before or after its response started). */
  readonly #onClose = (): void => {
    if (this.#res.writableFinished) return;
    this.#clientGone = true;
    this.#controller?.abort(new Error('the client went away'));
  };

  readonly #onDrain = (): void => {
    this.#controller?.resume();
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new Error('the client went away'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx informational answers are not forwarded (the final answer follows).
    if (statusCode < 200) return;
    const out: Record<string, string | string[]> = {};
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
      out[name] = value;
    }
    this.#started = true;
    this.#res.writeHead(statusCode, out);
    this.#res.flushHeaders();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#res.write(chunk)) {
      // Backpressure: stop reading the MCP server until the client has taken what was written.
      controller.pause();
      this.#res.once('drain', this.#onDrain);
    }
  }

  onResponseEnd(): void {
    this.#res.off('close', this.#onClose);
    this.#res.end();
    this.#done();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    // The client's connection closed (the error is then its request body's or our abort): not
    // the MCP server's failure.
    const clientGone = this.#clientGone || this.#res.destroyed || (this.#req.socket?.destroyed ?? true);
    this.#res.off('close', this.#onClose);
    this.#res.off('drain', this.#onDrain);
    if (this.#hasBody && !this.#req.destroyed) {
      // As undici's request() does: the request body is not read any further.
      this.#req.on('error', noop);
      this.#req.destroy(err);
    }
    if (clientGone) {
      this.#done();
    } else if (this.#started) {
      // The MCP server went away mid-response: tear down the client's response too.
      this.#res.destroy();
      this.#done();
    } else if (this.#resolve) {
      this.#resolve = null;
      this.#reject(err);
    }
  }

  #done(): void {
    const resolve = this.#resolve;
    this.#resolve = null;
    resolve?.();
  }
}
