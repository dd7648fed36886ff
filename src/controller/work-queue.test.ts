import { describe, expect, it } from 'vitest';
import { backoffMs, WorkQueue, type Timers } from './work-queue.ts';

/** Manual timers: nothing fires until the test advances the clock. */
function manualTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = ++seq;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...pending.entries()].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= now && pending.delete(id)) t.fn();
    }
  };
  return { timers, advance, pending };
}

describe('backoffMs', () => {
  it('doubles from the base and is capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 100, 500))).toEqual([100, 200, 400, 500]);
  });
});

describe('WorkQueue', () => {
  it('never runs the same key twice at once, and reruns a key that changed while running', async () => {
    let running = 0;
    let maxRunning = 0;
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      handler: async (key) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        runs.push(key);
        if (runs.length === 1) await gate;
        running -= 1;
      },
      timers: manualTimers().timers,
    });
    q.start();
    q.add('a');
    q.add('a');
    q.add('a');
    release();
    await q.idle();
    await q.idle();
    expect(maxRunning).toBe(1);
    expect(runs).toEqual(['a', 'a']);
  });

  it('retries failures with exponential backoff and resets after success', async () => {
    const { timers, advance, pending } = manualTimers();
    let calls = 0;
    const delays: number[] = [];
    const q = new WorkQueue({
      handler: async () => {
        calls += 1;
        if (calls <= 3) throw new Error('apiserver 500');
      },
      timers,
      baseBackoffMs: 100,
      onError: (_k, _e, ms) => delays.push(ms),
    });
    q.start();
    q.add('k');
    await q.idle();
    expect(calls).toBe(1);
    expect(q.failuresOf('k')).toBe(1);
    advance(99);
    await q.idle();
    expect(calls).toBe(1);
    advance(1);
    await q.idle();
    expect(calls).toBe(2);
    advance(200);
    await q.idle();
    advance(400);
    await q.idle();
    expect(calls).toBe(4);
    expect(delays).toEqual([100, 200, 400]);
    expect(q.failuresOf('k')).toBe(0);
    expect(pending.size).toBe(0);
  });

  it('requeueAfterMs and periodic resync bring keys back', async () => {
    const { timers, advance } = manualTimers();
    const runs: string[] = [];
    const q = new WorkQueue({ handler: async (k) => (runs.push(k), k === 'pending' ? { requeueAfterMs: 50 } : undefined), timers, resyncPeriodMs: 1000 });
    q.start();
    q.add('pending');
    q.add('done');
    await q.idle();
    advance(50);
    await q.idle();
    expect(runs.filter((k) => k === 'pending')).toHaveLength(2);
    expect(runs.filter((k) => k === 'done')).toHaveLength(1);
    advance(950);
    await q.idle();
    expect(runs.filter((k) => k === 'done')).toHaveLength(2);
    await q.stop();
  });

  it('stop() waits for the running reconcile and takes no more work', async () => {
    let finished = false;
    const q = new WorkQueue({ handler: async () => { await new Promise((r) => setImmediate(r)); finished = true; }, timers: manualTimers().timers });
    q.start();
    q.add('x');
    await q.stop();
    expect(finished).toBe(true);
    q.add('y');
    await q.idle();
  });
});
