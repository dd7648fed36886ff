/**
 * Test helper: evaluates the `x-kubernetes-validations` of a generated CRD against an object the
 * way the API server does (there is no API server here, so @marcbachmann/cel-js stands in for
 * cel-go): each rule runs at every node where the value is present, with `self` bound to it,
 * integers as CEL ints; an evaluation error counts as a failure. Like the API server, CEL is
 * skipped when the schema already found a type or enum error ("blocking" errors).
 */
import { parse } from '@marcbachmann/cel-js';
import { buildCrds } from '../crd.ts';
import { celRuleId } from '../schema/common.ts';
import { validate } from '../validate.ts';

export interface CelFailure {
  path: string;
  id: string;
  message: string;
}

type Schema = {
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  'x-kubernetes-validations'?: Array<{ rule: string; message: string; fieldPath?: string }>;
};

const compiled = new Map<string, ReturnType<typeof parse>>();
function program(rule: string) {
  let p = compiled.get(rule);
  if (!p) {
    p = parse(rule);
    compiled.set(rule, p);
  }
  return p;
}

const crds = buildCrds();

/** The openAPIV3Schema of a kind, from the generated CRDs. */
export function crdSchema(kind: string): Schema {
  const crd = crds.find((c) => (c.spec.names as { kind: string }).kind === kind);
  if (!crd) throw new Error(`no CRD for ${kind}`);
  return ((crd.spec.versions as Array<{ schema: { openAPIV3Schema: Schema } }>)[0] as { schema: { openAPIV3Schema: Schema } }).schema.openAPIV3Schema;
}

/** JSON → CEL values: integers become bigint (CEL int). */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

/** CEL failures of `obj` against its kind's CRD, or null when the schema has blocking errors. */
export function celFailures(obj: { kind: string }): CelFailure[] | null {
  const blocking = validate(obj).errors.some((e) => e.rule === 'type' || e.rule === 'enum');
  if (blocking) return null;
  const out: CelFailure[] = [];
  walk(crdSchema(obj.kind), obj, '', out);
  return out;
}

function walk(schema: Schema, value: unknown, path: string, out: CelFailure[]): void {
  if (value === undefined || value === null) return;
  for (const v of schema['x-kubernetes-validations'] ?? []) {
    let ok: unknown;
    try {
      ok = program(v.rule)({ self: toCel(value) });
    } catch {
      ok = false;
    }
    if (ok !== true) {
      const id = celRuleId(v.message) ?? '(no id)';
      out.push({ path: join(path, v.fieldPath ?? ''), id, message: v.message });
    }
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => walk(schema.items as Schema, item, `${path}[${i}]`, out));
    return;
  }
  if (typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const sub = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (sub) walk(sub, child, join(path, `.${key}`), out);
  }
}

function join(base: string, fieldPath: string): string {
  const joined = `${base}${fieldPath}`;
  return joined.startsWith('.') ? joined.slice(1) : joined;
}
