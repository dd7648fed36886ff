import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AllowedSubjects, SvidIdentity } from '../spiffe/index.ts';
import type { AuthStore } from '../store/index.ts';
import { hashForLog, type AuditEvent, type AuditLogger } from '../telemetry/index.ts';
import { ExchangeError, NotFound, ServerError } from './errors.ts';
import type { VerificationKeys } from './lib/verify-subject-token.ts';
import { UpstreamRefreshCoordinator, type UpstreamRefresher } from './refresh-upstream.ts';
import {
  TOKEN_EXCHANGE_PATH,
  tokenExchangeResponse,
  tokenExchangeSteps,
  type ExchangeContext,
  type ExchangeState,
  type ResourceLookup,
} from './token-exchange.ts';

export interface CreateExchangeAppOptions {
  /** The auth server config (only these fields are read). */
  config: {
    issuer: string;
    allowedSubjects?: AllowedSubjects | undefined;
    upstreams: ReadonlyArray<{ name: string }>;
    upstreamTimeoutMs?: number;
  };
  store: Pick<AuthStore, 'sessions' | 'upstreamTokens' | 'denyList' | 'leases'>;
  /** The auth server's SigningKeySet (active + rotated keys). */
  keys: VerificationKeys;
  resourceMap: ResourceLookup;
  /** One per configured upstream (the auth server's UpstreamIdp objects fit). */
  upstreams: ReadonlyArray<UpstreamRefresher>;
  audit: AuditLogger;
  now?: () => number;
  /** JWT exp/nbf leeway; spec §2.10 step 6 caps it at 30 s. */
  clockToleranceSeconds?: number;
}

