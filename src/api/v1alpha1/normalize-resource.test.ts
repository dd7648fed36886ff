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
});
