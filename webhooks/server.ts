import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { FileCertSource, serveTlsFromFiles, tlsServerOptions } from '../src/pki/index.ts';
import { decodeAdmissionReview } from './framework/decode-review.ts';
import { isPromise } from './framework/validator-handler.ts';
import { WebhookError } from './framework/errors.ts';
import { parseListenAddress } from './framework/listen-address.ts';
import { createAdmissionMetrics, type AdmissionOutcome } from './framework/metrics.ts';
import { encodeReviewResponseBytes, errored } from './framework/responses.ts';
import { ADMISSION_API_VERSION, ADMISSION_KIND, type AdmissionRequest, type AdmissionResponse } from './framework/types.ts';
import type { InjectionLookup } from './lookup/injection-lookup.ts';
import { buildRoutes, type Route } from './routes.ts';

export interface WebhookServerOptions {
  /** `HOST:PORT`, `:PORT` or `[IPv6]:PORT`; port 0 picks a free port. */
  listen: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Cluster cache for pod injection and cross-object warnings; absent = pod injection answers 503. */
  lookup?: InjectionLookup;
  featureGates?: { MultiUpstreamIdp?: boolean };
  /** For the default internal auth-server URL; default `cluster.local`. */
  clusterDomain?: string;
  /** AdmissionReview body limit; default 3 MiB (the apiserver's own request limit), 413 beyond. */
  bodyLimitBytes?: number;
  /** How often the serving cert/key files are compared with what is loaded; default 10 s. */
  certPollIntervalMs?: number;
  /** Longer than the apiserver's 90–100 s idle timeout so it never writes to a socket we closed; default 120 s. */
  keepAliveTimeoutMs?: number;
  /** How long `close()` waits for in-flight reviews before cutting connections; default 10 s. */
  drainTimeoutMs?: number;
  logger?: Logger;
  /** Registry for `admission_duration_seconds`; default a fresh one served on `/metrics`. */
  registry?: Registry;
}

export interface WebhookServer {
  address(): AddressInfo;
  /** Cert loaded, caches synced and not draining: what `/readyz` answers. */
  ready(): boolean;
  /** Stops accepting, answers in-flight reviews, closes keep-alive connections (graceful drain). */
  close(): Promise<void>;
}

const DEFAULTS = {
  bodyLimitBytes: 3 * 1024 * 1024,
  certPollIntervalMs: 10_000,
  keepAliveTimeoutMs: 120_000,
  drainTimeoutMs: 10_000,
};

