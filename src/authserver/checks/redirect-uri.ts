import { isLoopbackHost } from '../../config/index.ts';

const DENIED_SCHEMES = new Set(['javascript', 'data', 'file', 'vbscript', 'about', 'blob', 'filesystem', 'ftp', 'ws', 'wss']);
export const MAX_REDIRECT_URI_LENGTH = 2048;

/**
 * Spec §2.7: a redirect URI acceptable at registration: ≤ 2048 chars, absolute, no fragment;
 * https, or http on a loopback host (RFC 8252 §7.3), or a private-use scheme (RFC 8252 §7.1)
 * outside the deny-list. Returns the problem, or null when acceptable.
 *
 * @example
 * redirectUriProblem('http://example.com/cb') // 'http is allowed only for loopback hosts ...'
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `is longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (uri.includes('#')) return 'must not contain a fragment';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'https') return url.hostname ? null : 'must have a host';
  if (scheme === 'http') {
    return isLoopbackHost(url.hostname) ? null : 'http is allowed only for loopback hosts (127.0.0.1, [::1], localhost); use https';
  }
  if (DENIED_SCHEMES.has(scheme)) return `scheme "${scheme}:" is not allowed`;
  return null;
}

/**
 * Spec §2.4: exact string match with a registered URI, except RFC 8252 §7.3 loopback redirects,
 * where any port matches a URI registered with or without a port.
 *
 * @example
 * redirectUriMatches(['http://127.0.0.1/cb'], 'http://127.0.0.1:53111/cb') // true
 * redirectUriMatches(['https://app/cb'], 'https://app/cb/')               // false
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const loopback = loopbackWithoutPort(requested);
  if (loopback === null) return false;
  return registered.some((r) => loopbackWithoutPort(r) === loopback);
}

function loopbackWithoutPort(uri: string): string | null {
  if (!uri.startsWith('http://') || uri.includes('#')) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (!['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) return null;
  // Compare the raw text after the authority so that no normalization hides a difference.
  const rest = uri.slice(uri.indexOf('/', 'http://'.length) === -1 ? uri.length : uri.indexOf('/', 'http://'.length));
  return `http://${url.hostname}${rest}`;
}
