/**
 * Errors of the internal token exchange (spec §2.10, §7 item 8). Each carries the RFC 6749/8693
 * `error` code, the HTTP status, a public description that names the parameter and the rule,
 * and a machine `reason` for the audit log (never secrets).
 */
export abstract class ExchangeError extends Error {
  abstract readonly error: string;
  abstract readonly status: number;
  headers: Record<string, string> = {};
  constructor(
    readonly reason: string,
    readonly description: string,
  ) {
    super(description);
    this.name = new.target.name;
  }
}

export class InvalidRequest extends ExchangeError {
  readonly error = 'invalid_request';
  readonly status: number = 400;
}
export class PayloadTooLarge extends InvalidRequest {
  override readonly status = 413;
}
export class UnsupportedGrantType extends ExchangeError {
  readonly error = 'unsupported_grant_type';
  readonly status = 400;
}
export class InvalidTarget extends ExchangeError {
  readonly error = 'invalid_target';
  readonly status = 400;
}
export class InvalidGrant extends ExchangeError {
  readonly error = 'invalid_grant';
  readonly status = 400;
}
/** Step 3: the certificate carries no valid identity → 401. */
export class InvalidClient extends ExchangeError {
  readonly error = 'invalid_client';
  readonly status = 401;
}
/** Steps 4 and 9: subject policy / owner binding → 403. */
export class AccessDenied extends ExchangeError {
  readonly error = 'access_denied';
  readonly status = 403;
}
export class ServerError extends ExchangeError {
  readonly error = 'server_error';
  readonly status = 500;
  constructor(reason: string) {
    super(reason, 'the server encountered an internal error');
  }
}
export class NotFound extends ExchangeError {
  readonly error = 'not_found';
  readonly status = 404;
  constructor() {
    super('not_found', 'not found');
  }
}
export class MethodNotAllowed extends ExchangeError {
  readonly error = 'invalid_request';
  readonly status = 405;
  constructor() {
    super('method_not_allowed', 'method not allowed: use POST');
    this.headers.Allow = 'POST';
  }
}
