import fastJsonPatch from 'fast-json-patch';
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
  return fastJsonPatch.compare(raw, mutated) as JsonPatchOperation[];
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
