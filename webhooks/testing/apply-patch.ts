import fastJsonPatch from 'fast-json-patch';

/**
 * Applies an RFC 6902 patch to a copy of `doc` the way the apiserver does: strictly (every
 * operation validated), and with every key plain data. fast-json-patch refuses any path through
 * `__proto__` (or, with that ban off, sets the prototype instead of the field), but for
 * Kubernetes `__proto__` is just a field name, and the property tests generate it. So the
 * patch is applied to null-prototype copies and the result is returned as ordinary JSON objects.
 *
 * @example
 * applyJsonPatch({ spec: {} }, [{ op: 'add', path: '/spec/__proto__', value: 1 }]) // { spec: { ['__proto__']: 1 } }
 */
export function applyJsonPatch<T>(doc: T, ops: readonly unknown[] | undefined): T {
  const working = copyWithPrototype(doc, null);
  const patch = copyWithPrototype(ops ?? [], null) as fastJsonPatch.Operation[];
  const result = fastJsonPatch.applyPatch(working, patch, true, true, false).newDocument;
  return copyWithPrototype(result, Object.prototype);
}

/** Deep copy of a JSON value whose objects have `proto`; every key is defined as a field. */
function copyWithPrototype<T>(value: T, proto: object | null): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => copyWithPrototype(item, proto)) as T;
  const out = Object.create(proto) as object;
  for (const key of Object.keys(value)) {
    const field = copyWithPrototype((value as Record<string, unknown>)[key], proto);
    Object.defineProperty(out, key, { value: field, enumerable: true, writable: true, configurable: true });
  }
  return out as T;
}
