import { MAX_REDIRECT_URI_LENGTH, redirectUriProblem } from './redirect-uri.ts';

/** Validated client metadata (RFC 7591 §2), shared by DCR and Client ID Metadata Documents. */
export interface ValidClientMetadata {
  redirectUris: string[];
  clientName?: string;
  tokenEndpointAuthMethod: 'none' | 'client_secret_basic' | 'client_secret_post';
  grantTypes: string[];
  responseTypes: string[];
  scope?: string;
}

export type MetadataProblem = { code: 'invalid_redirect_uri' | 'invalid_client_metadata'; message: string };

const ALLOWED_GRANTS = new Set(['authorization_code', 'refresh_token']);
const MAX_REDIRECT_URIS = 10;
const MAX_CLIENT_NAME = 256;

/**
 * Spec §2.7 rules on client metadata. Returns the metadata with defaults, or the first problem
 * with its RFC 7591 error code and a message naming the field.
 *
 * @example
 * validateClientMetadata({ redirect_uris: ['http://127.0.0.1/cb'] }, false)
 * // { ok: true, value: { redirectUris: [...], tokenEndpointAuthMethod: 'none', grantTypes: [...], responseTypes: ['code'] } }
 */
export function validateClientMetadata(
  body: unknown,
  allowConfidential: boolean,
): { ok: true; value: ValidClientMetadata } | { ok: false; problem: MetadataProblem } {
  const bad = (message: string): { ok: false; problem: MetadataProblem } => ({ ok: false, problem: { code: 'invalid_client_metadata', message } });
  const badUri = (message: string): { ok: false; problem: MetadataProblem } => ({ ok: false, problem: { code: 'invalid_redirect_uri', message } });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('request body must be a JSON object');
  const m = body as Record<string, unknown>;

  const uris = m.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0) return badUri('redirect_uris is required and must list at least one URI');
  if (uris.length > MAX_REDIRECT_URIS) return badUri(`redirect_uris has ${uris.length} entries; at most ${MAX_REDIRECT_URIS} are allowed`);
  for (const [i, uri] of uris.entries()) {
    if (typeof uri !== 'string') return badUri(`redirect_uris[${i}] must be a string`);
    if (uri.length > MAX_REDIRECT_URI_LENGTH) return badUri(`redirect_uris[${i}] is longer than ${MAX_REDIRECT_URI_LENGTH} characters`);
    const problem = redirectUriProblem(uri);
    if (problem) return badUri(`redirect_uris[${i}] ${problem}`);
  }

  if (m.client_name !== undefined) {
    if (typeof m.client_name !== 'string') return bad('client_name must be a string');
    if (m.client_name.length > MAX_CLIENT_NAME) return bad(`client_name is longer than ${MAX_CLIENT_NAME} characters`);
  }

  const method = m.token_endpoint_auth_method ?? 'none';
  if (method !== 'none') {
    if (!allowConfidential) return bad(`token_endpoint_auth_method "${String(method)}" is not allowed; only "none" (public clients) is supported`);
    if (method !== 'client_secret_basic' && method !== 'client_secret_post') {
      return bad('token_endpoint_auth_method must be none, client_secret_basic or client_secret_post');
    }
  }

  const grants = m.grant_types ?? ['authorization_code', 'refresh_token'];
  if (!Array.isArray(grants) || grants.some((g) => typeof g !== 'string')) return bad('grant_types must be an array of strings');
  const unsupported = (grants as string[]).find((g) => !ALLOWED_GRANTS.has(g));
  if (unsupported !== undefined) return bad(`grant_types contains "${unsupported}"; allowed: authorization_code, refresh_token`);
  if (!grants.includes('authorization_code')) return bad('grant_types must contain "authorization_code"');

  const responseTypes = m.response_types ?? ['code'];
  if (!Array.isArray(responseTypes) || responseTypes.length === 0 || responseTypes.some((r) => r !== 'code')) {
    return bad('response_types may only contain "code"');
  }

  if (m.scope !== undefined && (typeof m.scope !== 'string' || m.scope.length > 1024)) return bad('scope must be a string of at most 1024 characters');

  return {
    ok: true,
    value: {
      redirectUris: uris as string[],
      ...(typeof m.client_name === 'string' ? { clientName: m.client_name } : {}),
      tokenEndpointAuthMethod: method as ValidClientMetadata['tokenEndpointAuthMethod'],
      grantTypes: [...new Set(grants as string[])],
      responseTypes: ['code'],
      ...(typeof m.scope === 'string' ? { scope: m.scope } : {}),
    },
  };
}
