import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level: the same value always gives the same bytes,
 * whatever order its keys were inserted in. Used for hashes and determinism checks.
 *
 * @example
 * stableStringify({ b: 1, a: [{ d: 2, c: 3 }] }) // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** Deep copy with sorted object keys (arrays keep their order). */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v)) as T;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)])) as T;
  }
  return value;
}

/**
 * Hex SHA-256 of the stable serialisation of `value`.
 *
 * @example
 * sha256Hex({ a: 1 }) === sha256Hex({ a: 1 }) // true
 */
export function sha256Hex(value: unknown): string {
  const text = typeof value === 'string' ? value : stableStringify(value);
  return createHash('sha256').update(text).digest('hex');
}
