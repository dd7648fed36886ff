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
    if (Object.prototype.hasOwnProperty.call(value, key)) out[key] = cloneJson((value as Record<string, unknown>)[key]);
  }
  return out as T;
}
