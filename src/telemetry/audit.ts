import type { Logger } from 'pino';

export type AuditOutcome = 'success' | 'denied' | 'error';

/** Spec §6.3 event names (public listener and internal exchange). */
export type AuditEventName =
  | 'authorize.start'
  | 'authorize.callback'
  | 'authorize.consent'
  | 'token.issue'
  | 'refresh.replay_detected'
  | 'code.replay_detected'
  | 'token.revoke'
  | 'client.register'
  | 'cert.rejected'
  | 'config.reload'
  | 'token_exchange';

/**
 * One audit event. Callers pass hashed identifiers (`tsid_hash`, `upstream_subject_hash`) only;
 * the writer drops any field named like a secret as a last line of defence.
 */
export interface AuditEvent {
  event: AuditEventName;
  outcome: AuditOutcome;
  reason?: string;
  request_id?: string;
  remote_addr?: string;
  listener?: 'public' | 'internal';
  latency_ms?: number;
  [field: string]: unknown;
}

export interface AuditLogger {
  write(event: AuditEvent): void;
}

const FORBIDDEN = new Set(['tsid', 'access_token', 'refresh_token', 'id_token', 'code', 'code_verifier', 'client_secret', 'subject_token', 'token']);

/**
 * Audit writer: one JSON line per event (spec §6.3), denials at WARN, the rest at INFO.
 *
 * @example
 * const audit = createAuditLogger(logger);
 * audit.write({ event: 'token.issue', outcome: 'success', client_id: 'c1', tsid_hash: hashForLog(tsid) });
 */
export function createAuditLogger(logger: Logger, now: () => Date = () => new Date()): AuditLogger {
  // Audit events are flat and filtered below (FORBIDDEN), so the child skips the parent's
  // wildcard redaction: it was the largest single cost of a token request's log line.
  const out = logger.child({ audit: true }, { redact: { paths: ['secret'], censor: '[redacted]' } });
  return {
    write(event) {
      const line: Record<string, unknown> = { ts: now().toISOString() };
      for (const [k, v] of Object.entries(event)) if (!FORBIDDEN.has(k) && v !== undefined) line[k] = v;
      if (event.outcome === 'success') out.info(line, event.event);
      else out.warn(line, event.event);
    },
  };
}
