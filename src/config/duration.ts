/**
 * Go-style durations (`1h30m`, `250ms`, `1.5s`) as used in the CRDs (spec §3) and config.json.
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g;

/** Regex source shared with the config schema (`pattern`). */
export const GO_DURATION_PATTERN = DURATION.source;

/**
 * Parses a Go duration into milliseconds, or returns null when it is not one.
 *
 * @example
 * parseDurationMs('1h30m') // 5_400_000
 * parseDurationMs('10')    // null (a unit is required)
 */
export function parseDurationMs(text: string): number | null {
  if (!DURATION.test(text)) return null;
  let total = 0;
  for (const match of text.matchAll(PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return total;
}
