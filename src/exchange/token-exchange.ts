import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { checkSubjectPolicy, type AllowedSubjects, type SvidIdentity } from '../spiffe/index.ts';
import type { AuthStore, Session, UpstreamTokens } from '../store/index.ts';
import {
  AccessDenied,
  InvalidGrant,
  InvalidRequest,
  InvalidTarget,
  MethodNotAllowed,
  UnsupportedGrantType,
} from './errors.ts';
import { isFormContentType, parseForm, readBody } from './lib/form.ts';
import { verifySubjectToken, type SubjectClaims, type VerificationKeys } from './lib/verify-subject-token.ts';
import { peerIdentity } from './peer-identity.ts';
import { UpstreamRefreshCoordinator, type UpstreamRefresher } from './refresh-upstream.ts';

export const TOKEN_EXCHANGE_PATH = '/internal/token-exchange';
export const GRANT_TYPE_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';
export const TOKEN_TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const SUBJECT_TOKEN_TYPES = new Set([TOKEN_TYPE_JWT, TOKEN_TYPE_ACCESS_TOKEN]);
/** Parameters this endpoint refuses outright [OURS]. */
const REJECTED_PARAMS = ['resource', 'scope', 'actor_token', 'actor_token_type'] as const;

export interface ResourceLookup {
  lookup(normalizedResource: string): { namespace: string; name: string; upstreamIdp: string } | null;
}

export interface ExchangeContext {
  issuer: string;
  keys: VerificationKeys;
  store: Pick<AuthStore, 'sessions' | 'upstreamTokens' | 'denyList'>;
  resourceMap: ResourceLookup;
  allowedSubjects: AllowedSubjects;
  /** Ordered: the first is the default `audience`. */
  upstreams: ReadonlyMap<string, UpstreamRefresher>;
  defaultUpstream: string;
  refresher: UpstreamRefreshCoordinator;
  now: () => number;
  clockToleranceSeconds: number;
}

/** Mutable per-request state; also what the audit event is built from. */
export interface ExchangeState {
  identity?: SvidIdentity;
  form?: Map<string, string>;
  upstreamName?: string;
  /** The caller named the IdP (`audience`) rather than taking the default. */
  audienceGiven?: boolean;
  claims?: SubjectClaims;
  tsid?: string;
  session?: Session;
  tokens?: UpstreamTokens;
  refreshed?: boolean;
}

type Step = (ctx: ExchangeContext, req: IncomingMessage, state: ExchangeState) => void | Promise<void>;

/** Step 2: POST only (405 otherwise). */
const requirePost: Step = (_ctx, req) => {
  if (req.method !== 'POST') throw new MethodNotAllowed();
};

/** Step 2: RFC 6749 §4.1.3 / RFC 8693 §2.1: the body is application/x-www-form-urlencoded. */
const requireFormContentType: Step = (_ctx, req) => {
  if (!isFormContentType(req.headers['content-type'])) {
    throw new InvalidRequest('bad_content_type', 'content type must be application/x-www-form-urlencoded');
  }
};

/** Step 3: exactly one spiffe URI SAN forming a valid MCPServer identity → else 401 invalid_client. */
const identifyPeer: Step = (_ctx, req, state) => {
  state.identity = peerIdentity(req.socket as TLSSocket);
};

/** Step 4: allowedSubjects (trust domain, namespaces, names, servers) → else 403 access_denied. */
const checkPolicy: Step = (ctx, _req, state) => {
  const reason = checkSubjectPolicy(state.identity!, ctx.allowedSubjects);
  if (reason) throw new AccessDenied(reason, 'the client identity is not allowed to use this endpoint');
};

/** Step 5: body ≤ 64 KiB, no repeated parameters. */
const parseBody: Step = async (_ctx, req, state) => {
  state.form = parseForm(await readBody(req));
};

/** Step 5: RFC 8693 §2.1 parameters, plus the refusals of spec §2.10. */
const checkParameters: Step = (ctx, _req, state) => {
  const form = state.form!;
  const grantType = form.get('grant_type');
  if (grantType === undefined || grantType === '') throw new InvalidRequest('missing_grant_type', 'grant_type is required');
  if (grantType !== GRANT_TYPE_TOKEN_EXCHANGE) {
    throw new UnsupportedGrantType('unsupported_grant_type', `grant_type must be ${GRANT_TYPE_TOKEN_EXCHANGE}`);
  }
  for (const p of REJECTED_PARAMS) {
    if (form.has(p)) throw new InvalidRequest(`param_${p}`, `parameter ${p} is not supported by this endpoint`);
  }
  if (!form.get('subject_token')) throw new InvalidRequest('missing_subject_token', 'subject_token is required');
  const stt = form.get('subject_token_type');
  if (!stt) throw new InvalidRequest('missing_subject_token_type', 'subject_token_type is required');
  if (!SUBJECT_TOKEN_TYPES.has(stt)) {
    throw new InvalidRequest('bad_subject_token_type', `subject_token_type must be ${TOKEN_TYPE_JWT} or ${TOKEN_TYPE_ACCESS_TOKEN}`);
  }
  const rtt = form.get('requested_token_type');
  if (rtt !== undefined && rtt !== TOKEN_TYPE_ACCESS_TOKEN) {
    throw new InvalidRequest('bad_requested_token_type', `requested_token_type must be ${TOKEN_TYPE_ACCESS_TOKEN}`);
  }
  const audience = form.get('audience');
  if (audience !== undefined && !ctx.upstreams.has(audience)) {
    throw new InvalidTarget('unknown_audience', 'audience does not name a configured upstream identity provider');
  }
  state.upstreamName = audience ?? ctx.defaultUpstream;
  state.audienceGiven = audience !== undefined;
};

