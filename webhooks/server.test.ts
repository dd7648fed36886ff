import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Pod } from 'kubernetes-models/v1/Pod';
import { createMemoryLookup } from './lookup/memory-lookup.ts';
import { startHarness, type Harness } from './testing/harness.ts';
import { applyReturnedPatch, decodePatch } from './testing/client.ts';
import { buildReview, fixture } from './testing/reviews.ts';
import { authServerConfig, labelledPod, mcpServer } from './testing/objects.ts';
import { WEBHOOK_PATHS } from './routes.ts';
import type { KubeObject } from './framework/types.ts';

const lookup = createMemoryLookup([
  mcpServer('mcp-servers', 'github-tools', 'main-authserver-client'),
  authServerConfig('mcp-servers', 'main-authserver-client', { authServerRef: { name: 'auth', namespace: 'toolhive-system' }, upstreamIdp: 'corp' }),
]);
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ lookup, bodyLimitBytes: 64 * 1024 });
});
afterAll(async () => {
  await h.stop();
});

describe('webhook HTTPS server: routing and malformed input', () => {
  it('routes on the path only (the apiserver appends ?timeout=10s) and echoes uid', async () => {
    const review = fixture('pod-create.json');
    const res = await h.client.post('/mutate-pods?timeout=10s', review);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const body = res.json();
    expect(body.apiVersion).toBe('admission.k8s.io/v1');
    expect(body.kind).toBe('AdmissionReview');
    expect(body.response.uid).toBe('be547b4a-f872-4ff9-b52c-bc239e022cb7');
    expect(body.response.allowed).toBe(true);
    expect(body.response.patchType).toBe('JSONPatch');
  });

  it('pod injection over HTTPS: patch applies, gives a valid Pod, and applying the result again changes nothing', async () => {
    for (const name of ['pod-create.json', 'pod-create-dryrun.json']) {
      const review = fixture(name);
      const pod = review.request.object as KubeObject;
      const first = (await h.client.post('/mutate-pods?timeout=10s', review)).json();
      const injected = applyReturnedPatch(pod, first);
      expect(() => new Pod(injected as never).validate()).not.toThrow();
      const again = (await h.client.post('/mutate-pods', { ...review, request: { ...review.request, object: injected } })).json();
      expect(again.response).toEqual({ uid: review.request.uid, allowed: true });
      expect(applyReturnedPatch(injected, again)).toEqual(injected);
    }
  });

  it('pod injection denial over HTTPS names what is missing', async () => {
    const review = buildReview({ operation: 'CREATE', object: labelledPod('unknown-server'), namespace: 'mcp-servers' });
    const body = (await h.client.post('/mutate-pods', review)).json();
    expect(body.response.uid).toBe(review.request.uid);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(body.response.status?.message).toContain('MCPServer mcp-servers/unknown-server not found');
    expect(decodePatch(body)).toEqual([]);
  });

  const valid = JSON.stringify(fixture('pod-create.json'));
  it.each([
    ['not JSON', 'this is not json', /not valid JSON/, ''],
    ['empty body', '', /not valid JSON/, ''],
    ['wrong apiVersion', valid.replace('"admission.k8s.io/v1"', '"admission.k8s.io/v1beta1"'), /apiVersion: must be admission.k8s.io\/v1/, 'be547b4a-f872-4ff9-b52c-bc239e022cb7'],
    ['wrong kind', valid.replace('"kind":"AdmissionReview"', '"kind":"Pod"'), /kind: must be AdmissionReview/, 'be547b4a-f872-4ff9-b52c-bc239e022cb7'],
    ['missing request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /request: required/, ''],
    ['missing uid', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }), /request.uid: required/, ''],
  ])('malformed review (%s) → 400 with a message, server keeps serving', async (_what, body, message, uid) => {
    const res = await h.client.post('/validate-mcpserver', body);
    expect(res.status).toBe(400);
    const review = res.json();
    expect(review.response.allowed).toBe(false);
    expect(review.response.uid).toBe(uid);
    expect(review.response.status?.code).toBe(400);
    expect(review.response.status?.message).toMatch(message);
    expect(res.text).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect((await h.client.get('/healthz')).status).toBe(200);
  });

  it('a review of the wrong kind on a path → errored 400 naming both kinds', async () => {
    const res = await h.client.post('/validate-mcpauthserver', fixture('mcpserver-create.json'));
    expect(res.status).toBe(200);
    expect(res.json().response).toMatchObject({
      allowed: false,
      status: { code: 400, message: 'request.kind: this webhook handles MCPAuthServer.toolhive.stacklok.dev (got MCPServer.toolhive.stacklok.dev)' },
    });
  });

  it('404 for unknown paths, 405 for non-POST on webhook paths and non-GET on probes', async () => {
    const r404 = await h.client.post('/validate-pods', fixture('pod-create.json'));
    expect(r404.status).toBe(404);
    expect(r404.text).toContain('/validate-pods');
    const r405 = await h.client.get('/mutate-pods');
    expect(r405.status).toBe(405);
    expect(r405.headers.allow).toBe('POST');
    const r405b = await h.client.post('/healthz', '{}');
    expect(r405b.status).toBe(405);
  });

  it('413 for a body over the limit (declared or streamed), then keeps serving', async () => {
    const big = JSON.stringify({ ...fixture('pod-create.json'), padding: 'x'.repeat(70 * 1024) });
    const res = await h.client.post('/mutate-pods', big);
    expect(res.status).toBe(413);
    expect(res.json().response.status?.message).toMatch(/exceeds 65536 bytes/);
    expect((await h.client.get('/healthz')).status).toBe(200);
  });

  it('keep-alive: advertises an idle timeout longer than the apiserver\'s 100 s', async () => {
    const res = await h.client.get('/healthz');
    expect(res.headers['keep-alive']).toBe('timeout=120');
  });
});

