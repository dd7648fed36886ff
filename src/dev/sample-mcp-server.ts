import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface SampleMcpServerOptions {
  host?: string;
  port?: number;
  /** MCP endpoint path; default /mcp. */
  path?: string;
  /** Optional OIDC userinfo endpoint of the upstream IdP: used to show who the token belongs to. */
  userinfoUrl?: string;
}

/** First 16 hex chars of SHA-256: identifies a token in output without revealing it. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

function bearerOf(headers: Record<string, string | string[] | undefined>): string | null {
  const value = headers.authorization;
  const text = Array.isArray(value) ? value[0] : value;
  const m = /^Bearer (.+)$/i.exec(text ?? '');
  return m ? m[1]! : null;
}

async function whoIs(token: string, userinfoUrl: string | undefined): Promise<string | null> {
  if (userinfoUrl) {
    try {
      const res = await fetch(userinfoUrl, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
      if (res.ok) {
        const body = (await res.json()) as { sub?: unknown; email?: unknown; name?: unknown };
        return [body.sub, body.email, body.name].find((v): v is string => typeof v === 'string') ?? null;
      }
    } catch {
      // fall through: unknown user
    }
    return null;
  }
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}

function buildServer(token: string | null, options: SampleMcpServerOptions): McpServer {
  const server = new McpServer({ name: 'mcp-authserver-sample', version: '0.1.0' }, { capabilities: { logging: {} } });
  server.registerTool(
    'whoami',
    { description: 'Shows the user behind the bearer token this server received, and a redacted fingerprint of that token' },
    async () => {
      const user = token ? await whoIs(token, options.userinfoUrl) : null;
      const result = { user, upstream_token_fingerprint: token ? tokenFingerprint(token) : null };
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    },
  );
  server.registerTool(
    'count',
    { description: 'Counts to n, sending one progress notification per step (exercises SSE streaming)', inputSchema: { n: z.number().int().min(1).max(100) } },
    async ({ n }, extra) => {
      for (let i = 1; i <= n; i++) {
        await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: `step ${i}` } });
      }
      return { content: [{ type: 'text', text: `counted to ${n}` }] };
    },
  );
  return server;
}

/**
 * A small MCP server (SDK `McpServer` + stateless streamable HTTP) for the dev stack and the
 * end-to-end tests. Its `whoami` tool reports the user and a fingerprint of the bearer token it
 * received (never the token), which shows that the proxy swapped in the upstream IdP's token.
 *
 * @example
 * const mcp = await startSampleMcpServer({ port: 0 });
 * // POST http://127.0.0.1:PORT/mcp with the MCP streamable HTTP protocol
 * await mcp.close();
 */
export async function startSampleMcpServer(options: SampleMcpServerOptions = {}): Promise<{ url: string; address(): AddressInfo; tokensSeen: string[]; close(): Promise<void> }> {
  const path = options.path ?? '/mcp';
  const tokensSeen: string[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if ((req.url ?? '').split('?', 1)[0] !== path) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST', 'Content-Type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null }));
      return;
    }
    const token = bearerOf(req.headers);
    if (token) tokensSeen.push(tokenFingerprint(token));
    const server = buildServer(token, options);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res);
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
    }
  };
  const httpServer = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = () => httpServer.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address().port}${path}`,
    address,
    tokensSeen,
    close: () =>
      new Promise((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      }),
  };
}