/** Step 6: JWT signature and claims, then the revocation deny list. */
const verifyToken: Step = async (ctx, _req, state) => {
  state.claims = await verifySubjectToken(ctx.keys, state.form!.get('subject_token')!, {
    issuer: ctx.issuer,
    nowMs: ctx.now(),
    clockToleranceSeconds: ctx.clockToleranceSeconds,
  });
  if (await ctx.store.denyList.isDenied(state.claims.jti)) throw new InvalidGrant('token_revoked', 'subject_token has been revoked');
};

/** Step 7: `tsid` is a non-empty string. */
const requireTsid: Step = (_ctx, _req, state) => {
  const tsid = state.claims!.tsid;
  if (typeof tsid !== 'string' || tsid === '') throw new InvalidGrant('token_no_tsid', 'subject_token has no tsid');
  state.tsid = tsid;
};

/** Step 8: the session exists, is not expired, not revoked. */
const loadSession: Step = async (ctx, _req, state) => {
  const session = await ctx.store.sessions.get(state.tsid!);
  if (!session) throw new InvalidGrant('session_not_found', 'the session of subject_token does not exist');
  if (session.revokedAtMs !== undefined && session.revokedAtMs !== null) {
    throw new InvalidGrant('session_revoked', 'the session of subject_token is revoked');
  }
  if (session.expiresAtMs <= ctx.now()) throw new InvalidGrant('session_expired', 'the session of subject_token is expired');
  state.session = session;
};

/** Step 9 [REV a]: the session's owner is the calling MCPServer → else 403 (+ audit with session_owner). */
const checkOwner: Step = (_ctx, _req, state) => {
  const { owner } = state.session!;
  const id = state.identity!;
  if (owner.namespace !== id.namespace || owner.name !== id.name) {
    throw new AccessDenied('owner_mismatch', 'the session belongs to another MCP server');
  }
};

/** Step 10 [CODE ErrInvalidBinding]: client_id, sub, aud and the resource map agree with the session. */
const checkBinding: Step = (ctx, _req, state) => {
  const { session, claims } = state;
  if (claims!.client_id !== session!.clientId) throw new InvalidGrant('binding_client_id', 'subject_token client_id does not match the session');
  if (claims!.sub !== session!.userId) throw new InvalidGrant('binding_sub', 'subject_token sub does not match the session');
  if (!claims!.aud.includes(session!.resource)) throw new InvalidGrant('binding_aud', 'subject_token aud does not contain the session resource');
  const mapped = ctx.resourceMap.lookup(session!.resource);
  if (!mapped || mapped.namespace !== session!.owner.namespace || mapped.name !== session!.owner.name) {
    throw new InvalidGrant('binding_resource_map', 'the session resource is no longer mapped to this MCP server');
  }
  // Least privilege: an MCP server obtains the tokens of the IdP its resource is mapped to
  // (MCPExternalAuthConfig.upstreamIdp), never those of another IdP the user also logged in to.
  if (state.audienceGiven && state.upstreamName !== mapped.upstreamIdp) {
    throw new AccessDenied('upstream_not_mapped', `this MCP server may only obtain tokens of the upstream identity provider "${mapped.upstreamIdp}"`);
  }
  if (!ctx.upstreams.has(mapped.upstreamIdp)) {
    throw new InvalidTarget('mapped_upstream_unknown', 'the upstream identity provider mapped to this resource is not configured');
  }
  state.upstreamName = mapped.upstreamIdp;
};

/** Steps 11–12: load the upstream row; refresh it (single-flight + lease) when it expires within 30 s. */
const loadUpstreamToken: Step = async (ctx, _req, state) => {
  const upstream = ctx.upstreams.get(state.upstreamName!);
  if (!upstream) throw new Error('internal error: upstream vanished after parameter check');
  const { tokens, refreshed } = await ctx.refresher.ensureFresh(state.tsid!, upstream);
  state.tokens = tokens;
  state.refreshed = refreshed;
};

/**
 * The mandatory check order of spec §2.10 (an earlier failure short-circuits; nothing is
 * refreshed or returned before the owner check). Routing (404) happens before this list.
 */
export const tokenExchangeSteps: readonly Step[] = [
  requirePost,
  requireFormContentType,
  identifyPeer,
  checkPolicy,
  parseBody,
  checkParameters,
  verifyToken,
  requireTsid,
  loadSession,
  checkOwner,
  checkBinding,
  loadUpstreamToken,
];

/** Step 13: the RFC 8693 response; never the upstream refresh or ID token. */
export function tokenExchangeResponse(tokens: UpstreamTokens, nowMs: number): Record<string, unknown> {
  const body: Record<string, unknown> = {
    access_token: tokens.accessToken,
    issued_token_type: TOKEN_TYPE_ACCESS_TOKEN,
    token_type: 'Bearer',
  };
  if (tokens.expiresAtMs !== 0) body.expires_in = Math.max(0, Math.floor((tokens.expiresAtMs - nowMs) / 1000));
  return body;
}
