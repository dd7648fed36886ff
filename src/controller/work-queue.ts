/**
 * The reconcile work queue: one run at a time per key (a key that changes while it is being
 * reconciled runs again right after), a bounded number of keys in parallel, exponential backoff
 * per key on failure, `requeueAfterMs` for "check again later" (e.g. a pending Certificate),
 * and a periodic resync of every known key. Timers are injected so tests control time.
 */

export interface ReconcileResult {
  /** Run this key again after this many milliseconds even if nothing changes. */
  requeueAfterMs?: number;
}

export type ReconcileHandler = (key: string) => Promise<ReconcileResult | void>;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkQueueOptions {
  handler: ReconcileHandler;
  /** First retry delay after a failure; doubles per consecutive failure. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Every key seen is reconciled again at this period (0 = off). */
  resyncPeriodMs?: number;
  concurrency?: number;
  timers?: Timers;
  onError?: (key: string, err: unknown, retryInMs: number) => void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Delay before retry number `failures` (1-based): base·2^(failures-1), capped.
 *
 * @example
 * backoffMs(3, 100, 10_000) // 400
 */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}

/**
 * @example
 * const q = new WorkQueue({ handler: async (key) => reconcile(key) });
 * q.start(); q.add('as:toolhive-system/mcp-auth');
 */
export class WorkQueue {
  readonly #opts: Required<Omit<WorkQueueOptions, 'onError' | 'timers'>> & Pick<WorkQueueOptions, 'onError'>;
  readonly #timers: Timers;
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #running = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, unknown>();
  readonly #known = new Set<string>();
  #resyncHandle: unknown;
  #started = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions) {
    this.#opts = {
      handler: options.handler,
      baseBackoffMs: options.baseBackoffMs ?? 200,
      maxBackoffMs: options.maxBackoffMs ?? 60_000,
      resyncPeriodMs: options.resyncPeriodMs ?? 0,
      concurrency: options.concurrency ?? 2,
      onError: options.onError,
    };
    this.#timers = options.timers ?? realTimers;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#scheduleResync();
    this.#pump();
  }

  /** Stops taking new work and waits for running reconciles to finish. */
  async stop(): Promise<void> {
    this.#started = false;
    for (const h of this.#delayed.values()) this.#timers.clearTimeout(h);
    this.#delayed.clear();
    if (this.#resyncHandle !== undefined) this.#timers.clearTimeout(this.#resyncHandle);
    this.#queue.length = 0;
    this.#queued.clear();
    if (this.#running.size > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  add(key: string): void {
    this.#known.add(key);
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    const delayed = this.#delayed.get(key);
    if (delayed !== undefined) {
      this.#timers.clearTimeout(delayed);
      this.#delayed.delete(key);
    }
    this.#queued.add(key);
    this.#queue.push(key);
    this.#pump();
  }

  addAfter(key: string, ms: number): void {
    this.#known.add(key);
    if (this.#queued.has(key) || this.#delayed.has(key)) return;
    this.#delayed.set(
      key,
      this.#timers.setTimeout(() => {
        this.#delayed.delete(key);
        this.add(key);
      }, ms),
    );
  }

  /** Forget a key (its object is gone): no more resyncs or retries. */
  forget(key: string): void {
    this.#known.delete(key);
    this.#failures.delete(key);
    const h = this.#delayed.get(key);
    if (h !== undefined) this.#timers.clearTimeout(h);
    this.#delayed.delete(key);
  }

  /** Resolves once nothing is queued or running (delayed retries do not count). */
  async idle(): Promise<void> {
    if (this.#running.size === 0 && (this.#queue.length === 0 || !this.#started)) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  get pendingRetries(): number {
    return this.#delayed.size;
  }

  failuresOf(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  #scheduleResync(): void {
    if (this.#opts.resyncPeriodMs <= 0) return;
    this.#resyncHandle = this.#timers.setTimeout(() => {
      if (!this.#started) return;
      for (const key of this.#known) this.add(key);
      this.#scheduleResync();
    }, this.#opts.resyncPeriodMs);
  }

  #pump(): void {
    while (this.#started && this.#running.size < this.#opts.concurrency) {
      const key = this.#queue.shift();
      if (key === undefined) break;
      this.#queued.delete(key);
      this.#running.add(key);
      void this.#run(key);
    }
    if (this.#running.size === 0 && (this.#queue.length === 0 || !this.#started)) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  async #run(key: string): Promise<void> {
    try {
      const result = await this.#opts.handler(key);
      this.#failures.delete(key);
      if (result?.requeueAfterMs !== undefined && this.#started) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      const delay = backoffMs(failures, this.#opts.baseBackoffMs, this.#opts.maxBackoffMs);
      this.#opts.onError?.(key, err, delay);
      if (this.#started) this.addAfter(key, delay);
    } finally {
      this.#running.delete(key);
      if (this.#dirty.delete(key) && this.#started) this.add(key);
      this.#pump();
    }
  }
}
