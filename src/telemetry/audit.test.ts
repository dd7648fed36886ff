import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createAuditLogger, createLogger, hashForLog, createMetrics } from './index.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('audit writer (spec §6.3)', () => {
  it('one JSON line per event with ts, successes at INFO, denials at WARN', () => {
    const { lines, logger } = capture();
    const audit = createAuditLogger(logger, { now: () => new Date('2026-01-01T00:00:00Z') });
    audit.write({ event: 'token.issue', outcome: 'success', client_id: 'c', tsid_hash: hashForLog('t') });
    audit.write({ event: 'refresh.replay_detected', outcome: 'denied', reason: 'refresh_token_reused' });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ audit: true, level: 30, ts: '2026-01-01T00:00:00.000Z', event: 'token.issue', outcome: 'success', tsid_hash: hashForLog('t') });
    expect(lines[1]).toMatchObject({ level: 40, reason: 'refresh_token_reused' });
  });

  it('drops secret fields even if a caller passes them', () => {
    const { lines, logger } = capture();
    createAuditLogger(logger).write({ event: 'token.issue', outcome: 'success', tsid: 'raw-tsid', refresh_token: 'rt', code: 'c0de', token: 'tok', client_id: 'ok' });
    const text = JSON.stringify(lines);
    for (const secret of ['raw-tsid', '"rt"', 'c0de', 'tok"']) expect(text).not.toContain(secret);
    expect(lines[0]!.client_id).toBe('ok');
  });

  it('hashForLog is the first 16 hex chars of SHA-256', () => {
    expect(hashForLog('abc')).toBe('ba7816bf8f01cfea');
  });

  it('metrics registries are per instance', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.tokensIssued.inc({ grant_type: 'refresh_token' });
    expect(await a.registry.metrics()).toMatch(/mcp_authserver_tokens_issued_total\{grant_type="refresh_token"\} 1/);
    expect(await b.registry.metrics()).not.toMatch(/grant_type="refresh_token"\} 1/);
  });
});

describe('audit writer: buffering in front of a pino destination', () => {
  /** A SonicBoom-like destination (it has flushSync) that records what reaches it. */
  function destination() {
    const chunks: string[] = [];
    let syncFlushes = 0;
    const stream = {
      write(chunk: string) {
        chunks.push(chunk);
        return true;
      },
      flushSync() {
        syncFlushes += 1;
      },
    };
    const lines = () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    return { stream, chunks, lines, syncFlushes: () => syncFlushes };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds lines until flush, then writes exactly one line per event in one chunk, same fields as pino writes', () => {
    const d = destination();
    const logger = createLogger({ level: 'info', destination: d.stream });
    const audit = createAuditLogger(logger, { now: () => new Date('2026-01-01T00:00:00Z') });
    audit.write({ event: 'token_exchange', outcome: 'success', reason: 'ok', aud: ['https://r'], sub: undefined, latency_ms: 1.5 });
    audit.write({ event: 'token_exchange', outcome: 'denied', reason: 'owner_mismatch', tsid: 'raw-tsid', secret: 's3cr3t' });
    expect(d.chunks).toEqual([]);
    audit.flush!();
    expect(d.chunks).toHaveLength(1);
    const [ok, denied] = d.lines();
    expect(d.lines()).toHaveLength(2);
    expect(Object.keys(ok!)).toEqual(['level', 'time', 'name', 'audit', 'ts', 'event', 'outcome', 'reason', 'aud', 'latency_ms', 'msg']);
    expect(ok).toMatchObject({ level: 30, name: 'mcp-authserver', audit: true, ts: '2026-01-01T00:00:00.000Z', event: 'token_exchange', aud: ['https://r'], msg: 'token_exchange' });
    expect(denied).toMatchObject({ level: 40, reason: 'owner_mismatch', secret: '[redacted]' });
    expect(JSON.stringify(d.lines())).not.toContain('raw-tsid');
    audit.flush!();
    expect(d.chunks).toHaveLength(1);
  });

  it('writes the buffer after at most flushIntervalMs (capped at 1 s) and when flushBytes are waiting', () => {
    vi.useFakeTimers();
    const d = destination();
    const audit = createAuditLogger(createLogger({ destination: d.stream }), { flushIntervalMs: 5_000, flushBytes: 1_000 });
    audit.write({ event: 'token_exchange', outcome: 'success' });
    vi.advanceTimersByTime(999);
    expect(d.lines()).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(d.lines()).toHaveLength(1);
    for (let i = 0; i < 20; i++) audit.write({ event: 'token_exchange', outcome: 'success', request_id: `r${i}` });
    expect(d.chunks.length).toBeGreaterThan(1); // the byte bound wrote before any timer
    vi.advanceTimersByTime(1_000);
    expect(d.lines().map((l) => l.request_id)).toEqual([undefined, ...Array.from({ length: 20 }, (_, i) => `r${i}`)]);
  });

  it('respects the logger level (successes need info, denials warn)', () => {
    const d = destination();
    const audit = createAuditLogger(createLogger({ level: 'warn', destination: d.stream }));
    audit.write({ event: 'token_exchange', outcome: 'success' });
    audit.write({ event: 'token_exchange', outcome: 'denied' });
    audit.flush!();
    expect(d.lines().map((l) => l.outcome)).toEqual(['denied']);
  });

  it('a value JSON cannot hold (BigInt) still gives its one line, through pino', () => {
    const d = destination();
    const audit = createAuditLogger(createLogger({ destination: d.stream }));
    audit.write({ event: 'config.reload', outcome: 'success', big: 10n });
    audit.flush!();
    expect(d.lines()).toEqual([expect.objectContaining({ event: 'config.reload', audit: true })]);
  });

  // A child process logs through createLogger's default destination (SonicBoom on stdout) and
  // ends in each way the buffer must survive; every line must reach stdout.
  const KEEP_ALIVE = 'setInterval(() => undefined, 1000); // alive until the ending below';
  const script = (ending: string) => `
    import { createAuditLogger, createLogger } from ${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)};
    const audit = createAuditLogger(createLogger(), { flushIntervalMs: 1000 });
    for (let i = 0; i < 50; i++) audit.write({ event: 'token_exchange', outcome: 'success', request_id: 'r' + i });
    ${KEEP_ALIVE}
    ${ending}
  `;
  it.each([
    ['process.exit', 'setTimeout(() => process.exit(3), 20);', { code: 3, signal: null }],
    ['an uncaught exception', 'setTimeout(() => { throw new Error("boom"); }, 20);', { code: 1, signal: null }],
    ['SIGTERM with no other handler (still dies of it)', 'setTimeout(() => process.kill(process.pid, "SIGTERM"), 20);', { code: null, signal: 'SIGTERM' }],
    ['SIGINT with an application handler that exits', 'process.once("SIGINT", () => setTimeout(() => process.exit(0), 5)); setTimeout(() => process.kill(process.pid, "SIGINT"), 20);', { code: 0, signal: null }],
    ['an empty event loop (normal end)', '', { code: 0, signal: null }],
  ] as const)('flushes on %s', async (_label, ending, expected) => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-exit-'));
    const file = join(dir, 'run.mts');
    // The normal-end case keeps nothing alive: the process ends when its event loop is empty.
    await writeFile(file, ending === '' ? script('').replace(KEEP_ALIVE, '') : script(ending));
    try {
      const child = spawn(process.execPath, [fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url)), file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      expect({ code, signal }).toEqual(expected);
      const ids = out.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { request_id: string }).request_id);
      expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => `r${i}`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
