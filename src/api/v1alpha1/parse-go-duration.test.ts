import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseGoDuration } from './parse-go-duration.ts';

describe('parseGoDuration (spec §3 Go-style durations)', () => {
  it.each([
    ['1h', 3_600_000],
    ['90m', 5_400_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['250ms', 250],
    ['1us', 0.001],
    ['1µs', 0.001],
    ['1μs', 0.001],
    ['1ns', 0.000001],
    ['8760h', 31_536_000_000],
    ['0s', 0],
    ['1h1h', 7_200_000],
    ['2562047h', 2562047 * 3_600_000],
  ])('%s = %d ms', (input, ms) => {
    expect(parseGoDuration(input)).toBeCloseTo(ms, 9);
  });

  it.each(['', '10', 'h', '1d', '1H', '-1h', '+1h', '.5h', '1.h', '1 h', ' 1h', '1h ', '1hour', '1e3s', '2562048h', '9999999999h'])(
    'rejects %j',
    (input) => {
      expect(parseGoDuration(input)).toBeNull();
    },
  );

  it('rejects non-strings', () => {
    expect(parseGoDuration(3600 as unknown as string)).toBeNull();
  });

  it('sums its components (property)', () => {
    const unitMs = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
    const part = fc.record({ n: fc.integer({ min: 0, max: 10_000 }), unit: fc.constantFrom(...(Object.keys(unitMs) as Array<keyof typeof unitMs>)) });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.map((p) => `${p.n}${p.unit}`).join('');
        const expected = parts.reduce((sum, p) => sum + p.n * unitMs[p.unit], 0);
        expect(parseGoDuration(text)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('returns null or a finite non-negative number for any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const v = parseGoDuration(s);
        expect(v === null || (Number.isFinite(v) && v >= 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