export interface ExchangeApp {
  /** Node request listener for the internal HTTPS server. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  refresher: UpstreamRefreshCoordinator;
}

/**
 * The internal RFC 8693-shaped token exchange (spec §2.10) as a plain Node request listener
 * (no framework on this hot path): only `POST /internal/token-exchange`, 404 elsewhere, the
 * check order of §2.10 steps 2–13, one audit event per request (§6.3, no secrets).
 *
 * @example
 * const app = createExchangeApp({ config, store, keys, resourceMap, upstreams, audit });
 * const listener = await startInternalListener({ app, source, host: '0.0.0.0', port: 9443 });
 */
export function createExchangeApp(options: CreateExchangeAppOptions): ExchangeApp {
  const { config, store, keys, resourceMap, audit } = options;
  if (!config.allowedSubjects) throw new Error('internal listener: allowed_subjects (trust domain) must be configured');
  const first = config.upstreams[0];
  if (!first) throw new Error('internal listener: at least one upstream identity provider must be configured');
  const upstreams = new Map(options.upstreams.map((u) => [u.name, u]));
  for (const u of config.upstreams) {
    if (!upstreams.has(u.name)) throw new Error(`internal listener: no refresher for upstream ${u.name}`);
  }
  const now = options.now ?? Date.now;
  const refresher = new UpstreamRefreshCoordinator({
    sessions: store.sessions,
    upstreamTokens: store.upstreamTokens,
    leases: store.leases,
    now,
    refreshTimeoutMs: Math.min(config.upstreamTimeoutMs ?? 10_000, 10_000),
  });
  const ctx: ExchangeContext = {
    issuer: config.issuer,
    keys,
    store,
    resourceMap,
    allowedSubjects: config.allowedSubjects,
    upstreams,
    defaultUpstream: first.name,
    refresher,
    now,
    clockToleranceSeconds: Math.min(options.clockToleranceSeconds ?? 30, 30),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pathEnd = req.url?.indexOf('?') ?? -1;
    const path = pathEnd === -1 ? req.url : req.url!.slice(0, pathEnd);
    if (path !== TOKEN_EXCHANGE_PATH) {
      sendError(res, new NotFound());
      return;
    }
    const started = performance.now();
    const state: ExchangeState = {};
    try {
      for (const step of tokenExchangeSteps) {
        // Most steps are synchronous: awaiting only real promises saves a microtask hop each.
        const pending = step(ctx, req, state);
        if (pending) await pending;
      }
      const body = tokenExchangeResponse(state.tokens!, now());
      sendJson(res, 200, body);
      audit.write(auditEvent(req, state, started, 'success', 'ok', body.expires_in as number | undefined));
    } catch (thrown) {
      const err = toExchangeError(thrown);
      sendError(res, err);
      const owner = err.reason === 'owner_mismatch' ? state.session?.owner : undefined;
      audit.write(
        auditEvent(req, state, started, err.status >= 500 ? 'error' : 'denied', err.reason, undefined, owner && `${owner.namespace}/${owner.name}`),
      );
    }
  };
  return {
    handle: (req, res) => void handle(req, res),
    refresher,
  };
}

/**
 * Spec §2.10 step 12: upstream, network and storage failures are 500 server_error with a fixed
 * text (the proxy maps any 5xx to 503 for its client, §2.11); the audit reason tells them apart.
 */
function toExchangeError(err: unknown): ExchangeError {
  if (err instanceof ExchangeError) return err;
  if ((err as Error).name === 'StoreError') return new ServerError(`store_${(err as { code?: string }).code ?? 'error'}`);
  return new ServerError('internal_error');
}

/** Headers of every answer (RFC 6749 §5.1: no-store; nosniff for the JSON body). */
const JSON_HEADERS = ['Content-Type', 'application/json', 'Cache-Control', 'no-store', 'Pragma', 'no-cache', 'X-Content-Type-Options', 'nosniff'];

function sendJson(res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void {
  const text = JSON.stringify(body);
  // Flat [name, value, ...] list: no header object to build and walk per response.
  const headers = [...JSON_HEADERS];
  if (extra) for (const [name, value] of Object.entries(extra)) headers.push(name, value);
  headers.push('Content-Length', String(Buffer.byteLength(text)));
  res.writeHead(status, headers);
  res.end(text);
}

/**
 * `hashForLog(tsid)` per session, remembered: a proxy exchanges the same few sessions again and
 * again, and the audit line needs the hash every time. Bounded; cleared when full.
 */
const TSID_HASH_CACHE_MAX = 10_000;
const tsidHashes = new Map<string, string>();
function tsidHash(tsid: string): string {
  let hash = tsidHashes.get(tsid);
  if (hash === undefined) {
    hash = hashForLog(tsid);
    if (tsidHashes.size >= TSID_HASH_CACHE_MAX) tsidHashes.clear();
    tsidHashes.set(tsid, hash);
  }
  return hash;
}

/** The peer certificate's notAfter as ISO text, once per identity (identities are cached per connection). */
const notAfterText = new WeakMap<SvidIdentity, string>();
function certNotAfter(id: SvidIdentity): string {
  let text = notAfterText.get(id);
  if (text === undefined) {
    text = new Date(id.certNotAfterMs).toISOString();
    notAfterText.set(id, text);
  }
  return text;
}

function sendError(res: ServerResponse, err: ExchangeError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, { error: err.error, error_description: err.description }, err.headers);
}

/**
 * The §6.3 event of one exchange. One object literal of a fixed shape (no spread): fields that do
 * not apply are undefined, which the audit line leaves out, as it always did.
 */
function auditEvent(
  req: IncomingMessage,
  state: ExchangeState,
  startedMs: number,
  outcome: AuditEvent['outcome'],
  reason: string,
  expiresIn?: number,
  sessionOwner?: string,
): AuditEvent {
  const id = state.identity;
  const claims = state.claims;
  return {
    event: 'token_exchange',
    outcome,
    reason,
    expires_in: expiresIn,
    session_owner: sessionOwner,
    request_id: randomUUID(),
    remote_addr: req.socket.remoteAddress,
    listener: 'internal',
    latency_ms: Math.round((performance.now() - startedMs) * 1000) / 1000,
    spiffe_id: id?.id,
    peer_namespace: id?.namespace,
    peer_name: id?.name,
    cert_cn: id?.certCn,
    cert_serial: id?.certSerial,
    cert_not_after: id ? certNotAfter(id) : undefined,
    tsid_hash: state.tsid ? tsidHash(state.tsid) : undefined,
    sub: claims?.sub,
    client_id: claims?.client_id,
    aud: claims?.aud,
    upstream_idp: state.upstreamName,
    upstream_refreshed: state.refreshed ?? false,
  };
}
