/**
 * Process-wide token bucket (spec §2.7: DCR 1 req/s, burst 5). The clock is injected for tests.
 *
 * @example
 * const bucket = createTokenBucket({ ratePerSecond: 1, burst: 5 });
 * bucket.take() // true five times in a row, then false until a second passes
 */
export function createTokenBucket(options: { ratePerSecond: number; burst: number; now?: () => number }): {
  take(): boolean;
  /** Seconds until one token is available (for Retry-After), at least 1. */
  retryAfterSeconds(): number;
} {
  const now = options.now ?? Date.now;
  let tokens = options.burst;
  let last = now();
  const refill = () => {
    const t = now();
    tokens = Math.min(options.burst, tokens + ((t - last) / 1000) * options.ratePerSecond);
    last = t;
  };
  return {
    take() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    retryAfterSeconds() {
      refill();
      return Math.max(1, Math.ceil((1 - tokens) / options.ratePerSecond));
    },
  };
}
