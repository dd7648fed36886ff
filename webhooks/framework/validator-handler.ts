import { cloneJson } from './clone-json.ts';
import { allowed, denied, errored } from './responses.ts';
import type { AdmissionHandler, AdmissionRequest, AdmissionResponse, KindMatch, KubeObject, ValidationPlugin, ValidationResult } from './types.ts';

/**
 * Adapts a {@link ValidationPlugin} to an {@link AdmissionHandler}: checks the kind, skips
 * operations the plugin does not declare, calls validateCreate/Update/Delete on deep copies (on
 * the objects themselves for a `readOnly` plugin) and turns the result into `allowed(warnings)`
 * or one `denied(errors)` with every problem.
 *
 * @example
 * const handler = validatorHandler(mcpAuthServerValidator({}));
 * const response = await handler(request); // {allowed: false, status: {code: 403, message: 'spec.port: ...'}}
 */
export function validatorHandler<T extends KubeObject>(plugin: ValidationPlugin<T>): AdmissionHandler {
  // Synchronous plugins get a synchronous answer (no promise per review); async ones still work.
  return function validate(req) {
    const kindProblem = checkKind(plugin.kind, req);
    if (kindProblem) return kindProblem;
    if (!plugin.operations.has(req.operation)) return allowed();
    const view = plugin.readOnly ? asIs : deepCopy;
    let result: ValidationResult | Promise<ValidationResult> | undefined;
    switch (req.operation) {
      case 'CREATE': {
        if (!req.object) return errored(400, 'request.object: required for CREATE');
        result = plugin.validateCreate?.(view(req.object) as T, req);
        break;
      }
      case 'UPDATE': {
        if (!req.object || !req.oldObject) return errored(400, 'request.object and request.oldObject: required for UPDATE');
        result = plugin.validateUpdate?.(view(req.object) as T, view(req.oldObject) as T, req);
        break;
      }
      case 'DELETE': {
        if (!req.oldObject) return errored(400, 'request.oldObject: required for DELETE');
        result = plugin.validateDelete?.(view(req.oldObject) as T, req);
        break;
      }
      default:
        return allowed();
    }
    if (result === undefined) return allowed();
    return isPromise(result) ? result.then((r) => toResponse(r, req)) : toResponse(result, req);
  };
}

function toResponse(result: ValidationResult | undefined, req: AdmissionRequest): AdmissionResponse {
  if (!result) return allowed();
  if (result.errors.length > 0) return denied(result.errors, result.warnings, subjectOf(req));
  return allowed(result.warnings);
}

/** True for a promise (or any thenable) a plugin returned. */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/**
 * A review for a kind the plugin does not handle is a configuration error: 400, never a crash.
 *
 * @example
 * checkKind({ group: '', kind: 'Pod' }, request) // undefined when request.kind is core/v1 Pod
 */
export function checkKind(expected: KindMatch, req: AdmissionRequest) {
  if (req.kind.group === expected.group && req.kind.kind === expected.kind) return undefined;
  const got = req.kind.group ? `${req.kind.kind}.${req.kind.group}` : req.kind.kind;
  const want = expected.group ? `${expected.kind}.${expected.group}` : expected.kind;
  return errored(400, `request.kind: this webhook handles ${want} (got ${got})`);
}

/**
 * `MCPAuthServer toolhive-system/mcp-auth`, for denial messages.
 *
 * @example
 * subjectOf(request) // 'MCPServer mcp-prod/github-tools'
 */
export function subjectOf(req: AdmissionRequest): string {
  const name = req.name || req.object?.metadata?.name || req.oldObject?.metadata?.name || req.object?.metadata?.generateName || '';
  const ns = req.namespace || req.object?.metadata?.namespace || '';
  return `${req.kind.kind} ${ns ? `${ns}/` : ''}${name}`.trim();
}

/** Plugins get deep copies: `request.object` stays as received (the patch base). */
export const copy = cloneJson;

const deepCopy = cloneJson;
const asIs = <T>(value: T): T => value;
