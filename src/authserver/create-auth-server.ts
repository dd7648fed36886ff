import express, { type NextFunction, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AuthServerConfig } from '../config/index.ts';
import { createAuditLogger, createLogger, createMetrics, type AuditLogger, type AuthServerMetrics, type Logger } from '../telemetry/index.ts';
import type { AuthStore, Client } from '../store/index.ts';
import type { AuthServerContext, UpstreamSet } from './context.ts';
import { loadSigningKeys } from './keys/signing-key-set.ts';
import { watchResourceMap } from './resource-map/resource-map.ts';
import { createUpstreamIdp, type UpstreamIdp } from './upstream/upstream-idp.ts';
import { createMetadataDocumentResolver, MetadataDocumentError } from './checks/client-id-metadata-document.ts';
import { sendOAuthError, toOAuthError, InvalidClientMetadata } from './errors.ts';
import { discoveryRoutes } from './routes/discovery.ts';
import { jwksRoute } from './routes/jwks.ts';
import { authorizeRoute } from './routes/authorize.ts';
import { callbackRoute } from './routes/callback.ts';
import { consentRoute } from './routes/consent.ts';
import { tokenRoute } from './routes/token.ts';
import { registerRoute } from './routes/register.ts';
import { revokeRoute } from './routes/revoke.ts';
import { healthzRoute, readyzRoute } from './routes/health.ts';
import { cors } from './lib/http.ts';

export interface CreateAuthServerOptions {
  logger?: Logger;
  audit?: AuditLogger;
  metrics?: AuthServerMetrics;
  /** Epoch ms clock (tests). */
  now?: () => number;
  /** Readiness of the TLS material, supplied by whoever serves the app (serve command). */
  tlsReady?: () => boolean;
  /** Extra CA trusted when fetching Client ID Metadata Documents (tests only). */
  metadataDocumentCa?: string;
  /** Retry interval of upstream discovery until it succeeds once. Default 5 s. */
  discoveryRetryMs?: number;
}

/** The routes' context (minus the clock and client lookup), plus the app and its lifecycle. */
export interface AuthServer extends Omit<AuthServerContext, 'now' | 'resolveClient'> {
  publicApp: express.Express;
  /** Spec §2.9 conditions, individually. */
  readiness(): Promise<Record<string, boolean>>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Builds the public OAuth app (spec §2.1–§2.9) and what the internal exchange needs (keys,
 * resource map, upstream IdPs, audit logger) from one config and one store.
 *
 * @example
 * const server = await createAuthServer(loadConfig(file), await createRedisStore({...}));
 * https.createServer(tlsOptions, server.publicApp).listen(8443);
 */
export async function createAuthServer(config: AuthServerConfig, store: AuthStore, options: CreateAuthServerOptions = {}): Promise<AuthServer> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const audit = options.audit ?? createAuditLogger(logger);
  const metrics = options.metrics ?? createMetrics();
  const now = options.now ?? Date.now;

  const keys = await loadSigningKeys(config.signingKeys);
  const idps: UpstreamIdp[] = config.upstreams.map((u) => createUpstreamIdp(u, { timeoutMs: config.upstreamTimeoutMs, now }));
  const byName = new Map(idps.map((u) => [u.name, u]));
  const upstreams: UpstreamSet = { list: () => idps, get: (n) => byName.get(n), default: () => idps[0]! };

  const resourceMap = await watchResourceMap({
    file: config.resourceMapFile,
    defaultIdp: idps[0]!.name,
    pollIntervalMs: config.resourceMapPollIntervalMs,
    onError: (message) => logger.warn({ file: config.resourceMapFile }, message),
    onChange: ({ version, size, removedOwners }) => {
      audit.write({ event: 'config.reload', outcome: 'success', resource_map_version: version, resources: size, kids: keys.all.map((k) => k.kid) });
      for (const owner of removedOwners) {
        // Spec §5.7: a server that left the map loses its sessions.
        store.sessions.deleteByOwner(owner).catch((err: unknown) => logger.warn({ owner, err: (err as Error).message }, 'deleteByOwner failed'));
      }
    },
  });

  const documents = config.clientIdMetadataDocuments.enabled
    ? createMetadataDocumentResolver({ ...config.clientIdMetadataDocuments, ...(options.metadataDocumentCa ? { ca: options.metadataDocumentCa } : {}) })
    : null;
  const resolveClient = async (clientId: string): Promise<Client | null> => {
    if (clientId.startsWith('https://') && documents) {
      try {
        return await documents.resolve(clientId);
      } catch (err) {
        if (err instanceof MetadataDocumentError) {
          logger.info({ client_id: clientId, reason: err.code }, err.message);
          return null;
        }
        throw err;
      }
    }
    if (clientId.length > 256) return null;
    return store.clients.get(clientId);
  };

  const ctx: AuthServerContext = { config, store, keys, resourceMap, upstreams, audit, logger, metrics, now, resolveClient };

