import type { JsonPatchOperation } from './types.ts';

/**
 * RFC 6902 patch from the object as received to the mutated copy. Computed against the raw request
 * object (not a re-decoded typed copy), so fields this program does not know are never dropped
 * by the patch (controller-runtime's `PatchResponseFromRaw`). Keys containing `/` or `~` (label
 * keys such as `toolhive.stacklok.dev/mcpserver`) are escaped per RFC 6901 (`~1`, `~0`).
 *
 * @example
 * patchFromRaw({ spec: {} }, { spec: { replicas: 1 } }) // [{op: 'add', path: '/spec/replicas', value: 1}]
 */
export function patchFromRaw(raw: unknown, mutated: unknown): JsonPatchOperation[] {
  if (!isObject(raw) || !isObject(mutated)) throw new Error('internal error: patchFromRaw needs two objects');
  const ops: JsonPatchOperation[] = [];
  diffInto(raw, mutated, ops, '');
  return ops;
}

/**
 * Appends to `ops` the patch from `raw` to `mutated` (two objects or two arrays), every path
 * prefixed with `prefix` (an already escaped JSON Pointer, '' for the root).
 *
 * The same operations, in the same order, as fast-json-patch's `compare()` (old keys last to
 * first: replace/remove/recurse; then new keys: add), without its deep copy of every added or
 * replaced value: the values come from the mutated copy, which the caller owns and serialises
 * right away, so a second copy per value only costs time (it was the largest part of the diff).
 */
export function diffInto(raw: object, mutated: object, ops: JsonPatchOperation[], prefix: string): void {
  if (raw === mutated) return;
  const before = raw as Record<string, unknown>;
  const after = mutated as Record<string, unknown>;
  const beforeIsArray = Array.isArray(raw);
  const afterIsArray = Array.isArray(mutated);
  const oldKeys = keysOf(raw, beforeIsArray);
  const newKeys = keysOf(mutated, afterIsArray);
  let deleted = false;
  for (let t = oldKeys.length - 1; t >= 0; t--) {
    const key = oldKeys[t]!;
    const oldVal = before[key];
    if (hasOwn(after, key) && !(after[key] === undefined && oldVal !== undefined && !afterIsArray)) {
      const newVal = after[key];
      if (typeof oldVal === 'object' && oldVal !== null && typeof newVal === 'object' && newVal !== null && Array.isArray(oldVal) === Array.isArray(newVal)) {
        diffInto(oldVal, newVal, ops, `${prefix}/${escapePathComponent(key)}`);
      } else if (oldVal !== newVal) {
        // fast-json-patch writes an undefined array element as null, as JSON.stringify does.
        ops.push({ op: 'replace', path: `${prefix}/${escapePathComponent(key)}`, value: newVal === undefined ? null : newVal });
      }
    } else if (beforeIsArray === afterIsArray) {
      ops.push({ op: 'remove', path: `${prefix}/${escapePathComponent(key)}` });
      deleted = true;
    } else {
      ops.push({ op: 'replace', path: prefix, value: mutated });
    }
  }
  if (!deleted && newKeys.length === oldKeys.length) return;
  for (const key of newKeys) {
    if (!hasOwn(before, key) && after[key] !== undefined) ops.push({ op: 'add', path: `${prefix}/${escapePathComponent(key)}`, value: after[key] });
  }
}

/**
 * RFC 6901 escaping of one reference token: `~` → `~0`, `/` → `~1`.
 *
 * @example
 * escapePathComponent('toolhive.stacklok.dev/mcpserver') // 'toolhive.stacklok.dev~1mcpserver'
 */
export function escapePathComponent(key: string): string {
  if (key.indexOf('/') === -1 && key.indexOf('~') === -1) return key;
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function keysOf(value: object, isArray: boolean): string[] {
  if (!isArray) return Object.keys(value);
  const length = (value as unknown[]).length;
  const keys = new Array<string>(length);
  for (let i = 0; i < length; i++) keys[i] = String(i);
  return keys;
}

const hasOwn = (obj: object, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
