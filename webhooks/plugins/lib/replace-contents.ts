import { setField } from '../../framework/clone-json.ts';

/**
 * Makes `target` hold exactly the own properties of `source` (for defaulters that compute a new copy).
 *
 * @example
 * const obj = { a: 1, b: 2 }; replaceContents(obj, { a: 3 }); // obj is now { a: 3 }
 */
export function replaceContents(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(target)) if (!Object.prototype.hasOwnProperty.call(source, key)) delete target[key];
  // Field by field, not Object.assign: assigning a `__proto__` key would set the prototype instead.
  for (const key of Object.keys(source)) setField(target, key, source[key]);
}