describe('webhook HTTPS server: health, readiness, metrics', () => {
  it('/readyz is 503 until the informer caches are synced, then 200', async () => {
    lookup.setSynced(false);
    const notReady = await h.client.get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.text).toBe('informer caches not synced');
    lookup.setSynced(true);
    expect((await h.client.get('/readyz')).status).toBe(200);
    expect((await h.client.get('/healthz')).text).toBe('ok');
  });

  it('/metrics exposes admission_duration_seconds by plugin and outcome', async () => {
    await h.client.post('/mutate-pods', fixture('pod-create.json'));
    await h.client.post('/mutate-pods', 'nope');
    const res = await h.client.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/admission_duration_seconds_count\{plugin="pod-inject",outcome="patched"\} [1-9]/);
    expect(res.text).toMatch(/admission_duration_seconds_count\{plugin="pod-inject",outcome="rejected"\} [1-9]/);
    expect(res.text).toMatch(/admission_duration_seconds_count\{plugin="pod-inject",outcome="denied"\} [1-9]/);
  });

  it('serves every path of routes.ts', async () => {
    for (const path of WEBHOOK_PATHS) {
      const res = await h.client.post(path, 'x');
      expect(res.status, path).toBe(400);
    }
  });
});

describe('webhook HTTPS server: plugin failures', () => {
  it('a throwing plugin gives errored 500 naming the plugin, never the exception text', async () => {
    const broken = {
      getMCPServer: () => {
        throw new Error('token=s3cr3t leaked detail');
      },
      getExternalAuthConfig: () => undefined,
      synced: () => true,
    };
    const r = await startHarness({ lookup: broken });
    try {
      const res = await r.client.post('/mutate-pods', fixture('pod-create.json'));
      expect(res.status).toBe(200);
      expect(res.json().response).toEqual({ uid: 'be547b4a-f872-4ff9-b52c-bc239e022cb7', allowed: false, status: { code: 500, message: 'internal error in pod-inject' } });
      expect(res.text).not.toContain('s3cr3t');
      expect((await r.client.get('/healthz')).status).toBe(200);
    } finally {
      await r.stop();
    }
  });
});

describe('webhook HTTPS server: startup failures are one clear error', () => {
  it('bad listen address, missing cert files, port in use', async () => {
    await expect(startHarness({ listen: 'nonsense' })).rejects.toThrow('listen address "nonsense" must be HOST:PORT, :PORT or [IPv6]:PORT with a port 0-65535');
    await expect(startHarness({ tlsCertFile: '/nonexistent/tls.crt' })).rejects.toThrow('cannot read certificate file /nonexistent/tls.crt: ENOENT');
    await expect(startHarness({ listen: `127.0.0.1:${h.server.address().port}` })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('webhook HTTPS server: certificate rotation and drain', () => {
  it('a new handshake sees the rotated certificate, without restart', async () => {
    const r = await startHarness({ certPollIntervalMs: 20 });
    try {
      const before = await peerFingerprint(r.server.address().port, r.certs.ca.certPem);
      const rotated = await r.certs.rotate({ newCa: true });
      const expected = new X509Certificate(rotated.certPem).fingerprint256;
      // Poll (no timed assertion): the server notices within a few poll intervals.
      let after = before;
      for (let i = 0; i < 200 && after !== expected; i++) {
        await new Promise((res) => setTimeout(res, 20));
        after = await peerFingerprint(r.server.address().port, r.certs.ca.certPem).catch(() => before);
      }
      expect(after).toBe(expected);
      expect(after).not.toBe(before);
      // A client trusting only the new CA now gets answers.
      const { makeClient } = await import('./testing/client.ts');
      const fresh = makeClient(r.baseUrl, r.certs.ca.certPem);
      expect((await fresh.get('/healthz')).status).toBe(200);
      await fresh.close();
    } finally {
      await r.stop();
    }
  });

  it('close() answers the in-flight review, refuses new connections and does not wait for idle keep-alive sockets', async () => {
    const r = await startHarness({ lookup });
    const port = r.server.address().port;
    expect((await r.client.get('/healthz')).status).toBe(200); // leaves an idle keep-alive connection in the client
    const body = Buffer.from(JSON.stringify(fixture('pod-create.json')));
    const socket = tls.connect({ port, host: '127.0.0.1', ca: r.certs.ca.certPem, servername: 'localhost' });
    await new Promise<void>((res) => socket.once('secureConnect', () => res()));
    socket.write(`POST /mutate-pods?timeout=10s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body.subarray(0, 100));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    const ended = new Promise<void>((res) => socket.once('close', () => res()));
    // Wait until the server has the request in flight (its headers parsed).
    await new Promise((res) => setTimeout(res, 50));
    const closed = r.server.close();
    expect(r.server.ready()).toBe(false);
    socket.write(body.subarray(100));
    await closed;
    await ended;
    expect(received).toMatch(/^HTTP\/1.1 200 OK/);
    expect(received).toMatch(/connection: close/i);
    expect(received).toContain('"uid":"be547b4a-f872-4ff9-b52c-bc239e022cb7"');
    await expect(peerFingerprint(port, r.certs.ca.certPem)).rejects.toThrow();
    await r.stop();
  });
});

function peerFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () => {
      const fp = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.end();
      resolve(fp);
    });
    socket.once('error', reject);
  });
}
