/**
 * Errors of the controller context, with a stable `code` (conventions §5). The reconcilers
 * switch on `code` to choose condition reasons; messages are for humans and never carry secrets.
 */
export type ControllerErrorCode =
  /** The API group/kind is not served (e.g. cert-manager CRDs absent). */
  | 'kind_not_served'
  | 'not_found'
  /** Optimistic-concurrency or field-manager conflict (HTTP 409). */
  | 'conflict'
  /** An object with our name exists and is not ours. */
  | 'name_conflict'
  /** A CRD of our group exists and was installed by someone else (spec §0). */
  | 'foreign_crd'
  /** Any other API failure (5xx, 4xx we do not expect). */
  | 'api_error';

export class ControllerError extends Error {
  readonly code: ControllerErrorCode;
  readonly status?: number;
  constructor(code: ControllerErrorCode, message: string, status?: number) {
    super(message);
    this.name = 'ControllerError';
    this.code = code;
    this.status = status;
  }
}

/**
 * Type guard, optionally for one code.
 *
 * @example
 * if (isControllerError(err, 'conflict')) return { requeueAfterMs: 0 };
 */
export function isControllerError(err: unknown, code?: ControllerErrorCode): err is ControllerError {
  return err instanceof ControllerError && (code === undefined || err.code === code);
}