/**
 * Starts the admission webhook HTTPS server (spec §4.5): the seven AdmissionReview paths of
 * `routes.ts`, `/healthz`, `/readyz`, `/metrics`. The serving cert is re-read from the files when
 * they change (new handshakes get the new cert, no restart). Resolves once listening; rejects
 * when the cert cannot be loaded or the address is taken.
 *
 * @example
 * const server = await startWebhookServer({ listen: ':9443', tlsCertFile: 'tls.crt', tlsKeyFile: 'tls.key', lookup });
 * process.once('SIGTERM', () => void server.close());
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { host, port } = parseListenAddress(options.listen);
  const settings = { ...DEFAULTS, ...definedOnly(options) };
  const logger = options.logger ?? pino({ name: 'webhook' });
  const metrics = createAdmissionMetrics(options.registry);
  const routes = buildRoutes(options);
  const source = new FileCertSource({
    certFile: options.tlsCertFile,
    keyFile: options.tlsKeyFile,
    pollIntervalMs: settings.certPollIntervalMs,
    onError: (err) => logger.warn({ code: err.code, err: err.message }, 'serving certificate reload failed; keeping the last good one'),
  });
  await source.start();
  let draining = false;
  const ready = () => source.loaded && !draining && (options.lookup ? options.lookup.synced() : true);

  const server = https.createServer({ ...tlsServerOptions(source), minVersion: 'TLSv1.2' }, (req, res) => {
    try {
      dispatch(req, res);
    } catch (err) {
      fail(res, err);
    }
  });
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  server.headersTimeout = settings.keepAliveTimeoutMs + 5_000;
  const detach = serveTlsFromFiles(server, source);
  source.subscribe((m) => logger.info({ version: m.version, notAfter: new Date(m.notAfterMs).toISOString() }, 'serving certificate reloaded'));

  function fail(res: ServerResponse, err: unknown): void {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'internal error while answering a request');
    if (!res.headersSent) sendText(res, 500, 'internal error');
    else res.destroy();
  }

  function sendJson(res: ServerResponse, status: number, value: unknown): void {
    send(res, status, 'application/json', JSON.stringify(value));
  }

  function sendText(res: ServerResponse, status: number, text: string, headers?: Record<string, string>): void {
    send(res, status, 'text/plain; charset=utf-8', text, headers);
  }

  function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers?: Record<string, string>): void {
    // The answer goes out as one Buffer (reviews are encoded straight into one). node:http holds
    // what it writes until the socket write completes, which is after this tick: a string
    // (node:http joins the head and the text into one) would sit in V8's young generation per
    // connection and be copied by every scavenge, and those survivors are what grows the young
    // generation under load (issue 7: ~47 KB → ~27 KB surviving per scavenge at 8 connections).
    // A Buffer's bytes live outside the heap.
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const head: Record<string, string | number> = { 'Content-Type': contentType, 'Content-Length': bytes.length };
    // While draining, every answer asks the client to close, so keep-alive sockets go away.
    if (draining) head.Connection = 'close';
    if (headers) Object.assign(head, headers);
    res.writeHead(status, head);
    res.end(bytes);
  }

  /**
   * Routes on the path alone (the apiserver appends `?timeout=10s`). A review is answered in the
   * same tick its body completes when the plugin is synchronous (all of ours are): no promise,
   * no framework layer, per review.
   */
  function dispatch(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (path === '/healthz' || path === '/readyz' || path === '/metrics') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, `${path} accepts GET`, { Allow: 'GET, HEAD' });
      if (path === '/healthz') return sendText(res, 200, 'ok');
      if (path === '/readyz') return ready() ? sendText(res, 200, 'ok') : sendText(res, 503, notReadyReason());
      metrics.registry.metrics().then(
        (body) => send(res, 200, metrics.registry.contentType, body),
        (err: unknown) => fail(res, err),
      );
      return;
    }
    const route = routes.get(path);
    if (!route) return sendText(res, 404, `no webhook at ${path}`);
    if (req.method !== 'POST') return sendText(res, 405, `${path} accepts POST (an AdmissionReview)`, { Allow: 'POST' });
    readBody(req, settings.bodyLimitBytes, (err, body) => {
      try {
        if (err) throw err;
        if (body === undefined) {
          metrics.observe(route.plugin, 'rejected', 0);
          res.setHeader('Connection', 'close');
          sendJson(res, 413, rejection(undefined, 413, `request body exceeds ${settings.bodyLimitBytes} bytes`));
          req.resume();
          return;
        }
        review(path, route, body, res);
      } catch (caught) {
        fail(res, caught);
      }
    });
  }

  function review(path: string, route: Route, body: Buffer, res: ServerResponse): void {
    const started = performance.now();
    let request: AdmissionRequest;
    try {
      request = decodeAdmissionReview(body);
    } catch (err) {
      if (!(err instanceof WebhookError)) throw err;
      metrics.observe(route.plugin, 'rejected', (performance.now() - started) / 1000);
      logger.info({ path, code: err.code }, 'malformed AdmissionReview rejected');
      return sendJson(res, err.httpStatus, rejection(err.uid, err.httpStatus, err.message));
    }
    const answer = (response: AdmissionResponse) => {
      const outcome = outcomeOf(response);
      metrics.observe(route.plugin, outcome, (performance.now() - started) / 1000);
      if (outcome === 'denied' || outcome === 'errored') {
        logger.info(
          { plugin: route.plugin, uid: request.uid, operation: request.operation, namespace: request.namespace, name: request.name, dryRun: request.dryRun === true, code: response.status?.code, reason: response.status?.message },
          'admission refused',
        );
      }
      send(res, 200, 'application/json', encodeReviewResponseBytes(request.uid, response));
    };
    let response: AdmissionResponse | Promise<AdmissionResponse>;
    try {
      response = route.handler(request);
    } catch (err) {
      response = pluginFailed(route, request, err);
    }
    if (!isPromise(response)) return answer(response);
    response.then(answer, (err: unknown) => answer(pluginFailed(route, request, err))).catch((err: unknown) => fail(res, err));
  }

  function pluginFailed(route: Route, request: AdmissionRequest, err: unknown): AdmissionResponse {
    // Never send exception text to the apiserver/user; log it without the object (pods carry env values).
    logger.error({ plugin: route.plugin, uid: request.uid, err: err instanceof Error ? err.message : String(err) }, 'webhook plugin failed');
    return errored(500, `internal error in ${route.plugin}`);
  }

  function notReadyReason(): string {
    if (draining) return 'shutting down';
    if (!source.loaded) return 'serving certificate not loaded';
    return 'informer caches not synced';
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    source.stop();
    detach();
    throw err;
  }
  logger.info({ address: server.address() }, 'webhook server listening');

  let closing: Promise<void> | undefined;
  return {
    address: () => server.address() as AddressInfo,
    ready,
    close() {
      closing ??= new Promise<void>((resolve) => {
        draining = true;
        source.stop();
        detach();
        const force = setTimeout(() => server.closeAllConnections(), settings.drainTimeoutMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function outcomeOf(response: AdmissionResponse): AdmissionOutcome {
  if (response.allowed) return response.patch && response.patch.length > 0 ? 'patched' : 'allowed';
  return response.status?.code === 403 ? 'denied' : 'errored';
}

/** A review that could not be decoded: still an AdmissionReview, echoing the uid when known. */
function rejection(uid: string | undefined, code: number, message: string) {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response: { uid: uid ?? '', allowed: false, status: { code, message } } };
}

/**
 * Reads the body into one Buffer and calls back once: undefined when it exceeds `limitBytes`
 * (checked against Content-Length first). Past the limit the rest is discarded, not buffered; the
 * caller answers 413 and closes.
 */
function readBody(req: IncomingMessage, limitBytes: number, callback: (err: Error | undefined, body?: Buffer) => void): void {
  let called = false;
  const done = (err: Error | undefined, body?: Buffer) => {
    if (called) return;
    called = true;
    callback(err, body);
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) return done(undefined, undefined);
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limitBytes) {
      req.off('data', onData);
      req.off('end', onEnd);
      chunks.length = 0;
      done(undefined, undefined);
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () => done(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', (err) => done(err));
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
