// `mcp-authserver proxy` as a child process: config errors are one clear line; a valid config
// serves RFC 9728 metadata and challenges unauthenticated requests.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, issueClientCert, writeBundle } from '../../src/pki/index.ts';

const BIN = new URL('../../bin/mcp-authserver.mjs', import.meta.url).pathname;
let dir: string;
let files: { certFile: string; keyFile: string; caFile?: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proxy-cli-'));
  const ca = await createCA({ commonName: 'ca' });
  files = await writeBundle(join(dir, 'mtls'), { ...(await issueClientCert(ca, { commonName: 'p', spiffeIds: ['spiffe://td/ns/a/mcpserver/b'] })), caPem: ca.certPem });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: Record<string, string>, until?: RegExp) {
  const child = spawn(process.execPath, [BIN, 'proxy', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const ready = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (until && until.test(stderr)) resolve({ code: null, stderr });
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  return { child, ready };
}

const flags = ['--upstream', 'http://127.0.0.1:9', '--resource-url', 'https://tools.example.test/mcp', '--issuer', 'https://auth.example.test'];

describe('mcp-authserver proxy (CLI)', () => {
  it('fails with one line naming the field when TOOLHIVE_AUTHSERVER_CONFIG is invalid', async () => {
    const { ready } = run(flags, { TOOLHIVE_AUTHSERVER_CONFIG: JSON.stringify({ url: 'http://x', client_cert_path: 'a', client_key_path: 'b', ca_bundle_path: 'c' }) });
    const { code, stderr } = await ready;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('TOOLHIVE_AUTHSERVER_CONFIG.url must match');
  });

  it('fails clearly when the variable is missing', async () => {
    const { ready } = run(flags, { TOOLHIVE_AUTHSERVER_CONFIG: '' });
    const { code, stderr } = await ready;
    expect(code).toBe(1);
    expect(stderr).toMatch(/TOOLHIVE_AUTHSERVER_CONFIG is not set/);
  });

  it('starts, serves metadata and a 401 challenge, and stops on SIGTERM', async () => {
    const port = await freePort();
    const config = { url: 'https://localhost:1', client_cert_path: files.certFile, client_key_path: files.keyFile, ca_bundle_path: files.caFile };
    const { child, ready } = run([...flags, '--listen', `127.0.0.1:${port}`], { TOOLHIVE_AUTHSERVER_CONFIG: JSON.stringify(config) }, /listening on/);
    try {
      const started = await ready;
      expect(started.code).toBeNull();
      const meta = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`);
      expect(await meta.json()).toMatchObject({ resource: 'https://tools.example.test/mcp', authorization_servers: ['https://auth.example.test'] });
      const denied = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST' });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toContain('resource_metadata="https://tools.example.test/.well-known/oauth-protected-resource/mcp"');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
