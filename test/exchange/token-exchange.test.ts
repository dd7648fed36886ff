import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, base64url } from 'jose';
import { createCA, type ClientCertOptions } from '../../src/pki/index.ts';
import { identityParseCount } from '../../src/exchange/index.ts';
import { ISSUER, OWNER, RESOURCE, TRUST_DOMAIN, UPSTREAM, exchangeForm, makeKey, startHarness, type Harness } from './harness.ts';

// Internal endpoint rows of spec §6.2, end to end over real mTLS against the real listener.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    allowedSubjects: {
      allowedNamespaces: ['tools', 'other'],
      allowedNames: ['github', 'gitlab'],
      allowedServers: [
        { namespace: 'tools', name: 'github' },
        { namespace: 'other', name: 'github' },
        { namespace: 'other', name: 'gitlab' },
      ],
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const spiffe = (path: string) => `spiffe://${TRUST_DOMAIN}/${path}`;

async function validToken() {
  const { session } = await h.seedSession();
  return { session, token: await h.mint(session) };
}

describe('internal token exchange: success', () => {
  it('returns the upstream access token (RFC 8693 shape, no refresh/id token, no-store) and audits it', async () => {
    const { session, upstream } = await h.seedSession();
    const token = await h.mint(session);
    const agent = await h.clientAgent();
    const before = h.audit.length;
    const res = await h.exchange(agent, exchangeForm(token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      access_token: upstream.accessToken,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: expect.any(Number),
    });
    expect(res.body.expires_in as number).toBeGreaterThan(3500);
    expect(res.headers['cache-control']).toBe('no-store');
    const events = h.audit.slice(before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: 'token_exchange',
      outcome: 'success',
      listener: 'internal',
      spiffe_id: spiffe('ns/tools/mcpserver/github'),
      peer_namespace: 'tools',
      peer_name: 'github',
      cert_cn: 'proxy',
      sub: session.userId,
      client_id: 'client-1',
      aud: [RESOURCE],
      upstream_idp: UPSTREAM,
      upstream_refreshed: false,
      tsid_hash: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const line = JSON.stringify(events[0]);
    expect(line).not.toContain(upstream.accessToken);
    expect(line).not.toContain(session.tsid);
    expect(line).not.toContain(token);
  });

  it('accepts the access_token subject type, omitted audience (default IdP) and a rotated (non-active) key', async () => {
    const { session, upstream } = await h.seedSession();
    const token = await h.mint(session, {}, { key: h.keys.rotated });
    const form = exchangeForm(token, { subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    delete (form as Record<string, string | undefined>).audience;
    const res = await h.exchange(await h.clientAgent(), { ...form, requested_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    expect(res.status).toBe(200);
    expect(res.body.access_token).toBe(upstream.accessToken);
  });

  it('parses the peer identity once per TLS connection, not per request', async () => {
    const agent = await h.clientAgent();
    const { session } = await h.seedSession();
    const token = await h.mint(session);
    const sockets = new Set<unknown>();
    const onConnection = (socket: unknown) => sockets.add(socket);
    h.listener.server.on('secureConnection', onConnection);
    const before = identityParseCount();
    try {
      for (let i = 0; i < 6; i++) expect((await h.exchange(agent, exchangeForm(token))).status).toBe(200);
    } finally {
      h.listener.server.off('secureConnection', onConnection);
    }
    expect(sockets.size).toBeLessThan(6);
    expect(identityParseCount() - before).toBe(sockets.size);
  });

  it('omits expires_in when the upstream gave no expiry (0 = never expires)', async () => {
    const { session } = await h.seedSession({}, { expiresAtMs: 0 });
    const res = await h.exchange(await h.clientAgent(), exchangeForm(await h.mint(session)));
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('expires_in');
  });
});

describe('internal token exchange: TLS (step 1, handshake aborted, no HTTP response)', () => {
  it.each<[string, () => Promise<Partial<ClientCertOptions> & { ca?: Awaited<ReturnType<typeof createCA>>; noCert?: boolean }>]>([
    ['no client certificate', async () => ({ noCert: true })],
    ['a certificate from another CA', async () => ({ ca: await createCA({ commonName: 'rogue CA' }) })],
    ['an expired certificate', async () => ({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2020-02-01T00:00:00Z') })],
    ['a not-yet-valid certificate', async () => ({ notBefore: new Date(Date.now() + 86_400_000), notAfter: new Date(Date.now() + 2 * 86_400_000) })],
    ['a certificate with only serverAuth EKU (like the server cert)', async () => ({ extKeyUsages: ['serverAuth'] })],
  ])('%s', async (_label, make) => {
    const agent = await h.clientAgent(await make());
    const { token } = await validToken();
    const before = h.audit.length;
    await expect(h.exchange(agent, exchangeForm(token))).rejects.toThrow();
    // No HTTP request reached the endpoint; the failed handshake is audited as cert.rejected.
    await new Promise((resolve) => setImmediate(resolve));
    const events = h.audit.slice(before);
    expect(events.some((e) => e.event === 'token_exchange')).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ event: 'cert.rejected', outcome: 'denied', listener: 'internal' }));
  });
});

describe('internal token exchange: identity (step 3 → 401 invalid_client)', () => {
  const long = 'a'.repeat(64);
  it.each<[string, Partial<ClientCertOptions>]>([
    ['zero URI SANs', { spiffeIds: [] }],
    ['two spiffe URI SANs', { spiffeIds: [spiffe('ns/tools/mcpserver/github'), spiffe('ns/tools/mcpserver/gitlab')] }],
    ['no EKU at all', { extKeyUsages: [] }],
    ['a CA:true leaf', { isCA: true }],
    ['keyCertSign key usage', { keyUsages: ['digitalSignature', 'keyCertSign'] }],
    ['uppercase trust domain (spiffe://OTHER.domain)', { spiffeIds: ['spiffe://OTHER.domain/ns/tools/mcpserver/github'] }],
    ['uppercase trust domain', { spiffeIds: [`spiffe://TD.EXAMPLE/ns/tools/mcpserver/github`] }],
    ['port in trust domain', { spiffeIds: [`spiffe://${TRUST_DOMAIN}:8443/ns/tools/mcpserver/github`] }],
    ['userinfo', { spiffeIds: [`spiffe://user@${TRUST_DOMAIN}/ns/tools/mcpserver/github`] }],
    ['query', { spiffeIds: [spiffe('ns/tools/mcpserver/github?x=1')] }],
    ['fragment', { spiffeIds: [spiffe('ns/tools/mcpserver/github#f')] }],
    ['path ns/a/mcpserver', { spiffeIds: [spiffe('ns/tools/mcpserver')] }],
    ['path ns/a/mcpserver/b/c', { spiffeIds: [spiffe('ns/tools/mcpserver/github/c')] }],
    ['path ns//mcpserver/b', { spiffeIds: [spiffe('ns//mcpserver/github')] }],
    ['path namespace/a/mcpserver/b', { spiffeIds: [spiffe('namespace/tools/mcpserver/github')] }],
    ['path ns/a/vmcp/b', { spiffeIds: [spiffe('ns/tools/vmcp/github')] }],
    ['path ns/a%2Fx/mcpserver/b', { spiffeIds: [spiffe('ns/tools%2Fx/mcpserver/github')] }],
    ['path ns/../mcpserver/b', { spiffeIds: [spiffe('ns/../mcpserver/github')] }],
    ['uppercase name', { spiffeIds: [spiffe('ns/tools/mcpserver/GitHub')] }],
    ['name longer than 63', { spiffeIds: [spiffe(`ns/tools/mcpserver/${long}`)] }],
  ])('%s', async (_label, certOptions) => {
    const { token } = await validToken();
    const before = h.audit.length;
    const res = await h.exchange(await h.clientAgent(certOptions), exchangeForm(token));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(h.audit.slice(before)).toEqual([expect.objectContaining({ event: 'token_exchange', outcome: 'denied', reason: expect.stringMatching(/^cert_/) })]);
  });
});

describe('internal token exchange: subject policy (step 4 → 403 access_denied)', () => {
  it.each([
    ['another trust domain', 'spiffe://other.domain/ns/tools/mcpserver/github', 'trust_domain_mismatch'],
    ['namespace not in allowedNamespaces', spiffe('ns/evil/mcpserver/github'), 'namespace_not_allowed'],
    ['name not in allowedNames', spiffe('ns/tools/mcpserver/jira'), 'name_not_allowed'],
    ['pair not in allowedServers', spiffe('ns/tools/mcpserver/gitlab'), 'server_not_allowed'],
  ])('%s', async (_label, id, reason) => {
    const { token } = await validToken();
    const before = h.audit.length;
    const res = await h.exchange(await h.clientAgent({ spiffeIds: [id] }), exchangeForm(token));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('access_denied');
    expect(h.audit.slice(before)[0]).toMatchObject({ outcome: 'denied', reason });
  });
});

describe('internal token exchange: request shape (steps 2 and 5)', () => {
  it('GET and PUT → 405 with Allow: POST', async () => {
    const agent = await h.clientAgent();
    for (const method of ['GET', 'PUT']) {
      const res = await h.exchange(agent, '', { method });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
    }
  });

  it('other paths → 404', async () => {
    const agent = await h.clientAgent();
    for (const path of ['/', '/oauth/token', '/internal/token-exchange/x', '/.well-known/openid-configuration']) {
      expect((await h.exchange(agent, '', { path })).status).toBe(404);
    }
  });

  it('JSON body → 400 invalid_request', async () => {
    const { token } = await validToken();
    const res = await h.exchange(await h.clientAgent(), JSON.stringify(exchangeForm(token)), { contentType: 'application/json' });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('body over 64 KiB → 413 invalid_request', async () => {
    const { token } = await validToken();
    const res = await h.exchange(await h.clientAgent(), new URLSearchParams({ ...exchangeForm(token), pad: 'x'.repeat(70_000) }).toString());
    expect(res).toMatchObject({ status: 413, body: { error: 'invalid_request' } });
  });

  it('chunked body over 64 KiB (no content-length) → 413, counted while streaming', async () => {
    const { token } = await validToken();
    const agent = await h.clientAgent();
    const prefix = new URLSearchParams(exchangeForm(token)).toString();
    async function* chunks() {
      yield Buffer.from(prefix);
      for (let i = 0; i < 20; i++) yield Buffer.from(`&pad${i}=${'x'.repeat(4096)}`);
    }
    const { request } = await import('undici');
    const res = await request(`${h.url}/internal/token-exchange`, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Readable.from(chunks()),
    });
    expect(res.statusCode).toBe(413);
    expect(await res.body.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('repeated subject_token → 400 invalid_request naming the parameter', async () => {
    const { token } = await validToken();
    const body = `${new URLSearchParams(exchangeForm(token)).toString()}&subject_token=${token}`;
    const res = await h.exchange(await h.clientAgent(), body);
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: expect.stringContaining('subject_token') } });
  });

  it.each<[string, Record<string, string | undefined>, number, string]>([
    ['grant_type authorization_code', { grant_type: 'authorization_code' }, 400, 'unsupported_grant_type'],
    ['grant_type refresh_token', { grant_type: 'refresh_token' }, 400, 'unsupported_grant_type'],
    ['grant_type client_credentials', { grant_type: 'client_credentials' }, 400, 'unsupported_grant_type'],
    ['grant_type missing', { grant_type: undefined }, 400, 'invalid_request'],
    ['subject_token_type id_token', { subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 400, 'invalid_request'],
    ['subject_token_type missing', { subject_token_type: undefined }, 400, 'invalid_request'],
    ['subject_token missing', { subject_token: undefined }, 400, 'invalid_request'],
    ['resource present', { resource: RESOURCE }, 400, 'invalid_request'],
    ['scope present', { scope: 'openid' }, 400, 'invalid_request'],
    ['actor_token present', { actor_token: 'x' }, 400, 'invalid_request'],
    ['requested_token_type refresh_token', { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 400, 'invalid_request'],
    ['audience naming an unknown IdP', { audience: 'nope' }, 400, 'invalid_target'],
  ])('%s → %i %s', async (_label, change, status, error) => {
    const { token } = await validToken();
    const form: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...exchangeForm(token), ...change })) if (v !== undefined) form[k] = v;
    const res = await h.exchange(await h.clientAgent(), form);
    expect(res).toMatchObject({ status, body: { error } });
  });
});

describe('internal token exchange: subject_token (steps 6–10)', () => {
  const b64 = (o: object) => base64url.encode(JSON.stringify(o));

  type Case = [string, (ctx: Awaited<ReturnType<Harness['seedSession']>>) => Promise<string>, string];
  const cases: Case[] = [
    ['not 3 segments', async () => 'a.b', 'token_malformed'],
    ['bad base64 header', async ({ session }) => `!!!.${(await h.mint(session)).split('.').slice(1).join('.')}`, 'token_malformed'],
    [
      'alg none',
      async ({ session }) => {
        const payload = (await h.mint(session)).split('.')[1];
        return `${b64({ alg: 'none', kid: h.keys.active.kid, typ: 'at+jwt' })}.${payload}.`;
      },
      'token_malformed',
    ],
    [
      'alg none with a signature segment',
      async ({ session }) => {
        const payload = (await h.mint(session)).split('.')[1];
        return `${b64({ alg: 'none', kid: h.keys.active.kid, typ: 'at+jwt' })}.${payload}.AAAA`;
      },
      'token_bad_alg',
    ],
    [
      'HS256 signed with the public key',
      async ({ session }) => {
        const pub = h.keys.active.publicKey.export({ format: 'pem', type: 'spki' });
        return new SignJWT({ iss: ISSUER, sub: session.userId, aud: [RESOURCE], jti: 'j', client_id: 'client-1', tsid: session.tsid, exp: Math.floor(Date.now() / 1000) + 60 })
          .setProtectedHeader({ alg: 'HS256', kid: h.keys.active.kid, typ: 'at+jwt' })
          .sign(new TextEncoder().encode(pub as string));
      },
      'token_bad_alg',
    ],
    ['unknown kid', async ({ session }) => h.mint(session, {}, { key: await makeKey() }), 'token_unknown_kid'],
    [
      'a known kid with a signature by another key',
      async ({ session }) => h.mint(session, {}, { key: { ...(await makeKey()), kid: h.keys.active.kid } }),
      'token_bad_signature',
    ],
    ['no kid', async ({ session }) => h.mint(session, {}, { header: { kid: undefined } }), 'token_no_kid'],
    ['iss of the upstream IdP', async ({ session }) => h.mint(session, { iss: 'https://idp.example.test' }), 'token_bad_iss'],
    ['iss with trailing slash', async ({ session }) => h.mint(session, { iss: `${ISSUER}/` }), 'token_bad_iss'],
    ['typ JWT instead of at+jwt', async ({ session }) => h.mint(session, {}, { header: { typ: 'JWT' } }), 'token_bad_typ'],
    ['expired (beyond 30 s leeway)', async ({ session }) => h.mint(session, { exp: Math.floor(Date.now() / 1000) - 31 }), 'token_expired'],
    ['nbf in the future', async ({ session }) => h.mint(session, { nbf: Math.floor(Date.now() / 1000) + 120 }), 'token_not_yet_valid'],
    ['iat in the future', async ({ session }) => h.mint(session, { iat: Math.floor(Date.now() / 1000) + 120, nbf: undefined }), 'token_not_yet_valid'],
    ['aud missing', async ({ session }) => h.mint(session, { aud: undefined }), 'token_no_aud'],
    ['tsid missing', async ({ session }) => h.mint(session, { tsid: undefined }), 'token_no_tsid'],
    ['tsid empty', async ({ session }) => h.mint(session, { tsid: '' }), 'token_no_tsid'],
    ['tsid not a string', async ({ session }) => h.mint(session, { tsid: 42 }), 'token_no_tsid'],
    ['tsid of no session', async ({ session }) => h.mint(session, { tsid: 'nonexistent-session-id' }), 'session_not_found'],
    [
      'revoked session',
      async ({ session }) => {
        await h.store.sessions.markRevoked(session.tsid, Date.now());
        return h.mint(session);
      },
      'session_revoked',
    ],
    [
      'deny-listed jti',
      async ({ session }) => {
        await h.store.denyList.deny('denied-jti', Date.now() + 3_600_000);
        return h.mint(session, { jti: 'denied-jti' });
      },
      'token_revoked',
    ],
    ['client_id ≠ session', async ({ session }) => h.mint(session, { client_id: 'client-2' }), 'binding_client_id'],
    ['sub ≠ session', async ({ session }) => h.mint(session, { sub: 'someone-else' }), 'binding_sub'],
    ['aud not containing the session resource', async ({ session }) => h.mint(session, { aud: ['https://other.example.test/mcp'] }), 'binding_aud'],
  ];

  it.each(cases)('%s → 400 invalid_grant', async (_label, make, reason) => {
    const seeded = await h.seedSession();
    const token = await make(seeded);
    const before = h.audit.length;
    const res = await h.exchange(await h.clientAgent(), exchangeForm(token));
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(h.audit.slice(before)).toEqual([expect.objectContaining({ event: 'token_exchange', outcome: 'denied', reason })]);
    expect(h.refresher.calls).toBe(0);
  });

  it('kid of a key removed from signingKeys → invalid_grant (a token that passed before)', async () => {
    const { session } = await h.seedSession();
    const token = await h.mint(session, {}, { key: h.keys.rotated });
    const agent = await h.clientAgent();
    expect((await h.exchange(agent, exchangeForm(token))).status).toBe(200);
    h.keySet.delete(h.keys.rotated.kid);
    try {
      const res = await h.exchange(agent, exchangeForm(token));
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(h.audit.at(-1)).toMatchObject({ reason: 'token_unknown_kid' });
    } finally {
      h.keySet.set(h.keys.rotated.kid, h.keys.rotated);
    }
  });

  it('expired session → invalid_grant', async () => {
    const { session } = await h.seedSession({ expiresAtMs: Date.now() + 5_000 });
    const token = await h.mint(session);
    h.clock.skewMs = 10_000;
    try {
      const res = await h.exchange(await h.clientAgent(), exchangeForm(token));
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(h.audit.at(-1)).toMatchObject({ reason: 'session_expired' });
    } finally {
      h.clock.skewMs = 0;
    }
  });

  it('resource no longer mapped to the owner → invalid_grant', async () => {
    const other = 'https://moved.example.test/mcp';
    h.resourceMap.set(other, { namespace: 'tools', name: 'gitlab', upstreamIdp: UPSTREAM });
    const { session } = await h.seedSession({ resource: other });
    const res = await h.exchange(await h.clientAgent(), exchangeForm(await h.mint(session)));
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(h.audit.at(-1)).toMatchObject({ reason: 'binding_resource_map' });
  });

  it('no upstream row for the requested IdP → invalid_grant', async () => {
    const onSecond = 'https://second-idp.example.test/mcp';
    h.resourceMap.set(onSecond, { ...OWNER, upstreamIdp: 'second' });
    const { session } = await h.seedSession({ resource: onSecond });
    const res = await h.exchange(await h.clientAgent(), exchangeForm(await h.mint(session), { audience: 'second' }));
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(h.audit.at(-1)).toMatchObject({ reason: 'upstream_row_missing', upstream_idp: 'second' });
  });

  it('an IdP other than the one the resource is mapped to → 403, nothing refreshed', async () => {
    const { session } = await h.seedSession({}, { expiresAtMs: Date.now() - 1000 });
    const callsBefore = h.refresher.calls;
    const res = await h.exchange(await h.clientAgent(), exchangeForm(await h.mint(session), { audience: 'second' }));
    expect(res).toMatchObject({ status: 403, body: { error: 'access_denied' } });
    expect(res.body.error_description).toMatch(/may only obtain tokens of the upstream identity provider/);
    expect(h.audit.at(-1)).toMatchObject({ reason: 'upstream_not_mapped' });
    expect(h.refresher.calls).toBe(callsBefore);
  });
});

describe('internal token exchange: owner binding [REV a] (step 9)', () => {
  it("another MCPServer's session → 403, nothing refreshed, audit with session_owner", async () => {
    // Expired upstream row: if the check order were wrong, a refresh would happen.
    const { session } = await h.seedSession({}, { expiresAtMs: Date.now() - 1000 });
    const token = await h.mint(session);
    const callsBefore = h.refresher.calls;
    const before = h.audit.length;
    const res = await h.exchange(await h.clientAgent({ spiffeIds: [spiffe('ns/other/mcpserver/github')] }), exchangeForm(token));
    expect(res).toMatchObject({ status: 403, body: { error: 'access_denied' } });
    expect(res.body).not.toHaveProperty('access_token');
    expect(h.refresher.calls).toBe(callsBefore);
    expect(h.audit.slice(before)).toEqual([
      expect.objectContaining({
        event: 'token_exchange',
        outcome: 'denied',
        reason: 'owner_mismatch',
        peer_namespace: 'other',
        peer_name: 'github',
        session_owner: `${OWNER.namespace}/${OWNER.name}`,
      }),
    ]);
    const row = await h.store.upstreamTokens.get(session.tsid, UPSTREAM, Date.now());
    expect(row?.tokens.refreshToken).toBe('upstream-rt-1');
  });
});

describe('internal token exchange: upstream refresh (steps 11–12)', () => {
  it('refreshes an expiring row once, returns the new token and keeps the old refresh token if not rotated', async () => {
    const { session } = await h.seedSession({}, { expiresAtMs: Date.now() + 10_000 });
    const calls = h.refresher.calls;
    h.refresher.next = async () => ({ accessToken: 'fresh-at', refreshToken: '', expiresAtMs: Date.now() + 3_600_000 });
    const agent = await h.clientAgent();
    const token = await h.mint(session);
    const [a, b] = await Promise.all([h.exchange(agent, exchangeForm(token)), h.exchange(agent, exchangeForm(token))]);
    expect(a.body.access_token).toBe('fresh-at');
    expect(b.body.access_token).toBe('fresh-at');
    expect(h.refresher.calls).toBe(calls + 1);
    const row = await h.store.upstreamTokens.get(session.tsid, UPSTREAM, Date.now());
    expect(row?.tokens).toMatchObject({ accessToken: 'fresh-at', refreshToken: 'upstream-rt-1' });
    expect(h.audit.filter((e) => e.upstream_refreshed === true).length).toBeGreaterThanOrEqual(1);
  });

  it('upstream invalid_grant deletes the row, kills the session and returns invalid_grant', async () => {
    const { session } = await h.seedSession({}, { expiresAtMs: Date.now() - 1 });
    h.refresher.next = async () => {
      throw Object.assign(new Error('upstream rejected'), { code: 'invalid_grant' });
    };
    const res = await h.exchange(await h.clientAgent(), exchangeForm(await h.mint(session)));
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await h.store.upstreamTokens.get(session.tsid, UPSTREAM, Date.now())).toBeNull();
    expect((await h.store.sessions.get(session.tsid))?.revokedAtMs).toBeTypeOf('number');
  });

  it('other upstream failure → 500 server_error with a fixed text; row kept', async () => {
    const { session } = await h.seedSession({}, { expiresAtMs: Date.now() - 1 });
    h.refresher.next = async () => {
      throw Object.assign(new Error('ECONNREFUSED secret-detail'), { code: 'refresh_failed' });
    };
    const res = await h.exchange(await h.clientAgent(), exchangeForm(await h.mint(session)));
    expect(res).toMatchObject({ status: 500, body: { error: 'server_error', error_description: 'the server encountered an internal error' } });
    expect(await h.store.upstreamTokens.get(session.tsid, UPSTREAM, Date.now())).not.toBeNull();
  });

  it('expired row without a refresh token → invalid_grant', async () => {
    const { session } = await h.seedSession({}, { expiresAtMs: Date.now() - 1, refreshToken: '' });
    const res = await h.exchange(await h.clientAgent(), exchangeForm(await h.mint(session)));
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(h.audit.at(-1)).toMatchObject({ reason: 'upstream_no_refresh_token' });
  });
});