  // Discovery at start, retried in the background until each IdP answered once (readyz waits).
  let closed = false;
  const retryMs = options.discoveryRetryMs ?? 5000;
  const discoverAll = () => {
    for (const idp of idps) {
      if (idp.discovered()) continue;
      idp.discover().catch((err: unknown) => {
        logger.warn({ upstream_idp: idp.name, detail: (err as { detail?: string }).detail }, (err as Error).message);
      });
    }
  };
  discoverAll();
  const discoveryTimer = setInterval(() => {
    if (closed || idps.every((i) => i.discovered())) return;
    discoverAll();
  }, retryMs);
  discoveryTimer.unref();

  const readiness = async (): Promise<Record<string, boolean>> => ({
    signing_keys: keys.all.length > 0,
    tls: options.tlsReady ? options.tlsReady() : true,
    storage: await store.healthy(),
    upstream_discovery: idps.every((i) => i.discovered()),
    resource_map: resourceMap.loaded(),
  });

  // Request ids: a random per-instance prefix and a counter (unique, cheaper than a UUID each).
  const requestIdPrefix = randomUUID().slice(0, 8);
  let requestCounter = 0;
  const nextRequestId = () => `${requestIdPrefix}-${(++requestCounter).toString(36)}`;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);
  app.use(function countRequests(req: Request, res: Response, next: NextFunction) {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      metrics.httpRequests.inc({ route, status: String(res.statusCode) });
      metrics.httpDurationSeconds.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    res.locals.requestScope = { requestId: nextRequestId(), remoteAddr: req.socket.remoteAddress ?? '', startedMs: performance.now() };
    next();
  });

  const discovery = discoveryRoutes(ctx);
  const router = express.Router();
  // Spec §2.0: nothing under /internal/* exists on the public listener, not even as a hint.
  router.all(/^\/internal(\/.*)?$/, notFound);
  router.get('/.well-known/oauth-authorization-server', ...discovery.oauthAuthorizationServer);
  router.get('/.well-known/openid-configuration', ...discovery.openidConfiguration);
  router.get('/.well-known/jwks.json', ...jwksRoute(ctx));
  router.options(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/.well-known/jwks.json'], cors('GET'));
  router.get('/oauth/authorize', ...authorizeRoute(ctx));
  router.post('/oauth/authorize', ...authorizeRoute(ctx));
  router.get('/oauth/callback', ...callbackRoute(ctx));
  router.post('/oauth/consent', ...consentRoute(ctx));
  router.all('/oauth/token', ...methods(['POST', 'OPTIONS']), ...tokenRoute(ctx));
  router.all('/oauth/register', ...methods(['POST', 'OPTIONS']), ...registerRoute(ctx));
  router.all('/oauth/revoke', ...methods(['POST', 'OPTIONS']), ...revokeRoute(ctx));
  router.get('/healthz', ...healthzRoute());
  router.get('/readyz', ...readyzRoute(readiness));
  // A path-based issuer (https://host/tenant) serves its endpoints under that path too, and its
  // metadata in the RFC 8414 §3.1 suffix form (/.well-known/oauth-authorization-server/tenant).
  const issuerPath = new URL(config.issuer).pathname.replace(/\/$/, '');
  if (issuerPath) {
    app.get(`/.well-known/oauth-authorization-server${issuerPath}`, ...discovery.oauthAuthorizationServer);
    app.get(`/.well-known/openid-configuration${issuerPath}`, ...discovery.openidConfiguration);
    app.use(issuerPath, router);
  }
  app.use(router);
  app.use(notFound);
  app.use(function serializeError(err: unknown, req: Request, res: Response, _next: NextFunction) {
    const mapped = toOAuthError(err);
    if (mapped.status >= 500) {
      // The matched route, never the raw path: a caller must not be able to mint metric series.
      metrics.storeFailures.inc({ operation: (req.route as { path?: string } | undefined)?.path ?? 'unmatched' });
      logger.error({ path: req.path, status: mapped.status, detail: mapped.detail }, mapped.description);
    }
    if (res.headersSent) return;
    if (req.path.endsWith('/oauth/register') && mapped.error === 'invalid_request') {
      sendOAuthError(res, new InvalidClientMetadata(mapped.description));
      return;
    }
    sendOAuthError(res, mapped);
  });

  return {
    publicApp: app,
    keys,
    resourceMap,
    upstreams,
    audit,
    logger,
    metrics,
    config,
    store,
    readiness,
    ready: async () => Object.values(await readiness()).every(Boolean),
    async close() {
      closed = true;
      clearInterval(discoveryTimer);
      resourceMap.close();
      await documents?.close();
    },
  };
}

function notFound(_req: Request, res: Response): void {
  res.status(404).type('text/plain').send('not found');
}

/** 405 with Allow for other methods on POST-only endpoints. */
function methods(allowed: string[]) {
  return [
    function allowMethods(req: Request, res: Response, next: NextFunction): void {
      if (allowed.includes(req.method)) return next();
      res.status(405).set('Allow', allowed.join(', ')).json({ error: 'invalid_request', error_description: `method ${req.method} is not allowed; use POST` });
    },
  ];
}
