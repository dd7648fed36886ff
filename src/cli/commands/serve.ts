// `mcp-authserver serve --config FILE`: the auth server (spec §2.0). The public OAuth listener
// (HTTPS with the tls block unless "public_tls": false; plain HTTP without a tls block) and, when
// a tls block exists, the internal mTLS token-exchange listener from src/exchange. Heavy modules
// are imported lazily so other subcommands start fast.
import type { Command } from 'commander';

export function defineServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the auth server: public OAuth listener and internal mTLS token-exchange listener')
    .requiredOption('--config <file>', 'auth server config.json (spec §4.1)')
    .action(async (options: { config: string }) => {
      // Signal handlers first: a SIGTERM during start-up (slow module loading, pod deleted early)
      // must still shut down cleanly instead of killing the process mid-way.
      let stopping = false;
      let running: Promise<RunningServe> | null = null;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        (running ?? Promise.reject(new Error('not started')))
          .then((server) => {
            server.logger.info({ signal }, 'shutting down');
            return server.close();
          })
          .then(
            () => process.exit(0),
            () => process.exit(1),
          );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      // The memory store's sessions are long-lived heap data; without this V8 sized the heap at
      // up to twice the live data (issue 7).
      const { limitHeapGrowth } = await import('../lib/heap-growth.ts');
      limitHeapGrowth();
      running = startServe(options.config);
      await running;
    });
}

/** Splits `host:port`, `:port` or `[v6]:port`; an empty host listens on all interfaces. */
export function parseListenAddr(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  if (!m) throw new Error(`invalid listen address "${addr}" (expected host:port or :port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid listen address "${addr}": port out of range`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

export interface RunningServe {
  logger: import('../../telemetry/index.ts').Logger;
  publicAddress(): import('node:net').AddressInfo;
  internalAddress(): import('node:net').AddressInfo | null;
  close(): Promise<void>;
}

/**
 * Loads the config, builds the store, the auth server and its listeners. Exported for tests and
 * the dev stack.
 *
 * @example
 * const running = await startServe('/etc/toolhive/authserver/config.json');
 * await running.close();
 */
export async function startServe(configFile: string): Promise<RunningServe> {
  const cleanup: Array<() => unknown> = [];
  try {
    return await startServeWith(configFile, cleanup);
  } catch (err) {
    // A failed start releases what it opened (store connections, timers, listeners).
    for (const undo of cleanup.reverse()) await Promise.resolve(undo()).catch(() => undefined);
    throw err;
  }
}

async function startServeWith(configFile: string, cleanup: Array<() => unknown>): Promise<RunningServe> {
  const { loadConfig } = await import('../../config/index.ts');
  const { createLogger } = await import('../../telemetry/index.ts');
  const { createAuthServer } = await import('../../authserver/index.ts');
  const storeModule = await import('../../store/index.ts');
  const { randomBytes } = await import('node:crypto');
  const http = await import('node:http');
  const https = await import('node:https');

  const config = loadConfig(configFile);
  const logger = createLogger({ level: config.logLevel });
  const encryptionKeys = config.encryptionKeys ?? { activeKeyId: 'ephemeral', keys: { ephemeral: randomBytes(32) } };

  let store: import('../../store/index.ts').AuthStore;
  if (config.storage.type === 'redis') {
    const r = config.storage.redis;
    store = await storeModule.createRedisStore({
      url: r.url,
      keyPrefix: r.keyPrefix,
      commandTimeoutMs: r.commandTimeoutMs,
      encryptionKeys,
      ...(r.caPem ? { caPem: r.caPem } : {}),
    });
  } else {
    store = storeModule.createMemoryStore({ encryptionKeys });
  }
  cleanup.push(() => store.close());

  let source: import('../../pki/index.ts').FileCertSource | null = null;
  const pki = config.tls ? await import('../../pki/index.ts') : null;
  if (config.tls && pki) {
    source = new pki.FileCertSource({
      certFile: config.tls.certFile,
      keyFile: config.tls.keyFile,
      ...(config.tls.clientCaFile ? { caFile: config.tls.clientCaFile } : {}),
      pollIntervalMs: config.tls.reloadIntervalMs,
      onError: (err) => logger.warn({ code: err.code }, `TLS material reload failed, keeping the last good files: ${err.message}`),
    });
    await source.start();
    cleanup.push(() => source?.stop());
  }

  const auth = await createAuthServer(config, store, { logger, tlsReady: () => (source ? source.loaded : true) });
  cleanup.push(() => auth.close());

  const base = { minVersion: config.tls?.minVersion ?? 'TLSv1.2' } as const;
  // Internal mTLS listener (spec §2.10, REV h): built by src/exchange, on its own port.
  let internal: import('../../exchange/index.ts').InternalListener | null = null;
  if (config.tls && source) {
    if (!config.tls.clientCaFile) throw new Error('config: tls.client_ca_file is required: the internal listener verifies client certificates against it');
    if (!config.allowedSubjects) throw new Error('config: allowed_subjects is required: the internal listener checks client identities against it');
    const exchange = await import('../../exchange/index.ts');
    const app = exchange.createExchangeApp({
      config: { issuer: config.issuer, allowedSubjects: config.allowedSubjects, upstreams: config.upstreams, upstreamTimeoutMs: config.upstreamTimeoutMs },
      store,
      keys: auth.keys,
      resourceMap: auth.resourceMap,
      upstreams: auth.upstreams.list(),
      audit: auth.audit,
    });
    const addr = parseListenAddr(config.internalListenAddr);
    internal = await exchange.startInternalListener({
      app,
      source,
      port: addr.port,
      ...(addr.host ? { host: addr.host } : {}),
      minVersion: base.minVersion,
      audit: auth.audit,
    });
    cleanup.push(() => internal?.close());
    logger.info({ addr: internal.address() }, 'internal mTLS listener started');
  } else {
    logger.warn('no tls block: the internal token-exchange listener is not started');
  }

  // Public listener last: once it answers /readyz, everything else is up.
  // Public listener (spec §2.0): server cert only, no client certificate requested.
  let publicServer: import('node:http').Server;
  if (config.publicTls && source && pki) {
    const { ca: _ca, ...serverOnly } = pki.tlsServerOptions(source, base);
    const s = https.createServer({ ...serverOnly, keepAliveTimeout: 65_000 }, auth.publicApp);
    source.subscribe((m) => s.setSecureContext({ ...base, cert: m.cert, key: m.key }));
    publicServer = s;
  } else {
    publicServer = http.createServer({ keepAliveTimeout: 65_000 }, auth.publicApp);
  }
  const pub = parseListenAddr(config.publicListenAddr);
  await new Promise<void>((resolve, reject) => {
    publicServer.once('error', reject);
    publicServer.listen(pub.port, pub.host, () => {
      publicServer.off('error', reject);
      resolve();
    });
  });
  logger.info({ addr: publicServer.address(), tls: config.publicTls, issuer: config.issuer }, 'public listener started');

  let closing: Promise<void> | null = null;
  return {
    logger,
    publicAddress: () => publicServer.address() as import('node:net').AddressInfo,
    internalAddress: () => internal?.address() ?? null,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => publicServer.close(() => resolve()));
        publicServer.closeIdleConnections();
        await Promise.all([closed, internal?.close()]);
        await auth.close();
        source?.stop();
        await store.close();
      })();
      return closing;
    },
  };
}
