import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeResource } from './normalize-resource.ts';

describe('normalizeResource (spec §5.6)', () => {
  it.each([
    ['https://h/', 'https://h'],
    ['https://h', 'https://h'],
    ['https://h/mcp/', 'https://h/mcp'],
    ['HTTPS://Tools.EXAMPLE.com/mcp', 'https://tools.example.com/mcp'],
    ['https://h:443/mcp', 'https://h/mcp'],
    ['http://h:80/mcp', 'http://h/mcp'],
    ['https://h:8443/mcp', 'https://h:8443/mcp'],
    ['http://127.0.0.1:9000/mcp', 'http://127.0.0.1:9000/mcp'],
    ['https://h/Case/Kept', 'https://h/Case/Kept'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeResource(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['/mcp', 'not_absolute_url'],
    ['mcp', 'not_absolute_url'],
    ['ftp://h/mcp', 'unsupported_scheme'],
    ['https://h/mcp#frag', 'has_fragment'],
    ['https://h/mcp#', 'has_fragment'],
    ['https://h/mcp?x=1', 'has_query'],
    ['https://h/mcp?', 'has_query'],
    ['https://user:pw@h/mcp', 'has_userinfo'],
    ['http://a.aa//', 'empty_path_segment'],
    ['https://h/a//b', 'empty_path_segment'],
  ])('rejects %s (%s)', (input, problem) => {
    const result = normalizeResource(input);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.problem).toBe(problem);
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: false, withFragments: false }), (url) => {
        const once = normalizeResource(url);
        if (!once.ok) return;
        expect(normalizeResource(once.value)).toEqual(once);
      }),
      { numRuns: 500 },
    );
  });
  it('yields lowercase scheme and host, no default port, no trailing slash, no query or fragment (property)', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: false, withFragments: false }), fc.boolean(), (url, upper) => {
        const result = normalizeResource(upper ? url.replace(/^[a-z]+:\/\/[^/]+/, (m) => m.toUpperCase()) : url);
        if (!result.ok) return;
        const parsed = new URL(result.value);
        expect(result.value.startsWith(`${parsed.protocol}//${parsed.host}`)).toBe(true);
        expect(parsed.host).toBe(parsed.host.toLowerCase());
        expect(parsed.port === '80' || parsed.port === '443').toBe(false);
        expect(result.value.endsWith('/')).toBe(false);
        expect(result.value).not.toMatch(/[?#]/);
      }),
      { numRuns: 500 },
    );
  });

  it('maps a URL with and without one trailing slash or default port to the same key (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('http', 'https'), fc.domain(), fc.array(fc.stringMatching(/^[a-zA-Z0-9_.~-]{1,8}$/), { maxLength: 3 }), (scheme, host, segments) => {
        const path = segments.map((s) => `/${s}`).join('');
        const base = normalizeResource(`${scheme}://${host}${path}`);
        const variants = [`${scheme}://${host}${path}/`, `${scheme}://${host}:${scheme === 'https' ? 443 : 80}${path}`];
        for (const v of variants) expect(normalizeResource(v)).toEqual(base);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and rejects any URL carrying a query or fragment (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('?', '#'), (s, mark) => {
        const result = normalizeResource(`https://h/${s}${mark}x`);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
