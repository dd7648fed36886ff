/** Failures of the webhook framework, each with a stable code (conventions §5). */
export type WebhookErrorCode =
  | 'body_not_json'
  | 'body_not_object'
  | 'wrong_api_version'
  | 'wrong_kind'
  | 'missing_request'
  | 'missing_uid'
  | 'bad_operation'
  | 'bad_request_field'
  | 'body_too_large'
  | 'wrong_object_kind';

/** A review the framework cannot decode: answered with HTTP 400 (413 for `body_too_large`). */
export class WebhookError extends Error {
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
    /** The request uid, when it could be read before the failure. */
    readonly uid?: string,
  ) {
    super(message);
    this.name = 'WebhookError';
  }

  get httpStatus(): number {
    return this.code === 'body_too_large' ? 413 : 400;
  }
}
