import type { Command } from 'commander';

interface ProxyFlags {
  listen: string;
  upstream: string;
  resourceUrl: string;
  issuer: string;
  jwksUrl?: string;
  scopes?: string;
  certReloadInterval: string;
}

function parseListen(value: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`--listen must be HOST:PORT or :PORT, got ${JSON.stringify(value)}`);
  return { host: m[1] === '' ? '0.0.0.0' : m[1]!.replace(/^\[|\]$/g, ''), port };
}

/**
 * `mcp-authserver proxy`: the MCP server's front door (spec §2.11, §4.3, §4.4). Flags carry the
 * resource/issuer; the auth-server client config comes from TOOLHIVE_AUTHSERVER_CONFIG.
 */
export function defineProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('MCP proxy: RFC 9728 metadata, JWT check, mTLS token exchange with the auth server, streaming forward')
    .requiredOption('--upstream <url>', 'URL of the MCP server (e.g. http://127.0.0.1:8080)')
    .requiredOption('--resource-url <url>', 'public URL of this MCP server (the OAuth resource / JWT audience)')
    .requiredOption('--issuer <url>', 'auth server issuer URL')
    .option('--listen <addr>', 'listen address HOST:PORT', ':8000')
    .option('--jwks-url <url>', 'JWKS URL (default <issuer>/.well-known/jwks.json)')
    .option('--scopes <list>', 'comma-separated scopes_supported for the metadata')
    .option('--cert-reload-interval <ms>', 'poll interval of the mTLS files in ms', '10000')
    .action(async (flags: ProxyFlags) => {
      // The proxy's live heap is small (~30 MB with 10,000 cached tokens) but it allocates fast; with
      // V8's default old-space growth (and the image's small young generation, which promotes more)
      // the heap grew to ~3× that between full collections (issue 7's 100 MB budget).
      const { limitHeapGrowth } = await import('../lib/heap-growth.ts');
      limitHeapGrowth();
      const { setFlagsFromString } = await import('node:v8');
      // undici parses HTTP/1.1 with llhttp compiled to WebAssembly. Once the parser is hot, V8
      // recompiles it with TurboFan on a background thread, and compiling that one huge
      // state-machine function took ~35 MB of native memory at once, which set the proxy's peak
      // RSS (issue 7). Liftoff's baseline code parses the proxy's small messages just as cheaply
      // (an undici request loop costs 57-62 us/request with or without TurboFan). V8 reads the flag
      // when undici compiles the parser at its first connection, so it is set before anything connects.
      setFlagsFromString('--liftoff-only');
      const { parseClientConfig, CLIENT_CONFIG_ENV, ExchangeClient, createProxy, startProxy } = await import('../../proxy/index.ts');
      const { FileCertSource } = await import('../../pki/index.ts');
      const { createLogger } = await import('../../telemetry/index.ts');
      const logger = createLogger({ name: 'mcp-authserver-proxy', level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info' });
      const raw = process.env[CLIENT_CONFIG_ENV];
      if (!raw) throw new Error(`${CLIENT_CONFIG_ENV} is not set (JSON client configuration of the auth server, spec §4.3)`);
      const config = parseClientConfig(raw);
      const listen = parseListen(flags.listen);
      const reloadMs = Number(flags.certReloadInterval);
      if (!Number.isInteger(reloadMs) || reloadMs < 100 || reloadMs > 60_000) throw new Error('--cert-reload-interval must be an integer between 100 and 60000 (ms)');
      const source = new FileCertSource({
        certFile: config.clientCertPath,
        keyFile: config.clientKeyPath,
        caFile: config.caBundlePath,
        pollIntervalMs: reloadMs,
        onError: (err) => logger.warn({ code: err.code }, `keeping the last good client certificate: ${err.message}`),
      });
      await source.start();
      const exchanger = new ExchangeClient({ config, source });
      const proxy = createProxy({
        resourceUrl: flags.resourceUrl,
        issuer: flags.issuer,
        upstreamUrl: flags.upstream,
        exchanger,
        // One line per refused or failed request: reason codes only, never tokens.
        onEvent: (e) => {
          if (e.outcome === 'denied') logger.warn({ reason: e.reason, status: e.status }, 'request refused');
          else if (e.outcome === 'error') logger.error({ reason: e.reason, status: e.status }, 'request failed');
        },
        ...(flags.jwksUrl ? { jwksUrl: flags.jwksUrl } : {}),
        ...(flags.scopes ? { scopes: flags.scopes.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      });
      const running = await startProxy(proxy, listen);
      console.error(`mcp-authserver proxy: listening on ${listen.host}:${running.address().port}, forwarding to ${flags.upstream}`);
      const stop = async () => {
        await running.close();
        await exchanger.close();
        source.stop();
        process.exit(0);
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
    });
}
