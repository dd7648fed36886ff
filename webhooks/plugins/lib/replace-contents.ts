/**
 * Makes `target` hold exactly the own properties of `source` (for defaulters that compute a new copy).
 *
 * @example
 * const obj = { a: 1, b: 2 }; replaceContents(obj, { a: 3 }); // obj is now { a: 3 }
 */
export function replaceContents(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(target)) if (!(key in source)) delete target[key];
  Object.assign(target, source);
}
