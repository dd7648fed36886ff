/**
 * Starts a real redis-server for tests (no mock): `/usr/bin/redis-server` on a free loopback port,
 * without automatic persistence (`--save '' --appendonly no`), in its own temporary directory.
 *
 * Outage simulation:
 *  - `stop()` shuts the server down like a crash seen from the clients (connections drop);
 *    by default it first writes a snapshot to its private directory (`SHUTDOWN SAVE`), so
 *    `restart()` (same port) comes back with the data, like a Redis with persistence.
 *    `stop({ keepData: false })` drops everything (`SHUTDOWN NOSAVE`).
 *  - `hang()` / `resume()` freeze and thaw the process (SIGSTOP / SIGCONT): connections stay open
 *    but nothing answers, the realistic "hung Redis" fault that only a command timeout catches.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>`, or `rediss://localhost:<port>` with TLS. */
  url: string;
  port: number;
  stop(options?: { keepData?: boolean }): Promise<void>;
  restart(): Promise<void>;
  hang(): void;
  resume(): void;
}

const REDIS_SERVER = '/usr/bin/redis-server';

/** One exit hook for all servers of this process: kill leftovers and remove their directories. */
const cleanups = new Set<() => void>();
process.once('exit', () => {
  for (const cleanup of cleanups) cleanup();
});

export interface RedisServerOptions {
  /** Serve TLS only (no plain port), with this server certificate; clients are not asked for one. */
  tls?: { certPem: string; keyPem: string; caPem: string };
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-test-'));
  const tlsArgs: string[] = [];
  if (options.tls) {
    writeFileSync(path.join(dir, 'tls.crt'), options.tls.certPem);
    writeFileSync(path.join(dir, 'tls.key'), options.tls.keyPem, { mode: 0o600 });
    writeFileSync(path.join(dir, 'ca.crt'), options.tls.caPem);
    tlsArgs.push('--tls-cert-file', path.join(dir, 'tls.crt'), '--tls-key-file', path.join(dir, 'tls.key'), '--tls-ca-cert-file', path.join(dir, 'ca.crt'), '--tls-auth-clients', 'no');
  }
  const ports = options.tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const connectOptions = options.tls ? { ca: options.tls.caPem, servername: 'localhost' } : undefined;
  let child: ChildProcess | undefined;
  let stderr = '';

  cleanups.add(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function launch(): Promise<void> {
    stderr = '';
    mkdirSync(dir, { recursive: true });
    const proc = spawn(REDIS_SERVER, [...ports, ...tlsArgs, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb', '--protected-mode', 'yes'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child = proc;
    watchParent(proc.pid, dir);
    const exited = new Promise<never>((_, reject) => {
      proc.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before answering PING: ${stderr.trim()}`)));
    });
    await Promise.race([waitForPong(port, connectOptions), exited]);
  }

  async function shutdown(keepData: boolean): Promise<void> {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null) return;
    proc.kill('SIGCONT'); // in case it was hung
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      await sendCommand(port, keepData ? 'SHUTDOWN SAVE' : 'SHUTDOWN NOSAVE', connectOptions);
    } catch {
      proc.kill('SIGKILL');
    }
    await exited;
    child = undefined;
    if (!keepData) rmSync(path.join(dir, 'dump.rdb'), { force: true });
  }

  await launch();
  return {
    url: options.tls ? `rediss://localhost:${port}` : `redis://127.0.0.1:${port}`,
    port,
    async stop(options = {}) {
      await shutdown(options.keepData ?? true);
    },
    async restart() {
      await shutdown(true);
      await launch();
    },
    hang() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
}

/**
 * A test worker killed by a timeout or a signal never runs its exit hooks, and a leftover
 * redis-server would hold a port and memory on a shared machine. A detached shell watches this
 * process and kills the server (and removes its directory) once this process is gone.
 */
function watchParent(redisPid: number | undefined, dir: string): void {
  if (redisPid === undefined) return;
  const parent = process.pid;
  const script = `while kill -0 ${parent} 2>/dev/null && kill -0 ${redisPid} 2>/dev/null; do sleep 1; done; if ! kill -0 ${parent} 2>/dev/null; then kill -9 ${redisPid} 2>/dev/null; rm -rf '${dir}'; fi`;
  const watcher = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watcher.unref();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Sends one inline command and resolves with the first reply line (connection closed after). */
function sendCommand(port: number, command: string, tlsOptions?: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsOptions ? tls.connect({ ...tlsOptions, port, host: '127.0.0.1' }) : net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(2000, () => socket.destroy(new Error(`no reply to ${command}`)));
    socket.once(tlsOptions ? 'secureConnect' : 'connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply.split('\r\n')[0]!);
      }
    });
    socket.once('error', reject);
    // SHUTDOWN closes the connection without a reply.
    socket.once('close', () => resolve(reply));
  });
}

async function waitForPong(port: number, tlsOptions?: tls.ConnectionOptions): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 250; attempt += 1) {
    try {
      if ((await sendCommand(port, 'PING', tlsOptions)) === '+PONG') return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer PING: ${String(lastError)}`);
}
