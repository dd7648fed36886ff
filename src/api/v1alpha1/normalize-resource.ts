/**
 * Spec §5.6: the one normalization of an OAuth `resource` / MCP server URL, used by the operator
 * (resource-map keys, `inline.audience` check), the auth server (authorize/token `resource`, JWT
 * `aud`) and the proxy (expected audience). Exact string match after normalization; no prefix or
 * wildcard matching.
 */

export type NormalizeResourceProblem =
  | 'not_absolute_url'
  | 'unsupported_scheme'
  | 'missing_host'
  | 'has_userinfo'
  | 'has_query'
  | 'has_fragment'
  | 'empty_path_segment';

export type NormalizeResourceResult =
  | { ok: true; value: string }
  | { ok: false; problem: NormalizeResourceProblem; message: string };

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * Normalizes a resource URL or says exactly why it cannot be one.
 *
 * @example
 * normalizeResource('HTTPS://Tools.Example.com:443/mcp/') // {ok: true, value: 'https://tools.example.com/mcp'}
 * normalizeResource('https://h/mcp?x=1') // {ok: false, problem: 'has_query', ...}
 */
export function normalizeResource(input: string): NormalizeResourceResult {
  // `new URL` silently drops an empty `?` or `#`, so look at the raw text for them first.
  if (input.includes('#')) return fail('has_fragment', 'must not contain a fragment (#)');
  if (input.includes('?')) return fail('has_query', 'must not contain a query (?)');
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return fail('not_absolute_url', 'must be an absolute URL');
  }
  if (!(url.protocol in DEFAULT_PORT)) return fail('unsupported_scheme', 'scheme must be http or https');
  if (url.hostname === '') return fail('missing_host', 'must have a host');
  if (url.username !== '' || url.password !== '') return fail('has_userinfo', 'must not contain user information');
  // `//` in a path would make "strip one trailing slash" non-idempotent (`/a//` -> `/a/` -> `/a`).
  if (url.pathname.includes('//')) return fail('empty_path_segment', 'must not contain empty path segments (//)');
  // WHATWG URL parsing already lowercases scheme and host and drops the default port.
  const port = url.port === '' || url.port === DEFAULT_PORT[url.protocol] ? '' : `:${url.port}`;
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return { ok: true, value: `${url.protocol}//${url.hostname}${port}${path}` };
}

/**
 * Like {@link normalizeResource} but throws; for values already validated at admission.
 *
 * @example
 * mustNormalizeResource('https://h/mcp/') // 'https://h/mcp'
 */
export function mustNormalizeResource(input: string): string {
  const result = normalizeResource(input);
  if (!result.ok) throw new Error(`invalid resource URL: ${result.message}`);
  return result.value;
}

function fail(problem: NormalizeResourceProblem, message: string): NormalizeResourceResult {
  return { ok: false, problem, message };
}
