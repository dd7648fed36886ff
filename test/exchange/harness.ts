/**
 * Test/bench harness for the internal exchange: real certificates (per call), a real mTLS
 * listener on a free loopback port, the memory store, real ES256 signing keys (jose), and an
 * audit sink that records events. The upstream refresher is a counting in-process double by
 * default (the e2e test in test/proxy uses the real oidc-provider upstream instead).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { SignJWT, calculateJwkThumbprint, type JWK, type JWTPayload } from 'jose';
import { createCA, issueClientCert, issueServerCert, writeBundle, FileCertSource, type CertBundle, type ClientCertOptions } from '../../src/pki/index.ts';
import { createExchangeApp, startInternalListener, type InternalListener, type UpstreamRefresher, type ExchangeApp } from '../../src/exchange/index.ts';
import { createMemoryStore } from '../../src/store/index.ts';
import type { AuthStore, Session, UpstreamTokens } from '../../src/store/index.ts';
import type { AuditEvent } from '../../src/telemetry/index.ts';
import type { AllowedSubjects } from '../../src/spiffe/index.ts';

export const ISSUER = 'https://auth.example.test';
export const RESOURCE = 'https://tools.example.test/mcp';
export const TRUST_DOMAIN = 'td.example';
export const OWNER = { namespace: 'tools', name: 'github' };
export const UPSTREAM = 'corp';

export interface TestKey {
  kid: string;
  alg: 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export async function makeKey(): Promise<TestKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK, 'sha256');
  return { kid, alg: 'ES256', privateKey, publicKey };
}

export class CountingRefresher implements UpstreamRefresher {
  calls = 0;
  next: () => Promise<{ accessToken: string; refreshToken: string; expiresAtMs: number }>;
  constructor(
    readonly name: string,
    now: () => number,
  ) {
    this.next = async () => ({ accessToken: `refreshed-${randomUUID()}`, refreshToken: 'rt-2', expiresAtMs: now() + 3_600_000 });
  }
  refresh(_rt: string) {
    this.calls += 1;
    return this.next();
  }
}

export interface Harness {
  ca: CertBundle;
  store: AuthStore;
  keys: { active: TestKey; rotated: TestKey };
  /** The exchange's key set by kid: delete an entry to simulate removing a key from signingKeys. */
  keySet: Map<string, TestKey>;
  audit: AuditEvent[];
  refresher: CountingRefresher;
  listener: InternalListener;
  app: ExchangeApp;
  url: string;
  resourceMap: Map<string, { namespace: string; name: string; upstreamIdp: string }>;
  now: () => number;
  /** Skew added to the exchange's clock only (the store keeps real time). */
  clock: { skewMs: number };
  /** Issues a client cert from the harness CA (or `ca`) and returns an undici Agent presenting it. */
  clientAgent(opts?: Partial<ClientCertOptions> & { ca?: CertBundle; noCert?: boolean }): Promise<Agent>;
  /** A session + upstream row owned by OWNER (override any field). */
  seedSession(over?: Partial<Session>, upstream?: Partial<UpstreamTokens>): Promise<{ tsid: string; session: Session; upstream: UpstreamTokens }>;
  /** Mints a subject token for a session (override claims/header/key). */
  mint(session: Session, claims?: JWTPayload, opts?: { key?: TestKey; header?: Record<string, unknown> }): Promise<string>;
  exchange(agent: Agent, form: Record<string, string> | string, init?: { method?: string; contentType?: string; path?: string }): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

