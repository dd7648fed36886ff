import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { pino, type Logger } from 'pino';

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
  /** Hands every buffered line to the destination now (no-op when nothing is buffered). */
  flush?(): void;
}

export interface AuditLoggerOptions {
  now?: () => Date;
  /**
   * Longest time a line waits in the buffer (default 250 ms; capped at 1,000 ms). Only used when
   * the logger's destination is a pino/SonicBoom destination (it has `flushSync`); any other
   * stream (tests pass a Writable) gets every line at once.
   */
  flushIntervalMs?: number;
  /** Buffer size that triggers a write at once (default 64 KiB). */
  flushBytes?: number;
}

const FORBIDDEN = new Set(['tsid', 'access_token', 'refresh_token', 'id_token', 'code', 'code_verifier', 'client_secret', 'subject_token', 'token']);
const DEFAULT_FLUSH_INTERVAL_MS = 250;
const MAX_FLUSH_INTERVAL_MS = 1_000;
const DEFAULT_FLUSH_BYTES = 64 * 1024;

/** What the writer needs of pino's destination: SonicBoom, thread-stream or any Writable. */
interface Destination {
  write(chunk: string): unknown;
  flushSync?(): void;
  /** SonicBoom: calls back once every write handed to it so far has reached the file descriptor. */
  flush?(cb: (err?: Error | null) => void): void;
  /** SonicBoom: the file descriptor it writes to. */
  fd?: number;
}

/**
 * Audit writer: one JSON line per event (spec §6.3), denials at WARN, the rest at INFO, in pino's
 * line format with the logger's bindings plus `audit: true` (the line is serialised here with one
 * `JSON.stringify`: pino's per-field serialisation and redaction pass were most of the cost of an
 * exchange's audit line).
 *
 * Buffering (the exchange writes one line per request; one destination write per line was its
 * largest cost after the ES256 verify): when the destination is pino's SonicBoom (the default
 * stdout destination of `createLogger`), lines are collected and handed to it as one chunk when
 * 64 KiB are waiting, after at most 250 ms (`flushIntervalMs`, never more than 1 s), and
 * synchronously (`flushSync`) on process exit, on SIGTERM/SIGINT/SIGHUP and on an uncaught
 * exception or unhandled rejection. Every event still becomes exactly one line.
 * What a hard crash loses: on SIGKILL (e.g. the kubelet after the grace period), an OOM kill,
 * a V8 out-of-memory abort or a native crash no JavaScript runs, so the events of the last
 * 250 ms (at most 64 KiB of lines) that were not yet handed to the destination are lost, in
 * addition to what SonicBoom itself had not yet written (it writes asynchronously, as pino's
 * default stdout destination always did).
 *
 * @example
 * const audit = createAuditLogger(logger);
 * audit.write({ event: 'token.issue', outcome: 'success', client_id: 'c1', tsid_hash: hashForLog(tsid) });
 */
