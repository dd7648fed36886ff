/**
 * AdmissionReview `admission.k8s.io/v1` shapes (k8s.io/api/admission/v1), as the apiserver sends
 * them, and the Handler → Validator / Defaulter contracts of conventions §7.
 */

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
export const OPERATIONS: ReadonlySet<string> = new Set<Operation>(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** A Kubernetes object as decoded from JSON: only the parts the framework reads are typed. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  /** The object exactly as received (never mutated by the framework). */
  object: KubeObject | null;
  oldObject: KubeObject | null;
  dryRun?: boolean;
  options?: unknown;
}

/** metav1.Status as carried in `response.status`. */
export interface StatusResult {
  code: number;
  reason?: string;
  message: string;
  details?: { causes: Array<{ reason: string; message: string; field: string }> };
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** What a handler decides; the framework adds `uid` and encodes the patch. */
export interface AdmissionResponse {
  allowed: boolean;
  status?: StatusResult;
  patch?: JsonPatchOperation[];
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  response: {
    uid: string;
    allowed: boolean;
    status?: StatusResult;
    patch?: string;
    patchType?: 'JSONPatch';
    warnings?: string[];
  };
}

/** One problem with a field: same shape as the API's FieldError (path, rule, message). */
export interface FieldError {
  path: string;
  rule: string;
  message: string;
}

export interface ValidationResult {
  errors: FieldError[];
  warnings: string[];
}

export type AdmissionHandler = (req: AdmissionRequest) => Promise<AdmissionResponse> | AdmissionResponse;

/** Kind a plugin accepts; a review for another kind is answered with a 400 error. */
export interface KindMatch {
  group: string;
  kind: string;
}

/**
 * Business logic of a validating webhook. Each method gets decoded copies; the framework calls
 * the one matching the operation, and only for operations the plugin declares.
 */
export interface ValidationPlugin<T extends KubeObject = KubeObject> {
  name: string;
  kind: KindMatch;
  operations: ReadonlySet<Operation>;
  /**
   * True when validate* never mutate the objects they get (nor keep them): the framework then
   * passes the decoded request objects as they are, without a deep copy per review. Only for
   * plugins whose every path is read-only; each such plugin has a test on frozen objects.
   */
  readOnly?: boolean;
  validateCreate?(obj: T, req: AdmissionRequest): ValidationResult | Promise<ValidationResult>;
  validateUpdate?(obj: T, oldObj: T, req: AdmissionRequest): ValidationResult | Promise<ValidationResult>;
  validateDelete?(oldObj: T, req: AdmissionRequest): ValidationResult | Promise<ValidationResult>;
}

/**
 * Business logic of a mutating webhook: `default` mutates a deep copy of the request object (or
 * returns field errors to deny). The framework computes the JSON Patch against the raw object.
 * DELETE is never passed to a defaulter.
 */
export interface DefaultingPlugin<T extends KubeObject = KubeObject> {
  name: string;
  kind: KindMatch;
  operations: ReadonlySet<Exclude<Operation, 'DELETE'>>;
  /**
   * Top-level fields the plugin may change (e.g. `['spec']`). Only these are copied and diffed;
   * the others are shared with the raw object and must be treated as read-only. Absent = the
   * whole object (the safe default).
   */
  patchScope?: readonly string[];
  default(obj: T, req: AdmissionRequest): void | DefaultingResult | Promise<void | DefaultingResult>;
  /**
   * Optional fast path the framework uses instead of `default` on a copy + diff: the JSON Patch
   * computed directly from the raw object, which it must only read. It must decide exactly as
   * `default` does and its patch must give the same object as the diff; each plugin that has one
   * tests it against `default` + diff.
   */
  patch?(raw: T, req: AdmissionRequest): void | DefaultingPatchResult | Promise<void | DefaultingPatchResult>;
}

/** Outcome of {@link DefaultingPlugin.patch}: a defaulter's outcome, or the patch (absent or empty = unchanged). */
export interface DefaultingPatchResult extends DefaultingResult {
  patch?: JsonPatchOperation[];
}

/** Optional outcome of a defaulter: deny with field errors, or attach warnings. */
export interface DefaultingResult {
  errors?: FieldError[];
  warnings?: string[];
  /** Answer with an error status (e.g. 503 while caches are not synced) instead of a decision. */
  error?: { code: number; message: string };
}
