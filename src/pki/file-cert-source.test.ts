import https from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetch } from 'undici';
import {
  FileCertSource,
  PkiError,
  ReloadingAgent,
  createCA,
  issueClientCert,
  issueServerCert,
  serveTlsFromFiles,
  tlsServerOptions,
  writeBundle,
  type CertBundle,
} from './index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pki-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serverFiles(ca: CertBundle, clientCa: CertBundle) {
  const server = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  return writeBundle(join(dir, 'server'), { ...server, caPem: clientCa.certPem });
}

/** Real mTLS echo server that reports which client cert CN it saw and the socket count. */
async function startEcho(source: FileCertSource) {
  const sockets = new Set<TLSSocket>();
  const server = https.createServer({ ...tlsServerOptions(source), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const socket = req.socket as TLSSocket;
    res.end(JSON.stringify({ cn: socket.getPeerCertificate().subject?.CN }));
  });
  server.on('secureConnection', (s: TLSSocket) => sockets.add(s));
  serveTlsFromFiles(server, source);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/**
 * Resolves once the source publishes material whose CA bundle is `caPem`. writeBundle renames
 * three files one by one (as two separate kubelet mounts would update them), so a poll may first
 * publish an intermediate state; the source converges on the next poll.
 */
function waitForCa(source: FileCertSource, caPem: string): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe = source.subscribe((m) => {
      if (m.ca?.toString() === caPem) {
        unsubscribe();
        resolve();
      }
    });
  });
}

function close(server: https.Server) {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
}

describe('FileCertSource', () => {
  it('loads, ignores unchanged files, keeps the last good material on bad files and counts failures', async () => {
    const ca = await createCA({ commonName: 'ca' });
    const files = await serverFiles(ca, ca);
    const errors: PkiError[] = [];
    const source = new FileCertSource({ ...files, pollIntervalMs: 3_600_000, onError: (e) => errors.push(e) });
    const seen: number[] = [];
    source.subscribe((m) => seen.push(m.version));
    const first = await source.start();
    expect(first.version).toBe(1);
    expect(await source.reload()).toBe(false);

    await writeFile(files.certFile, 'not a certificate');
    expect(await source.reload()).toBe(false);
    expect(source.current().cert.equals(first.cert)).toBe(true);
    expect(source.consecutiveFailures).toBe(1);
    expect(errors.at(-1)?.code).toBe('invalid_pem');
    expect(errors.at(-1)?.message).not.toContain('PRIVATE KEY');

    // A new certificate with the old key (half-written rotation) is a mismatch: keep last good.
    const other = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'] });
    await writeFile(files.certFile, other.certPem);
    expect(await source.reload()).toBe(false);
    expect(errors.at(-1)?.code).toBe('key_mismatch');

    await rm(files.keyFile);
    expect(await source.reload()).toBe(false);
    expect(errors.at(-1)?.code).toBe('read_failed');
    expect(source.totalFailures).toBe(3);

    await writeFile(files.keyFile, other.keyPem);
    expect(await source.reload()).toBe(true);
    expect(source.consecutiveFailures).toBe(0);
    expect(source.current().version).toBe(2);
    expect(seen).toEqual([1, 2]);
    source.stop();
  });

  it('fails the first load with a clear error naming the file', async () => {
    const source = new FileCertSource({ certFile: join(dir, 'missing.crt'), keyFile: join(dir, 'missing.key') });
    await expect(source.start()).rejects.toThrow(/cannot read certificate file .*missing\.crt: ENOENT/);
    expect(source.loaded).toBe(false);
  });

  it('rotates server cert and client CA under a live mTLS server; the open connection stays up', async () => {
    const ca1 = await createCA({ commonName: 'ca-1' });
    const ca2 = await createCA({ commonName: 'ca-2' });
    const files = await serverFiles(ca1, ca1);
    const source = new FileCertSource({ ...files, pollIntervalMs: 20 });
    await source.start();
    const { server, port, sockets } = await startEcho(source);
    try {
      const client1 = await issueClientCert(ca1, { commonName: 'client-1', spiffeIds: ['spiffe://td/ns/a/mcpserver/b'] });
      const client1Files = await writeBundle(join(dir, 'client1'), { ...client1, caPem: ca1.certPem });
      const clientSource = new FileCertSource({ ...client1Files, pollIntervalMs: 20 });
      await clientSource.start();
      const agent = new ReloadingAgent(clientSource);
      const url = `https://localhost:${port}/`;

      const r1 = await fetch(url, { dispatcher: agent });
      expect(await r1.json()).toEqual({ cn: 'client-1' });
      expect(sockets.size).toBe(1);

      // Rotate the server to a CA-2 cert that only accepts CA-2 clients.
      const changed = waitForCa(source, ca2.certPem);
      await serverFiles(ca2, ca2);
      await changed;

      // The established keep-alive connection still answers (no restart, session kept).
      const r2 = await fetch(url, { dispatcher: agent });
      expect(await r2.json()).toEqual({ cn: 'client-1' });
      expect(sockets.size).toBe(1);

      // A new handshake with the old client material now fails (server presents CA-2 cert,
      // and requires CA-2 clients).
      const fresh1 = new ReloadingAgent(clientSource);
      await expect(fetch(url, { dispatcher: fresh1 })).rejects.toThrow();
      await fresh1.close();

      // Rotate the client's files: the ReloadingAgent rebuilds and new handshakes succeed.
      const client2 = await issueClientCert(ca2, { commonName: 'client-2', spiffeIds: ['spiffe://td/ns/a/mcpserver/b'] });
      const clientChanged = waitForCa(clientSource, ca2.certPem);
      await writeBundle(join(dir, 'client1'), { ...client2, caPem: ca2.certPem });
      await clientChanged;
      expect(agent.generation).toBeGreaterThanOrEqual(2);
      const r3 = await fetch(url, { dispatcher: agent });
      expect(await r3.json()).toEqual({ cn: 'client-2' });
      expect(sockets.size).toBe(2);
      await agent.close();
      clientSource.stop();
    } finally {
      source.stop();
      await close(server);
    }
  });

  it('rejects a client whose certificate chains to another CA', async () => {
    const ca = await createCA({ commonName: 'ca' });
    const rogue = await createCA({ commonName: 'rogue' });
    const files = await serverFiles(ca, ca);
    const source = new FileCertSource(files);
    await source.start();
    const { server, port } = await startEcho(source);
    try {
      const bad = await issueClientCert(rogue, { commonName: 'rogue-client' });
      const badFiles = await writeBundle(join(dir, 'bad'), { ...bad, caPem: ca.certPem });
      const badSource = new FileCertSource(badFiles);
      await badSource.start();
      const agent = new ReloadingAgent(badSource);
      await expect(fetch(`https://localhost:${port}/`, { dispatcher: agent })).rejects.toThrow();
      await agent.close();
      badSource.stop();
    } finally {
      source.stop();
      await close(server);
    }
  });
});
