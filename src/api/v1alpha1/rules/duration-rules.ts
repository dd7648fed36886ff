/** Duration checks shared by the kinds: parse (beyond the pattern) and bounds (spec §3.1, §5.2). */
import type { FieldError } from '../field-error.ts';
import { parseGoDuration } from '../parse-go-duration.ts';
import { GO_DURATION_PATTERN } from '../schema/common.ts';

const PATTERN = new RegExp(GO_DURATION_PATTERN, 'u');

/**
 * A duration that matches the pattern but does not parse (overflow) is reported here; one that
 * does not match the pattern is left to the schema error. Returns the value in ms when usable.
 */
export function checkDuration(value: unknown, path: string, errors: FieldError[]): number | null {
  if (typeof value !== 'string' || !PATTERN.test(value)) return null;
  const ms = parseGoDuration(value);
  if (ms === null) errors.push({ path, rule: 'duration', message: `"${value}" is out of range for a duration` });
  return ms;
}

/** `duration-range`: min ≤ value ≤ max, with the bounds given as durations. */
export function checkDurationRange(value: unknown, path: string, min: string, max: string, errors: FieldError[]): void {
  const ms = checkDuration(value, path, errors);
  if (ms === null) return;
  if (ms < (parseGoDuration(min) as number) || ms > (parseGoDuration(max) as number)) {
    errors.push({ path, rule: 'duration-range', message: `${String(value)} must be between ${min} and ${max}` });
  }
}
