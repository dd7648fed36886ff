import { allowed, denied, errored, patched } from './responses.ts';
import { diffInto, escapePathComponent, patchFromRaw } from './patch-from-raw.ts';
import { checkKind, copy, isPromise, subjectOf } from './validator-handler.ts';
import { isDeepStrictEqual } from 'node:util';
import type { AdmissionHandler, AdmissionRequest, AdmissionResponse, DefaultingPatchResult, DefaultingPlugin, DefaultingResult, JsonPatchOperation, KubeObject, Operation } from './types.ts';

/**
 * Adapts a {@link DefaultingPlugin} to an {@link AdmissionHandler}: DELETE (and undeclared
 * operations) pass untouched; otherwise the plugin mutates a deep copy of `request.object` and the
 * answer is the JSON Patch from the raw object to that copy (empty patch = plain allow). A plugin
 * with a `patch` fast path answers from the raw object instead (no copy, no diff). dryRun
 * requests are handled exactly like real ones: webhooks here have no side effects.
 *
 * @example
 * const handler = defaulterHandler(mcpAuthServerDefaulter);
 * const response = await handler(request); // {allowed: true, patch: [{op: 'add', path: '/spec/replicas', value: 1}, ...]}
 */
export function defaulterHandler<T extends KubeObject>(plugin: DefaultingPlugin<T>): AdmissionHandler {
  // Synchronous plugins get a synchronous answer (no promise per review); async ones still work.
  return function mutate(req) {
    const kindProblem = checkKind(plugin.kind, req);
    if (kindProblem) return kindProblem;
    if (req.operation === 'DELETE' || !plugin.operations.has(req.operation as Exclude<Operation, 'DELETE'>)) return allowed();
    const raw = req.object;
    if (!raw) return errored(400, `request.object: required for ${req.operation}`);
    if (plugin.patch) {
      const result = plugin.patch(raw as T, req);
      const answer = (r: void | DefaultingPatchResult) => toResponse(r, req, () => r?.patch ?? []);
      return isPromise(result) ? result.then(answer) : answer(result);
    }
    const scope = plugin.patchScope;
    const working = (scope ? scopedCopy(raw, scope) : copy(raw)) as T;
    const result = plugin.default(working, req);
    const answer = (r: void | DefaultingResult) => toResponse(r, req, () => (scope ? scopedPatch(raw, working, scope) : patchFromRaw(raw, working)));
    return isPromise(result) ? result.then(answer) : answer(result);
  };
}

function toResponse(result: void | DefaultingResult, req: AdmissionRequest, patch: () => JsonPatchOperation[]): AdmissionResponse {
  if (result?.error) return errored(result.error.code, result.error.message);
  const warnings = result?.warnings ?? [];
  if (result?.errors && result.errors.length > 0) return denied(result.errors, warnings, subjectOf(req));
  return patched(patch(), warnings);
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
