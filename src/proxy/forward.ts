import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Agent, request, type Dispatcher } from 'undici';

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
 */
export async function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: { origin: string; agent: Dispatcher; upstreamToken: string },
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  const connectionTokens = new Set(
    String(req.headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionTokens.has(name)) continue;
    headers[name] = value;
  }
  headers.authorization = `Bearer ${target.upstreamToken}`;
  if (req.headers['content-length']) headers['content-length'] = req.headers['content-length'];
  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) abort.abort();
  };
  res.once('close', onClose);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  let upstream: Dispatcher.ResponseData;
  try {
    upstream = await request(`${target.origin}${req.url ?? '/'}`, {
      dispatcher: target.agent,
      method: req.method as Dispatcher.HttpMethod,
      headers,
      ...(hasBody ? { body: req } : {}),
      signal: abort.signal,
    });
  } catch (err) {
    res.off('close', onClose);
    if (abort.signal.aborted) return;
    throw err;
  }
  const outHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined || name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
    outHeaders[name] = value;
  }
  res.writeHead(upstream.statusCode, outHeaders);
  res.flushHeaders();
  try {
    await pipeline(upstream.body, res);
  } catch {
    // Client or upstream went away mid-stream: both sides are torn down by pipeline.
  } finally {
    res.off('close', onClose);
  }
}
