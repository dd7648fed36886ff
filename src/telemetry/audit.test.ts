import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
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
    const audit = createAuditLogger(logger, () => new Date('2026-01-01T00:00:00Z'));
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
