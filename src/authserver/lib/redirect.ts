import type { Response } from 'express';

/**
 * 303 to the client's redirect_uri with the given parameters plus RFC 9207 `iss`, preserving any
 * query the registered URI already has.
 *
 * @example
 * redirectToClient(res, 'http://127.0.0.1:5000/cb', { code, state }, 'https://auth.example.com');
 */
export function redirectToClient(res: Response, redirectUri: string, params: Record<string, string>, issuer: string): void {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  url.searchParams.set('iss', issuer);
  res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  res.redirect(303, url.href);
}
