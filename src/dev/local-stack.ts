/**
 * The whole system on one machine, with no cluster and no configuration (spec §0 "Local stack"):
 * the upstream OpenID provider, the auth server (public listener over plain HTTP on loopback,
 * internal mTLS listener with the dev CA), a sample MCP server and the proxy in front of it, with
 * the resource map wired for it. The auth server runs from a generated config.json through the
 * same code path as `mcp-authserver serve`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDevState, DEV_OWNER, DEV_TRUST_DOMAIN, type DevState } from './dev-state.ts';
import { startUpstreamIdp, type UpstreamIdp } from './upstream-idp.ts';
import { startServe, type RunningServe } from '../cli/commands/serve.ts';
import { FileCertSource } from '../pki/index.ts';
import { ExchangeClient, createProxy, parseClientConfig, startProxy } from '../proxy/index.ts';
import { startSampleMcpServer } from './sample-mcp-server.ts';

export const DEV_UPSTREAM_NAME = 'local-idp';
export const DEV_UPSTREAM_CLIENT_ID = 'mcp-authserver';

export interface LocalStackPorts {
  idp: number;
  auth: number;
  internal: number;
  proxy: number;
  mcp: number;
}

/** Defaults; each can be changed with a flag of the same name (`--auth-port` ...). */
export const DEFAULT_PORTS: LocalStackPorts = { idp: 9090, auth: 9000, internal: 9443, proxy: 8000, mcp: 8080 };

export interface LocalStackOptions {
  stateDir: string;
  /** 0 = any free port (tests). */
  ports: LocalStackPorts;
  host?: string;
  /** redis://[:password@]host:port; memory store when absent. */
  redisUrl?: string;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Upstream access-token lifetime (seconds) of the local IdP. */
  upstreamAccessTokenTtlSeconds?: number;
  /** Clock of the proxy's exchange client (tests move it past the cache TTL). */
  proxyNow?: () => number;
}

export interface LocalStack {
  state: DevState;
  issuer: string;
  upstreamIssuer: string;
  /** What to give an MCP client. */
  mcpUrl: string;
  internalUrl: string;
  mcpServerUrl: string;
  stop(): Promise<void>;
}

/** Names the flag to change when a port is taken, instead of a bare EADDRINUSE. */
async function onPort<T>(what: string, flag: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${port} (${what}) is already in use; choose another with ${flag} PORT`);
    }
    throw err;
  }
}

function redisStorage(redisUrl: string, state: DevState): { config: Record<string, unknown>; secrets: Array<[string, string]> } {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    throw new Error(`--redis must be a URL like redis://127.0.0.1:6379, got ${JSON.stringify(redisUrl)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('--redis must use the redis:// or rediss:// scheme');
  const redis: Record<string, unknown> = { address: `${url.hostname}:${url.port || '6379'}`, tls: url.protocol === 'rediss:' };
  const secrets: Array<[string, string]> = [];
  if (url.password) {
    const file = join(state.dir, 'redis-password');
    secrets.push([file, decodeURIComponent(url.password)]);
    redis.password_file = file;
  }
  return { config: { type: 'redis', redis, encryption_keys: [{ id: 'dev', file: state.encryptionKeyFile }] }, secrets };
}

