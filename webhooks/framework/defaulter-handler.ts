import { allowed, denied, errored, patched } from './responses.ts';
import { diffInto, escapePathComponent, patchFromRaw } from './patch-from-raw.ts';
import { checkKind, copy, subjectOf } from './validator-handler.ts';
import { isDeepStrictEqual } from 'node:util';
import type { AdmissionHandler, DefaultingPlugin, JsonPatchOperation, KubeObject, Operation } from './types.ts';

/**
 * Adapts a {@link DefaultingPlugin} to an {@link AdmissionHandler}: DELETE (and undeclared
 * operations) pass untouched; otherwise the plugin mutates a deep copy of `request.object` and the
 * answer is the JSON Patch from the raw object to that copy (empty patch = plain allow). dryRun
 * requests are handled exactly like real ones: webhooks here have no side effects.
 *
 * @example
 * const handler = defaulterHandler(mcpAuthServerDefaulter);
 * const response = await handler(request); // {allowed: true, patch: [{op: 'add', path: '/spec/replicas', value: 1}, ...]}
 */
export function defaulterHandler<T extends KubeObject>(plugin: DefaultingPlugin<T>): AdmissionHandler {
  return async function mutate(req) {
    const kindProblem = checkKind(plugin.kind, req);
    if (kindProblem) return kindProblem;
    if (req.operation === 'DELETE' || !plugin.operations.has(req.operation as Exclude<Operation, 'DELETE'>)) return allowed();
    if (!req.object) return errored(400, `request.object: required for ${req.operation}`);
    const scope = plugin.patchScope;
    const working = (scope ? scopedCopy(req.object, scope) : copy(req.object)) as T;
    const result = await plugin.default(working, req);
    if (result?.error) return errored(result.error.code, result.error.message);
    const warnings = result?.warnings ?? [];
    if (result?.errors && result.errors.length > 0) return denied(result.errors, warnings, subjectOf(req));
    return patched(scope ? scopedPatch(req.object, working, scope) : patchFromRaw(req.object, working), warnings);
  };
}

/** Shallow copy of `raw` whose `scope` fields are deep copies (the others stay shared, read-only). */
function scopedCopy(raw: KubeObject, scope: readonly string[]): KubeObject {
  const out: KubeObject = { ...raw };
  for (const key of scope) if (key in raw) out[key] = copy(raw[key]);
  return out;
}

/** The RFC 6902 patch of the `scope` fields only, with paths from the object root. */
function scopedPatch(raw: KubeObject, working: KubeObject, scope: readonly string[]): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  for (const key of scope) {
    const root = `/${escapePathComponent(key)}`;
    const before = raw[key];
    const after = working[key];
    if (before === undefined && after === undefined) continue;
    if (before === undefined) ops.push({ op: 'add', path: root, value: after });
    else if (after === undefined) ops.push({ op: 'remove', path: root });
    else if (isPlainObject(before) && isPlainObject(after)) {
      diffInto(before, after, ops, root);
    } else if (!isDeepStrictEqual(before, after)) ops.push({ op: 'replace', path: root, value: after });
  }
  return ops;
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