export async function startHarness(options: { allowedSubjects?: Partial<AllowedSubjects>; store?: AuthStore } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'exchange-'));
  const ca = await createCA({ commonName: 'test internal CA' });
  const server = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const files = await writeBundle(join(dir, 'server'), { ...server, caPem: ca.certPem });
  const source = new FileCertSource({ ...files, pollIntervalMs: 60_000 });
  await source.start();
  const now = () => Date.now();
  const store = options.store ?? createMemoryStore({ encryptionKeys: { activeKeyId: 'k1', keys: { k1: randomBytes(32) } }, now, sweepIntervalMs: 0 });
  const active = await makeKey();
  const rotated = await makeKey();
  const byKid = new Map([active, rotated].map((k) => [k.kid, k]));
  const audit: AuditEvent[] = [];
  const refresher = new CountingRefresher(UPSTREAM, now);
  const resourceMap = new Map([[RESOURCE, { ...OWNER, upstreamIdp: UPSTREAM }]]);
  const clock = { skewMs: 0 };
  const app = createExchangeApp({
    config: {
      issuer: ISSUER,
      allowedSubjects: { trustDomain: TRUST_DOMAIN, ...options.allowedSubjects },
      upstreams: [{ name: UPSTREAM }, { name: 'second' }],
    },
    store,
    keys: { algorithms: ['ES256'], byKid: (kid) => byKid.get(kid) },
    resourceMap: { lookup: (r) => resourceMap.get(r) ?? null },
    upstreams: [refresher, new CountingRefresher('second', now)],
    audit: { write: (e) => audit.push(e) },
    now: () => Date.now() + clock.skewMs,
  });
  const listener = await startInternalListener({ app, source, host: '127.0.0.1', port: 0, audit: { write: (e) => audit.push(e) } });
  const url = `https://localhost:${listener.address().port}`;
  const agents: Agent[] = [];

  const harness: Harness = {
    ca,
    store,
    keys: { active, rotated },
    keySet: byKid,
    audit,
    refresher,
    listener,
    app,
    url,
    resourceMap,
    now,
    clock,
    async clientAgent(opts = {}) {
      const connect: Record<string, unknown> = { ca: ca.certPem, servername: 'localhost' };
      if (!opts.noCert) {
        const cert = await issueClientCert(opts.ca ?? ca, {
          commonName: 'proxy',
          spiffeIds: [`spiffe://${TRUST_DOMAIN}/ns/${OWNER.namespace}/mcpserver/${OWNER.name}`],
          ...opts,
        });
        connect.cert = cert.certPem;
        connect.key = cert.keyPem;
      }
      const agent = new Agent({ connect });
      agents.push(agent);
      return agent;
    },
    async seedSession(over = {}, upstream = {}) {
      const tsid = randomBytes(16).toString('base64url');
      const session: Session = {
        tsid,
        owner: { ...OWNER },
        resource: RESOURCE,
        clientId: 'client-1',
        userId: randomUUID(),
        familyId: randomUUID(),
        createdAtMs: now(),
        expiresAtMs: now() + 86_400_000,
        ...over,
      };
      await store.sessions.create(session);
      const row: UpstreamTokens = {
        provider: UPSTREAM,
        accessToken: `upstream-at-${randomUUID()}`,
        refreshToken: 'upstream-rt-1',
        expiresAtMs: now() + 3_600_000,
        sessionExpiresAtMs: session.expiresAtMs,
        userId: session.userId,
        upstreamSubject: 'alice',
        clientId: 'upstream-client',
        ...upstream,
      };
      await store.upstreamTokens.store(tsid, row.provider, row);
      return { tsid, session, upstream: row };
    },
    async mint(session, claims = {}, opts = {}) {
      const key = opts.key ?? active;
      const iat = Math.floor(now() / 1000);
      return new SignJWT({
        iss: ISSUER,
        sub: session.userId,
        aud: [session.resource],
        iat,
        nbf: iat,
        exp: iat + 3600,
        jti: randomUUID(),
        client_id: session.clientId,
        scope: 'openid',
        tsid: session.tsid,
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', ...opts.header })
        .sign(key.privateKey);
    },
    async exchange(agent, form, init = {}) {
      const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
      const res = await request(`${url}${init.path ?? '/internal/token-exchange'}`, {
        dispatcher: agent,
        method: (init.method ?? 'POST') as 'POST',
        headers: { 'content-type': init.contentType ?? 'application/x-www-form-urlencoded' },
        ...(init.method === 'GET' ? {} : { body }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
    },
    async close() {
      await Promise.all(agents.map((a) => a.close()));
      await listener.close();
      source.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

export function exchangeForm(subjectToken: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: subjectToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    audience: UPSTREAM,
    ...extra,
  };
}