/**
 * Starts every component and resolves once all listen. On a failure, what already started is
 * stopped again and the error names the component (and the flag, for a port in use).
 *
 * @example
 * const stack = await startLocalStack({ stateDir: '.dev-state', ports: DEFAULT_PORTS });
 * console.log(stack.mcpUrl); // http://127.0.0.1:8000/mcp
 * await stack.stop();
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const state = await ensureDevState(options.stateDir);
  const stops: Array<() => Promise<void> | void> = [];
  // Stops in reverse start order; one component failing to stop must not keep the others running.
  const stop = async () => {
    const failures: string[] = [];
    for (const s of stops.splice(0).reverse()) {
      try {
        await s();
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
    if (failures.length > 0) console.error(`mcp-authserver dev: while stopping: ${failures.join('; ')}`);
  };

  try {
    // The auth server's and proxy's ports are needed before they start (issuer, resource URL):
    // with port 0 (tests), reserve the real ports first by letting the OS pick and reusing them.
    const ports = await resolvePorts(options.ports, host);
    const issuer = `http://${host}:${ports.auth}`;
    const mcpUrl = `http://${host}:${ports.proxy}/mcp`;

    const idp: UpstreamIdp = await onPort('upstream IdP', '--idp-port', ports.idp, () =>
      startUpstreamIdp({
        host,
        port: ports.idp,
        clients: [{ clientId: DEV_UPSTREAM_CLIENT_ID, clientSecret: state.upstreamClientSecret, redirectUris: [`${issuer}/oauth/callback`] }],
        ...(options.upstreamAccessTokenTtlSeconds ? { accessTokenTtlSeconds: options.upstreamAccessTokenTtlSeconds } : {}),
      }),
    );
    stops.push(() => idp.stop());

    const runDir = join(state.dir, 'run');
    await mkdir(runDir, { recursive: true });
    const resourceMapFile = join(runDir, 'resources.json');
    await writeFile(
      resourceMapFile,
      JSON.stringify({ version: 1, resources: { [mcpUrl]: { ...DEV_OWNER, upstreamIdp: DEV_UPSTREAM_NAME } } }, null, 2),
    );
    const storage = options.redisUrl ? redisStorage(options.redisUrl, state) : { config: { type: 'memory', encryption_keys: [{ id: 'dev', file: state.encryptionKeyFile }] }, secrets: [] };
    for (const [file, value] of storage.secrets) await writeFile(file, value, { mode: 0o600 });
    const config = {
      schema_version: 'v1',
      issuer,
      public_listen_addr: `${host}:${ports.auth}`,
      internal_listen_addr: `${host}:${ports.internal}`,
      public_tls: false,
      tls: { cert_file: state.server.certFile, key_file: state.server.keyFile, client_ca_file: state.server.caFile, min_version: '1.2' },
      signing_keys: [{ file: state.signingKeyFile, algorithm: 'ES256' }],
      token_lifespans: { access_token: '1h', refresh_token: '168h', auth_code: '10m' },
      upstreams: [
        {
          name: DEV_UPSTREAM_NAME,
          type: 'oidc',
          issuer_url: idp.issuer,
          client_id: DEV_UPSTREAM_CLIENT_ID,
          client_secret_file: state.upstreamClientSecretFile,
          redirect_uri: `${issuer}/oauth/callback`,
          scopes: ['openid', 'profile', 'email', 'offline_access'],
        },
      ],
      allowed_subjects: { trust_domain: DEV_TRUST_DOMAIN, allowed_namespaces: [DEV_OWNER.namespace] },
      resource_map_file: resourceMapFile,
      storage: storage.config,
      // MCP Inspector and scripted checks register often on a developer machine.
      dcr: { rate_per_second: 10, burst: 20, allow_confidential: false },
      log_level: options.logLevel ?? 'warn',
    };
    const configFile = join(runDir, 'config.json');
    await writeFile(configFile, JSON.stringify(config, null, 2));
    const auth: RunningServe = await onPort('auth server', '--auth-port or --internal-port', ports.auth, () => startServe(configFile));
    stops.push(() => auth.close());

    const mcp = await onPort('sample MCP server', '--mcp-port', ports.mcp, () =>
      startSampleMcpServer({ host, port: ports.mcp, userinfoUrl: `${idp.issuer}/me` }),
    );
    stops.push(() => mcp.close());

    const internalUrl = `https://localhost:${ports.internal}`;
    const clientConfig = parseClientConfig(
      JSON.stringify({
        url: internalUrl,
        client_cert_path: state.proxyClient.certFile,
        client_key_path: state.proxyClient.keyFile,
        ca_bundle_path: state.proxyClient.caFile,
        upstream_idp: DEV_UPSTREAM_NAME,
        cache_default_ttl: '5m',
        cache_max_entries: 10000,
      }),
    );
    const source = new FileCertSource({ certFile: state.proxyClient.certFile, keyFile: state.proxyClient.keyFile, caFile: state.proxyClient.caFile });
    await source.start();
    stops.push(() => source.stop());
    const exchanger = new ExchangeClient({ config: clientConfig, source, ...(options.proxyNow ? { now: options.proxyNow } : {}) });
    stops.push(() => exchanger.close());
    const proxy = createProxy({ resourceUrl: mcpUrl, issuer, upstreamUrl: mcp.url, exchanger });
    const running = await onPort('proxy', '--proxy-port', ports.proxy, () => startProxy(proxy, { host, port: ports.proxy }));
    stops.push(() => running.close()); // closes the proxy (and its JWKS agent) too

    return { state, issuer, upstreamIssuer: idp.issuer, mcpUrl, internalUrl, mcpServerUrl: mcp.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Replaces each 0 with a free port the OS picks, so URLs can be built before servers start. */
async function resolvePorts(ports: LocalStackPorts, host: string): Promise<LocalStackPorts> {
  const { createServer } = await import('node:net');
  const free = () =>
    new Promise<number>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, host, () => {
        const { port } = probe.address() as import('node:net').AddressInfo;
        probe.close(() => resolve(port));
      });
    });
  const out = { ...ports };
  for (const key of Object.keys(out) as Array<keyof LocalStackPorts>) if (out[key] === 0) out[key] = await free();
  return out;
}
