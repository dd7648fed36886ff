import { ADMISSION_API_VERSION, ADMISSION_KIND, OPERATIONS } from './types.ts';
import type { AdmissionRequest, KubeObject } from './types.ts';
import { WebhookError } from './errors.ts';

/**
 * Decodes an AdmissionReview `admission.k8s.io/v1` request body. Rejects, with a message naming
 * the field and rule, anything the apiserver would never send: not JSON, another apiVersion or
 * kind, no `request`, no `request.uid`, an unknown `operation`, an `object` that is not an object.
 * The returned `object`/`oldObject` are the parsed bytes, untouched: patches are computed against
 * them (conventions §7).
 *
 * @example
 * const req = decodeAdmissionReview(Buffer.from(JSON.stringify(review)));
 * req.uid // '705ab4f5-6393-11e8-b7cc-42010a800002'
 */
export function decodeAdmissionReview(body: Buffer | string): AdmissionRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    throw new WebhookError('body_not_json', 'request body is not valid JSON (expected an AdmissionReview admission.k8s.io/v1)');
  }
  if (!isRecord(parsed)) throw new WebhookError('body_not_object', 'request body must be a JSON object (an AdmissionReview)');
  // Read the uid first so that even a rejected review can echo it.
  const request = parsed.request;
  const uid = isRecord(request) && typeof request.uid === 'string' && request.uid !== '' ? request.uid : undefined;
  if (parsed.apiVersion !== ADMISSION_API_VERSION) {
    throw new WebhookError('wrong_api_version', `apiVersion: must be ${ADMISSION_API_VERSION} (got ${describe(parsed.apiVersion)})`, uid);
  }
  if (parsed.kind !== ADMISSION_KIND) {
    throw new WebhookError('wrong_kind', `kind: must be ${ADMISSION_KIND} (got ${describe(parsed.kind)})`, uid);
  }
  if (!isRecord(request)) throw new WebhookError('missing_request', 'request: required (an AdmissionReview sent to a webhook carries a request)');
  if (uid === undefined) throw new WebhookError('missing_uid', 'request.uid: required, a non-empty string');
  if (typeof request.operation !== 'string' || !OPERATIONS.has(request.operation)) {
    throw new WebhookError('bad_operation', `request.operation: must be one of CREATE, UPDATE, DELETE, CONNECT (got ${describe(request.operation)})`, uid);
  }
  const kind = request.kind;
  if (!isRecord(kind) || typeof kind.kind !== 'string' || typeof kind.version !== 'string' || typeof kind.group !== 'string') {
    throw new WebhookError('bad_request_field', 'request.kind: required, {group, version, kind} strings', uid);
  }
  for (const field of ['object', 'oldObject'] as const) {
    const value = request[field];
    if (value !== undefined && value !== null && !isRecord(value)) {
      throw new WebhookError('bad_request_field', `request.${field}: must be an object or null`, uid);
    }
  }
  for (const field of ['name', 'namespace'] as const) {
    if (request[field] !== undefined && typeof request[field] !== 'string') {
      throw new WebhookError('bad_request_field', `request.${field}: must be a string`, uid);
    }
  }
  if (request.dryRun !== undefined && request.dryRun !== null && typeof request.dryRun !== 'boolean') {
    throw new WebhookError('bad_request_field', 'request.dryRun: must be a boolean', uid);
  }
  // The parsed request is ours: normalised in place rather than copied.
  request.object = (request.object ?? null) as KubeObject | null;
  request.oldObject = (request.oldObject ?? null) as KubeObject | null;
  if (!isRecord(request.userInfo)) request.userInfo = {};
  return request as unknown as AdmissionRequest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
