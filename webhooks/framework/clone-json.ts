/**
 * Deep copy of a JSON value (what JSON.parse produces: plain objects, arrays, primitives).
 * Several times faster than `structuredClone` on Node 20 for AdmissionReview objects, which is
 * the largest per-request cost after parsing (see bench/webhook.ts).
 *
 * @example
 * const copy = cloneJson(request.object); // mutate freely; request.object stays as received
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (Object.prototype.hasOwnProperty.call(value, key)) setField(out, key, cloneJson((value as Record<string, unknown>)[key]));
  }
  return out as T;
}

/**
 * `obj[key] = value` for a JSON field. JSON.parse makes a `"__proto__"` key an ordinary field,
 * but assigning it calls the prototype setter: the copy would lose the field (and the defaulting
 * patch would remove it from the object). It is defined as a field instead.
 *
 * @example
 * setField(out, '__proto__', { a: 1 }); // Object.keys(out) includes '__proto__'; the prototype is unchanged
 */
export function setField(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
