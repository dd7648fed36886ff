import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.ts';

describe('KeyedMutex', () => {
  it('runs callbacks of one key one at a time, in call order', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mutex.run('k', async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          events.push(`start ${i}`);
          await new Promise((resolve) => setImmediate(resolve));
          events.push(`end ${i}`);
          inside -= 1;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(events.slice(0, 4)).toEqual(['start 0', 'end 0', 'start 1', 'end 1']);
    expect(mutex.size).toBe(0);
  });

  it('lets different keys proceed concurrently', async () => {
    const mutex = new KeyedMutex();
    let releaseA!: () => void;
    const a = mutex.run('a', () => new Promise<void>((resolve) => (releaseA = resolve)));
    // 'b' completes although 'a' is still held.
    await expect(mutex.run('b', async () => 'b done')).resolves.toBe('b done');
    releaseA();
    await a;
  });

  it('releases the key when the callback throws', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.run('k', async () => 1)).resolves.toBe(1);
    expect(mutex.size).toBe(0);
  });
});
