/**
 * Go-style durations (spec §3): `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`, the subset of Go's
 * `time.ParseDuration` the CRDs accept (no sign, no bare `0`). Values beyond Go's int64
 * nanoseconds (about 2562047h) are rejected, as Go and CEL `duration()` reject them.
 */

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC greek mu, also accepted by Go
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};
const WHOLE = /^([0-9]+(?:\.[0-9]+)?(?:ns|us|µs|μs|ms|s|m|h))+$/u;
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|μs|ms|s|m|h)/gu;
const MAX_NS = 9_223_372_036_854_775_807n;

/**
 * Parses a Go-style duration into milliseconds, or returns null when it is not one.
 *
 * @example
 * parseGoDuration('1h30m') // 5_400_000
 * parseGoDuration('1.5s')  // 1500
 * parseGoDuration('10')    // null (a unit is required)
 */
export function parseGoDuration(input: string): number | null {
  if (typeof input !== 'string' || !WHOLE.test(input)) return null;
  let totalNs = 0n;
  for (const [, number, unit] of input.matchAll(PART)) {
    const unitNs = BigInt(UNIT_NS[unit as string] as number);
    const [whole = '0', fraction = ''] = (number as string).split('.');
    totalNs += BigInt(whole) * unitNs;
    if (fraction !== '') {
      // Exact fixed-point: fraction digits × unit / 10^digits, truncated like Go.
      totalNs += (BigInt(fraction) * unitNs) / 10n ** BigInt(fraction.length);
    }
    if (totalNs > MAX_NS) return null;
  }
  return Number(totalNs) / 1e6;
}