export function createAuditLogger(logger: Logger, opts: AuditLoggerOptions = {}): AuditLogger {
  const now = opts.now ?? (() => new Date());
  // Audit events are flat and filtered below (FORBIDDEN), so the child skips the parent's
  // wildcard redaction; it is kept for the fallback path and for its bindings.
  const out = auditChild(logger);
  const fallback = (line: Record<string, unknown>, event: AuditEvent) => {
    if (event.outcome === 'success') out.info(line, event.event);
    else out.warn(line, event.event);
  };
  const internals = out as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as Destination | undefined;
  const timeFn = internals[pino.symbols.timeSym] as (() => string) | undefined;
  const chindings = internals[pino.symbols.chindingsSym];
  // Only a plain pino logger (no formatters, hooks, mixin or message prefix) has a line format
  // this writer can reproduce; anything else goes through pino itself.
  const plain =
    stream !== undefined &&
    typeof stream.write === 'function' &&
    typeof timeFn === 'function' &&
    typeof chindings === 'string' &&
    internals[pino.symbols.mixinSym] === undefined &&
    internals[(pino.symbols as unknown as Record<string, symbol>).msgPrefixSym!] === undefined &&
    internals[pino.symbols.messageKeySym] === 'msg' &&
    !hasCustomFormatters(internals[pino.symbols.formattersSym]) &&
    !hasHooks(internals[pino.symbols.hooksSym]);
  if (!plain) {
    return { write: (event) => fallback({ ts: event.ts ?? now().toISOString(), ...toLine(event) }, event) };
  }
  const sink = typeof stream.flushSync === 'function' ? new BufferedSink(stream, opts) : null;
  const info = logger.levels.values.info!;
  const warn = logger.levels.values.warn!;
  return {
    write(event) {
      const success = event.outcome === 'success';
      if (!out.isLevelEnabled(success ? 'info' : 'warn')) return;
      let text: string;
      try {
        // The event itself is serialised when it carries nothing to drop (the usual case);
        // JSON.stringify leaves out undefined fields as the copy below does.
        const fields = JSON.stringify(needsFiltering(event) ? toLine(event) : event);
        const ts = event.ts === undefined ? `"${now().toISOString()}"` : JSON.stringify(event.ts); // a caller's ts wins, as before
        text = `{"level":${success ? info : warn}${timeFn()}${chindings},"ts":${ts},${fields.slice(1, -1)},"msg":${JSON.stringify(event.event)}}\n`;
      } catch {
        fallback({ ts: event.ts ?? now().toISOString(), ...toLine(event) }, event); // not JSON-serialisable (BigInt, cycle): pino's safe serialiser
        return;
      }
      if (sink) sink.push(text);
      else stream.write(text);
    },
    flush: () => sink?.flush(),
  };
}

function auditChild(logger: Logger): Logger {
  return logger.child({ audit: true }, { redact: { paths: ['secret'], censor: '[redacted]' } });
}

function needsFiltering(event: AuditEvent): boolean {
  for (const k in event) if (FORBIDDEN.has(k) || k === 'secret' || k === 'ts') return true;
  return false;
}

/** The event's fields without secrets (and without a caller's `ts`); the child's `secret` redaction kept. */
function toLine(event: AuditEvent): Record<string, unknown> {
  const line: Record<string, unknown> = {};
  for (const k in event) {
    if (!Object.hasOwn(event, k)) continue;
    const v = event[k];
    if (v === undefined || FORBIDDEN.has(k) || k === 'ts') continue;
    line[k] = k === 'secret' ? '[redacted]' : v;
  }
  return line;
}

type Formatters = { level?: unknown; log?: unknown; bindings?: unknown };
let defaultFormatters: Formatters | undefined;

/** True when `out` (the audit child) formats differently from a default pino logger's child. */
function hasCustomFormatters(formatters: unknown): boolean {
  if (typeof formatters !== 'object' || formatters === null) return false;
  const f = formatters as Formatters;
  // pino's default formatters are shared functions of its own module: compare with a reference.
  defaultFormatters ??= (auditChild(pino({}, { write: () => undefined })) as unknown as Record<symbol, Formatters>)[pino.symbols.formattersSym]!;
  const d = defaultFormatters;
  return f.level !== d.level || f.log !== d.log || f.bindings !== d.bindings;
}

function hasHooks(hooks: unknown): boolean {
  if (typeof hooks !== 'object' || hooks === null) return false;
  const h = hooks as { logMethod?: unknown; streamWrite?: unknown };
  return h.logMethod !== undefined || h.streamWrite !== undefined;
}

/**
 * Collects audit lines and hands them to a SonicBoom-like destination in chunks (see
 * createAuditLogger for the flush rules and what a hard crash loses).
 */
