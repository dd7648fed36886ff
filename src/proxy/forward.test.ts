import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { upstreamPath } from './forward.ts';

const origin = 'http://127.0.0.1:8080';

/** What undici's request(`${origin}${target}`) sent: the parsed URL's path and query. */
function viaUrl(target: string): string {
  const url = new URL(`${origin}${target}`);
  return url.search ? `${url.pathname}${url.search}` : url.pathname;
}

describe('upstreamPath (the request target sent to the MCP server)', () => {
  it.each([
    ['/mcp', '/mcp'],
    ['/mcp?session=1&x=%20y', '/mcp?session=1&x=%20y'],
    ['/a/../b', '/b'],
    ['/a/%2e%2E/b', '/b'],
    ['/a?', '/a'],
    ['/a#frag', '/a'],
    ['/a b"<>', '/a%20b%22%3C%3E'],
    ['//evil.example/x', '//evil.example/x'],
  ])('%s → %s', (target, expected) => {
    expect(upstreamPath(origin, target)).toBe(expected);
  });

  it('refuses a target that would leave the MCP server origin', () => {
    expect(() => upstreamPath(origin, '@evil.example/x')).toThrow();
    expect(() => upstreamPath(origin, 'http://evil.example/x')).toThrow();
  });

  it('property: the same path as parsing the URL, fast path or not', () => {
    const chars = [...'abcXYZ019-._~!$&\'()*+,;=:@/?%#\\"<>{}`|^[] é'];
    const target = fc.array(fc.constantFrom(...chars, '/.', '/..', '%2e', '%2E', '%20', '%zz'), { maxLength: 24 }).map((parts) => `/${parts.join('')}`);
    fc.assert(
      fc.property(target, (t) => {
        expect(upstreamPath(origin, t)).toBe(viaUrl(t));
      }),
      { numRuns: 2000 },
    );
  });
});
