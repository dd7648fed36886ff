import { ADMISSION_API_VERSION, ADMISSION_KIND } from './types.ts';
import type { AdmissionResponse, AdmissionReviewResponse, FieldError, JsonPatchOperation } from './types.ts';

/**
 * Admits the request unchanged.
 *
 * @example
 * allowed(['spec.upstreamIdps[0].name: renamed; stored tokens become orphaned'])
 */
export function allowed(warnings: string[] = []): AdmissionResponse {
  return { allowed: true, ...(warnings.length > 0 ? { warnings } : {}) };
}

/**
 * Denies with every field error in one message, `path: message (rule)` joined by `; `, as
 * controller-runtime's `Denied` does (code 403, reason Forbidden); each error is also a cause
 * with its field path.
 *
 * @example
 * denied([{ path: 'spec.port', rule: 'distinct-ports', message: 'must differ from spec.internalPort' }])
 * // status.message: 'spec.port: must differ from spec.internalPort (distinct-ports)'
 */
export function denied(errors: FieldError[], warnings: string[] = [], subject?: string): AdmissionResponse {
  if (errors.length === 0) throw new Error('internal error: denied() needs at least one field error');
  const list = errors.map(formatFieldError).join('; ');
  return {
    allowed: false,
    status: {
      code: 403,
      reason: 'Forbidden',
      message: subject ? `${subject} is invalid: ${list}` : list,
      details: { causes: errors.map((e) => ({ reason: e.rule, message: e.message, field: e.path })) },
    },
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/**
 * Admits with a JSON Patch (RFC 6902); an empty patch is the same as `allowed()`.
 *
 * @example
 * patched([{ op: 'add', path: '/spec/replicas', value: 1 }])
 */
export function patched(ops: JsonPatchOperation[], warnings: string[] = []): AdmissionResponse {
  if (ops.length === 0) return allowed(warnings);
  return { allowed: true, patch: ops, ...(warnings.length > 0 ? { warnings } : {}) };
}

/**
 * Refuses because the webhook could not decide (bad review, caches not synced...). The message is
 * written for the user; never pass an exception's text or stack.
 *
 * @example
 * errored(503, 'informer caches are not synced yet; retry')
 */
export function errored(code: number, message: string): AdmissionResponse {
  return { allowed: false, status: { code, message } };
}

/** `path: message (rule)`, the one textual form of a field error. */
export function formatFieldError(error: FieldError): string {
  return `${error.path}: ${error.message} (${error.rule})`;
}

/**
 * Wraps a handler's decision into the AdmissionReview sent back, echoing `uid` and encoding the
 * patch as base64 JSON with `patchType: JSONPatch`.
 *
 * @example
 * toReviewResponse('uid-1', allowed()) // {apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: {uid: 'uid-1', allowed: true}}
 */
export function toReviewResponse(uid: string, response: AdmissionResponse): AdmissionReviewResponse {
  const out: AdmissionReviewResponse['response'] = { uid, allowed: response.allowed };
  if (response.status) out.status = response.status;
  if (response.patch && response.patch.length > 0) {
    out.patch = Buffer.from(JSON.stringify(response.patch)).toString('base64');
    out.patchType = 'JSONPatch';
  }
  if (response.warnings && response.warnings.length > 0) out.warnings = response.warnings;
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response: out };
}

/**
 * The JSON text of {@link toReviewResponse}, byte for byte, written directly: the base64 patch
 * (up to a few KiB on pod injection) is spliced in as it is instead of being re-scanned for
 * escapes by a second `JSON.stringify`, and no intermediate review object is built.
 *
 * @example
 * encodeReviewResponse('uid-1', allowed()) // '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"uid-1","allowed":true}}'
 */
export function encodeReviewResponse(uid: string, response: AdmissionResponse): string {
  return encodeReviewResponseBytes(uid, response).toString('utf8');
}

/**
 * {@link encodeReviewResponse} as the UTF-8 bytes the server writes, assembled straight into one
 * Buffer (outside the V8 heap): per review, only the uid's JSON is new text; a patch whose values
 * are all registered with {@link frozenPatchValue} (pod injection) reuses its remembered base64
 * text (issue 7: less young-generation garbage per review, and no base64 encoding per review).
 *
 * @example
 * encodeReviewResponseBytes('uid-1', allowed()).toString() // same text as encodeReviewResponse
 */
export function encodeReviewResponseBytes(uid: string, response: AdmissionResponse): Buffer {
  // Fixed ASCII pieces are kept as Buffers and copied; only the uid (and any status or warnings)
  // is encoded as UTF-8 per review. A patch (base64: ASCII, nothing JSON would escape) is written
  // as Latin-1, a byte per character with no scan, or copied from its remembered bytes.
  const uidText = JSON.stringify(uid);
  const head = response.allowed ? ALLOWED_TRUE : ALLOWED_FALSE;
  const status = response.status ? `,"status":${JSON.stringify(response.status)}` : undefined;
  const patch = response.patch && response.patch.length > 0 ? patchBase64(response.patch) : undefined;
  const warnings = response.warnings && response.warnings.length > 0 ? `,"warnings":${JSON.stringify(response.warnings)}` : undefined;
  let length = REVIEW_PREFIX.length + Buffer.byteLength(uidText, 'utf8') + head.length + REVIEW_SUFFIX.length;
  if (status !== undefined) length += Buffer.byteLength(status, 'utf8');
  if (patch !== undefined) length += PATCH_OPEN.length + patch.length + PATCH_CLOSE.length;
  if (warnings !== undefined) length += Buffer.byteLength(warnings, 'utf8');
  const out = Buffer.allocUnsafe(length);
  let offset = REVIEW_PREFIX.copy(out, 0);
  offset += out.write(uidText, offset, 'utf8');
  offset += head.copy(out, offset);
  if (status !== undefined) offset += out.write(status, offset, 'utf8');
  if (patch !== undefined) {
    offset += PATCH_OPEN.copy(out, offset);
    offset += typeof patch === 'string' ? out.write(patch, offset, 'latin1') : patch.copy(out, offset);
    offset += PATCH_CLOSE.copy(out, offset);
  }
  if (warnings !== undefined) offset += out.write(warnings, offset, 'utf8');
  REVIEW_SUFFIX.copy(out, offset);
  return out;
}

const REVIEW_PREFIX = Buffer.from(`{"apiVersion":${JSON.stringify(ADMISSION_API_VERSION)},"kind":${JSON.stringify(ADMISSION_KIND)},"response":{"uid":`, 'utf8');
const ALLOWED_TRUE = Buffer.from(',"allowed":true', 'latin1');
const ALLOWED_FALSE = Buffer.from(',"allowed":false', 'latin1');
const PATCH_OPEN = Buffer.from(',"patch":"', 'latin1');
const PATCH_CLOSE = Buffer.from('","patchType":"JSONPatch"', 'latin1');
const REVIEW_SUFFIX = Buffer.from('}}', 'latin1');

/** JSON text of the objects registered by {@link frozenPatchValue}. */
const frozenJson = new WeakMap<object, string>();

/**
 * Deep-freezes `value` and remembers the JSON text of it and of every object inside it, so that a
 * patch operation carrying one of them as its `value` is encoded without serialising it again
 * (pod injection adds the same cached volumes, mounts and env to every pod). Frozen, because a
 * remembered text must never go stale.
 *
 * @example
 * const material = frozenPatchValue(desiredInjection(input));
 * patched([{ op: 'add', path: '/spec/volumes/1', value: material.volumes[0] }]); // encoded from the remembered text
 */
export function frozenPatchValue<T>(value: T): T {
  if (typeof value !== 'object' || value === null || frozenJson.has(value)) return value;
  for (const child of Object.values(value)) frozenPatchValue(child);
  Object.freeze(value);
  frozenJson.set(value, JSON.stringify(value));
  return value;
}

/** A patch of registered values and its base64 text (the operations copied: the caller's may change later). */
interface RememberedPatch {
  ops: ReadonlyArray<{ op: string; path: string; value: object }>;
  /** The base64 text as bytes (ASCII), copied into each answer. */
  bytes: Buffer;
}

/** Remembered patches under their first value (a registered object, so entries go with it); a few per value. */
const rememberedPatches = new WeakMap<object, RememberedPatch[]>();
const REMEMBERED_PER_VALUE = 8;

/**
 * `base64(JSON.stringify(ops))` (as its ASCII bytes when remembered), remembered when every operation is a plain `{op, path, value}`
 * with string `op` and `path` and a value registered by {@link frozenPatchValue} (deep-frozen, so
 * its text is fixed): such a patch is the same text whenever the op names, paths (compared as
 * strings) and value identities are the same. Looking one up allocates no key.
 */
function patchBase64(ops: JsonPatchOperation[]): string | Buffer {
  if (!ops.every(isRememberable)) return encodePatch(ops);
  const first = (ops[0] as unknown as { value: object }).value;
  let remembered = rememberedPatches.get(first);
  const known = remembered?.find((r) => sameOps(r.ops, ops));
  if (known) return known.bytes;
  const bytes = Buffer.from(encodePatch(ops), 'latin1');
  if (!remembered) rememberedPatches.set(first, (remembered = []));
  if (remembered.length >= REMEMBERED_PER_VALUE) remembered.shift();
  remembered.push({ ops: ops.map(({ op, path, value }) => ({ op, path, value: value as object })), bytes });
  return bytes;
}

function encodePatch(ops: JsonPatchOperation[]): string {
  return Buffer.from(patchJson(ops)).toString('base64');
}

function isRememberable(entry: JsonPatchOperation): boolean {
  const op = entry as unknown as Record<string, unknown> | undefined;
  if (typeof op !== 'object' || op === null || Array.isArray(op) || typeof op.toJSON === 'function') return false;
  const keys = Object.keys(op);
  if (keys.length !== 3 || keys[0] !== 'op' || keys[1] !== 'path' || keys[2] !== 'value') return false;
  return typeof op.op === 'string' && typeof op.path === 'string' && typeof op.value === 'object' && op.value !== null && frozenJson.has(op.value);
}

function sameOps(known: RememberedPatch['ops'], ops: JsonPatchOperation[]): boolean {
  if (known.length !== ops.length) return false;
  for (let i = 0; i < ops.length; i++) {
    const a = known[i]!;
    const b = ops[i] as unknown as { op: string; path: string; value: unknown };
    if (a.op !== b.op || a.path !== b.path || a.value !== b.value) return false;
  }
  return true;
}

/** `JSON.stringify(ops)`, byte for byte, reusing the remembered text of frozen values. */
function patchJson(ops: JsonPatchOperation[]): string {
  let out = '[';
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as unknown as Record<string, unknown> | undefined;
    // Anything but a plain operation object: let JSON.stringify decide.
    if (typeof op !== 'object' || op === null || Array.isArray(op) || typeof op.toJSON === 'function') return JSON.stringify(ops);
    if (i > 0) out += ',';
    const keys = Object.keys(op);
    const value = op.value;
    const valueText = keys.length === 3 && typeof value === 'object' && value !== null ? (frozenJson.get(value) ?? JSON.stringify(value)) : undefined;
    if (valueText !== undefined && keys[0] === 'op' && keys[1] === 'path' && keys[2] === 'value' && typeof op.op === 'string' && typeof op.path === 'string') {
      // {op, path, value} with an object value: the shape every operation of ours has.
      out += `{"op":${JSON.stringify(op.op)},"path":${JSON.stringify(op.path)},"value":${valueText}}`;
    } else {
      out += JSON.stringify(op);
    }
  }
  return `${out}]`;
}
