/**
 * The local stack (`mcp-authserver dev`) as a user runs it: every component started for real on
 * free loopback ports, and `dev --check`'s headless flow through all eight steps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { execFileSync } from 'node:child_process';
import { startLocalStack, type LocalStack } from '../../src/dev/local-stack.ts';
import { runCheckFlow } from '../../src/dev/check-flow.ts';
import { startRedisServer } from '../helpers/redis-server.ts';

function canListen(port: number): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as import('node:net').AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const FREE = { idp: 0, auth: 0, internal: 0, proxy: 0, mcp: 0 };
let stateDir: string;
let stack: LocalStack;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'dev-stack-'));
  stack = await startLocalStack({ stateDir, ports: FREE, logLevel: 'silent' });
});
afterAll(async () => {
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('mcp-authserver dev', () => {
  it('passes every step of --check: discovery, registration, login, token, tool call, refresh, revoke, exchange refused', async () => {
    const steps = await runCheckFlow(stack);
    expect(steps.map((s) => [s.name, s.ok, s.ok ? '' : s.detail])).toEqual([
      ['discovery', true, ''],
      ['registration', true, ''],
      ['login', true, ''],
      ['token', true, ''],
      ['tool call', true, ''],
      ['refresh', true, ''],
      ['revoke', true, ''],
      ['exchange refused after revoke', true, ''],
    ]);
  });

  it('runs the same flow on Redis storage (dev --redis), through serve\'s Redis store', async () => {
    const redis = await startRedisServer();
    const onRedis = await startLocalStack({ stateDir, ports: FREE, logLevel: 'silent', redisUrl: redis.url });
    try {
      const steps = await runCheckFlow(onRedis);
      expect(steps.filter((s) => !s.ok)).toEqual([]);
      expect(steps).toHaveLength(8);
      // The state really lives in Redis (a family marker and the registered client, at least).
      expect(Number(execFileSync('redis-cli', ['-p', String(redis.port), 'DBSIZE'], { encoding: 'utf8' }).trim())).toBeGreaterThan(0);
    } finally {
      await onRedis.stop();
      await redis.stop();
    }
  });

  it('generated its dev CA and keys on first start and reuses them on the next', async () => {
    expect(stack.state.generated).toBe(true);
    const again = await startLocalStack({ stateDir, ports: FREE, logLevel: 'silent' });
    try {
      expect(again.state.generated).toBe(false);
      expect(again.state.server.certFile).toBe(stack.state.server.certFile);
    } finally {
      await again.stop();
    }
  });

  it('names the component and the flag when a port is taken, and leaves nothing running', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const taken = (blocker.address() as import('node:net').AddressInfo).port;
    const others = { idp: await freePort(), auth: await freePort(), internal: await freePort(), mcp: await freePort() };
    try {
      // The proxy starts last, so every other component had started and must be stopped again.
      await expect(startLocalStack({ stateDir, ports: { ...others, proxy: taken }, logLevel: 'silent' })).rejects.toThrow(
        `port ${taken} (proxy) is already in use; choose another with --proxy-port PORT`,
      );
      for (const port of Object.values(others)) expect(await canListen(port)).toBe(true);
    } finally {
      blocker.close();
    }
  });
});
