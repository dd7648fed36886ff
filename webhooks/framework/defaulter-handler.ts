import { allowed, denied, errored, patched } from './responses.ts';
import { patchFromRaw } from './patch-from-raw.ts';
import { checkKind, copy, subjectOf } from './validator-handler.ts';
import type { AdmissionHandler, DefaultingPlugin, KubeObject, Operation } from './types.ts';

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
    const working = copy(req.object) as T;
    const result = await plugin.default(working, req);
    if (result?.error) return errored(result.error.code, result.error.message);
    const warnings = result?.warnings ?? [];
    if (result?.errors && result.errors.length > 0) return denied(result.errors, warnings, subjectOf(req));
    return patched(patchFromRaw(req.object, working), warnings);
  };
}