class BufferedSink {
  readonly #stream: Destination;
  readonly #intervalMs: number;
  readonly #maxBytes: number;
  #lines: string[] = [];
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: Destination, opts: AuditLoggerOptions) {
    this.#stream = stream;
    this.#intervalMs = Math.min(Math.max(opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS, 0), MAX_FLUSH_INTERVAL_MS);
    this.#maxBytes = opts.flushBytes ?? DEFAULT_FLUSH_BYTES;
    for (const ref of liveSinks) if (ref.deref() === undefined) liveSinks.delete(ref);
    liveSinks.add(new WeakRef(this));
    installProcessHooks();
  }

  push(line: string): void {
    this.#lines.push(line);
    this.#bytes += line.length;
    if (this.#bytes >= this.#maxBytes) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** Hands the buffer to the destination (asynchronous write, as SonicBoom does). */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#lines.length === 0) return;
    const chunk = this.#lines.length === 1 ? this.#lines[0]! : this.#lines.join('');
    this.#lines = [];
    this.#bytes = 0;
    this.#stream.write(chunk);
  }

  /**
   * Exit path: the destination writes what it already queued, then the buffer is written to its
   * file descriptor directly. Not through `write()`: SonicBoom would start an asynchronous write
   * on the thread pool, which a process that is exiting (or re-raising a signal) does not wait for.
   */
  flushSync(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const chunk = this.#lines.join('');
    this.#lines = [];
    this.#bytes = 0;
    try {
      this.#stream.flushSync?.();
      if (chunk === '') return;
      const fd = this.#stream.fd;
      if (typeof fd === 'number' && fd >= 0) writeAllSync(fd, chunk);
      else {
        this.#stream.write(chunk);
        this.#stream.flushSync?.();
      }
    } catch {
      // Destination not open yet or already closed: nothing more can be done on the way out.
    }
  }

  /** Calls back when the destination has written everything handed to it (or at once without SonicBoom). */
  whenWritten(cb: () => void): void {
    if (!this.#stream.flush) return cb();
    try {
      this.#stream.flush(() => cb());
    } catch {
      cb();
    }
  }
}

const liveSinks = new Set<WeakRef<BufferedSink>>();
let hooksInstalled = false;

/** Writes all of `chunk` to `fd` synchronously (pipes may take it in parts or say EAGAIN). */
function writeAllSync(fd: number, chunk: string): void {
  const bytes = Buffer.from(chunk, 'utf8');
  let offset = 0;
  for (let attempts = 0; offset < bytes.length && attempts < 1_000; ) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      attempts++;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // 1 ms, then retry
    }
  }
}

function whenAllWritten(timeoutMs: number, done: () => void): void {
  const sinks = [...liveSinks].map((ref) => ref.deref()).filter((sink): sink is BufferedSink => sink !== undefined);
  let pending = sinks.length + 1;
  let finished = false;
  const timer = setTimeout(() => finish(), timeoutMs);
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done();
  };
  const one = () => {
    if (--pending === 0) finish();
  };
  for (const sink of sinks) sink.whenWritten(one);
  one();
}

function flushAll(): void {
  for (const ref of liveSinks) {
    const sink = ref.deref();
    try {
      sink?.flush();
    } catch {
      // Destination closed: nothing more can be done.
    }
  }
}

function flushAllSync(): void {
  for (const ref of liveSinks) {
    const sink = ref.deref();
    if (sink) sink.flushSync();
    else liveSinks.delete(ref);
  }
}

/**
 * Once per process (or worker): flush every buffer when the event loop empties and on exit, on an uncaught exception (the
 * monitor runs before Node's default handler and changes nothing) and on termination signals.
 * A signal listener replaces Node's default "terminate", so when ours is the only listener it
 * re-raises the signal after flushing: the process still dies of it as before. It runs before any
 * other listener, while their count is still right.
 */
function installProcessHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('beforeExit', flushAll); // the event loop still runs: SonicBoom writes it and pino's own hook ends it
  process.on('exit', flushAllSync);
  process.on('uncaughtExceptionMonitor', flushAllSync);
  if (!isMainThread) return; // workers receive no signals
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      flushAllSync();
      if (process.listenerCount(signal) === 1) {
        // Re-raise once the destinations have finished any write still in flight (at most 1 s).
        whenAllWritten(1_000, () => {
          process.off(signal, onSignal);
          process.kill(process.pid, signal);
        });
      }
    };
    // First in line: a `process.once` listener of the server (serve's graceful stop) removes itself
    // when the signal is emitted, so counting listeners after it ran would see only ours and kill
    // the process in the middle of its shutdown.
    process.prependListener(signal, onSignal);
  }
}
