/**
 * The auth server's process for bench/memory.ts, so its peak resident memory (getrusage maxRSS)
 * is the server's own and not the load generator's. Plain JavaScript importing the bundle that
 * `npm run build` writes for the container image (hack/bundle.ts; bench/memory.ts writes it to
 * bench/.build/), because that is what the image runs: loading the sources through tsx would add
 * the transpiler's own memory (~35 MB). It fills the memory store with `sessions` sessions through
 * the bundle's own store (100,000 logins over HTTP would take minutes), then serves the public
 * app. Talks to the parent over IPC: says hello, takes {init}, sends {ready, port} once listening,
 * answers {peakRssMb} when asked.
 */
import { randomBytes, randomUUID, generateKeyPairSync } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import http from 'node:http';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bundled = (name) => new URL(`../.build/${name}.mjs`, import.meta.url).href;
const token = (bytes) => randomBytes(bytes).toString('base64url');
/** 700 random bytes = 934 base64url characters: the size of a typical Okta or Entra JWT. */
const UPSTREAM_TOKEN_BYTES = 700;

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return server.address().port;
}

async function startAuthServer(sessions) {
  const { createMemoryStore } = await import(bundled('store'));
  const { createAuthServer } = await import(bundled('authserver'));
  const { createLogger } = await import(bundled('telemetry'));
  const store = createMemoryStore({ encryptionKeys: { activeKeyId: 'k1', keys: { k1: randomBytes(32) } } });
  const now = Date.now();
  const owner = { namespace: 'mcp-prod', name: 'github-tools' };
  const resource = 'https://github-tools.mcp.example.com/mcp';
  for (let i = 0; i < sessions; i++) {
    const tsid = token(16);
    const userId = randomUUID();
    const familyId = randomUUID();
    const expiresAtMs = now + 7 * 86400_000;
    await store.sessions.create({ tsid, owner, resource, clientId: 'client-1', userId, familyId, createdAtMs: now, expiresAtMs });
    await store.upstreamTokens.store(tsid, 'corp', {
      provider: 'corp', accessToken: token(UPSTREAM_TOKEN_BYTES), refreshToken: token(48),
      expiresAtMs: now + 3600_000, sessionExpiresAtMs: expiresAtMs, userId, upstreamSubject: `user-${i}`, clientId: 'client-1',
    });
    await store.refreshTokens.create({
      hash: token(32), familyId, clientId: 'client-1', tsid, userId, scopes: ['openid'], resource, expiresAtMs, usedAtMs: null, revokedAtMs: null,
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-as-'));
  const mapFile = join(dir, 'resources.json');
  writeFileSync(mapFile, JSON.stringify({ version: 1, resources: { [resource]: { ...owner, upstreamIdp: 'corp' } } }));
  const auth = await createAuthServer(
    {
      issuer: 'https://auth.bench.example', publicListenAddr: '127.0.0.1:0', internalListenAddr: '127.0.0.1:0', publicTls: false,
      signingKeys: [{ source: 'bench', pem: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }), algorithm: 'ES256' }],
      tokenLifespans: { accessTokenSeconds: 3600, refreshTokenSeconds: 604800, authCodeSeconds: 600 },
      // Unreachable on purpose: this process measures memory, not federation.
      upstreams: [{ name: 'corp', type: 'oidc', issuerUrl: 'http://127.0.0.1:9', clientId: 'c', clientSecret: 's', redirectUri: 'https://auth.bench.example/oauth/callback', scopes: ['openid'] }],
      upstreamTimeoutMs: 1000, resourceMapFile: mapFile, resourceMapPollIntervalMs: 60_000, scopesSupported: [],
      storage: { type: 'memory' }, dcr: { ratePerSecond: 1e6, burst: 1e6, allowConfidential: false },
      clientIdMetadataDocuments: { enabled: false, allowPrivateAddresses: false, fetchTimeoutMs: 5000, maxBytes: 5120, cacheTtlMs: 600_000 },
      logLevel: 'silent',
    },
    store,
    { logger: createLogger({ level: 'silent' }), discoveryRetryMs: 3_600_000 },
  );
  return listen(http.createServer(auth.publicApp));
}

// What `mcp-authserver serve` does at start (limitHeapGrowth in src/cli/lib/heap-growth.ts, whose
// HEAP_GROWTH_FLAG a test compares with this line): this process runs the bundle, not the CLI.
setFlagsFromString('--heap-growing-percent=30');

process.on('message', async (msg) => {
  if (msg.peak) {
    globalThis.gc?.();
    process.send({ peakRssMb: process.resourceUsage().maxRSS / 1024, liveHeapMb: process.memoryUsage().heapUsed / 2 ** 20, rssMb: process.memoryUsage().rss / 2 ** 20 });
    return;
  }
  const port = await startAuthServer(msg.init.sessions ?? 0);
  process.send({ ready: true, port });
});
// Messages sent before a listener exists are lost: tell the parent we are listening now.
process.send({ hello: true });
