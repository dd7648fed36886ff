/**
 * Per-key async mutex: callbacks for the same key run one after another, in call order;
 * callbacks for different keys run concurrently. The memory store uses it to make its
 * read-modify-write sequences on keyv (whose API is async) atomic, as Redis does with Lua.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Number of keys with a holder or waiters (for tests: must drop back to 0). */
  get size(): number {
    return this.#tails.size;
  }
}
