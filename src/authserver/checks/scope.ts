import { InvalidScope } from '../errors.ts';

/** RFC 6749 §3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Splits and checks a scope parameter; when the client registered a `scope`, every requested
 * scope must be in it (spec §2.4 "each scope must be allowed for the client").
 *
 * @example
 * parseScopes('openid tools', 'openid tools email') // ['openid', 'tools']
 */
export function parseScopes(scope: string | undefined, allowed: string | undefined): string[] {
  if (scope === undefined) return [];
  const scopes = [...new Set(scope.split(' ').filter((s) => s !== ''))];
  for (const s of scopes) if (!SCOPE_TOKEN.test(s)) throw new InvalidScope(`scope "${s.slice(0, 64)}" contains invalid characters`);
  if (allowed !== undefined) {
    const allowedSet = new Set(allowed.split(' '));
    const extra = scopes.find((s) => !allowedSet.has(s));
    if (extra !== undefined) throw new InvalidScope(`scope "${extra}" is not allowed for this client`);
  }
  return scopes;
}
