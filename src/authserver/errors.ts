/**
 * Typed OAuth errors (conventions §4). Handlers only `throw new InvalidGrant('...')`; the single
 * serializer `toErrorBody` writes RFC 6749 §5.2 JSON (RFC 7591 §3.2.2 for DCR, same shape), and
 * anything that is not an exposed OAuthError becomes a fixed `server_error`.
 */
import type { Response } from 'express';
import { StoreError } from '../store/index.ts';

export abstract class OAuthError extends Error {
  abstract readonly error: string;
  readonly status: number = 400;
  /** Extra response headers (WWW-Authenticate, Retry-After). */
  headers: Record<string, string> = {};
  constructor(
    /** Public text sent as error_description: names the parameter and the rule. */
    readonly description: string,
    /** Private detail for logs only. */
    readonly detail?: string,
  ) {
    super(description);
    this.name = new.target.name;
  }
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
}
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 401;
}
export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
}
export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
}
export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
}
export class UnsupportedResponseType extends OAuthError {
  readonly error = 'unsupported_response_type';
}
export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
}
export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target';
}
export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
  override readonly status = 403;
}
export class ServerError extends OAuthError {
  readonly error = 'server_error';
  override readonly status = 500;
}
export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly status = 503;
}
/** RFC 6585 429 with the DCR body shape. */
export class TooManyRequests extends OAuthError {
  readonly error = 'too_many_requests';
  override readonly status = 429;
}
/** RFC 7591 §3.2.2 */
export class InvalidClientMetadata extends OAuthError {
  readonly error = 'invalid_client_metadata';
}
/** RFC 7591 §3.2.2 */
export class InvalidRedirectUri extends OAuthError {
  readonly error = 'invalid_redirect_uri';
}

const SERVER_ERROR_TEXT = 'the server encountered an internal error';
const UNAVAILABLE_TEXT = 'storage is temporarily unavailable, retry later';

/**
 * Maps any thrown value to the OAuth error that is safe to expose: OAuthErrors as they are
 * (5xx keep their fixed text), StoreError 'unavailable' → 503 temporarily_unavailable, anything
 * else → 500 server_error with a fixed text.
 *
 * @example
 * toOAuthError(new InvalidGrant('code is expired')).status // 400
 * toOAuthError(new TypeError('x')).error                   // 'server_error'
 */
export function toOAuthError(err: unknown): OAuthError {
  if (err instanceof ServerError) return err.description === SERVER_ERROR_TEXT ? err : new ServerError(SERVER_ERROR_TEXT, err.description);
  if (err instanceof OAuthError) return err;
  if (err instanceof StoreError && err.code === 'unavailable') {
    const e = new TemporarilyUnavailable(UNAVAILABLE_TEXT, err.message);
    e.headers['Retry-After'] = '1';
    return e;
  }
  return new ServerError(SERVER_ERROR_TEXT, err instanceof Error ? err.message : String(err));
}

/** The one serializer of error bodies. */
export function toErrorBody(err: OAuthError): { error: string; error_description: string } {
  return { error: err.error, error_description: err.description };
}

/** Writes an error response (JSON, no-store). Returns the mapped error for logging. */
export function sendOAuthError(res: Response, thrown: unknown): OAuthError {
  const err = toOAuthError(thrown);
  res.status(err.status);
  res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache', ...err.headers });
  if (err instanceof InvalidClient && !err.headers['WWW-Authenticate']) res.set('WWW-Authenticate', 'Basic realm="oauth"');
  res.json(toErrorBody(err));
  return err;
}
