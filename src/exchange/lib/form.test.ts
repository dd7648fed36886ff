import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidRequest } from '../errors.ts';
import { parseForm } from './form.ts';

/** What URLSearchParams (the WHATWG reference parser) makes of the body, with the duplicate rule. */
function reference(text: string): Map<string, string> | 'duplicate' {
  const out = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(Buffer.from(text, 'utf8').toString('utf8'))) {
    if (out.has(k)) return 'duplicate';
    out.set(k, v);
  }
  return out;
}

function parse(text: string): Map<string, string> | 'duplicate' {
  try {
    return parseForm(Buffer.from(text, 'utf8'));
  } catch (err) {
    if (err instanceof InvalidRequest && err.reason === 'duplicate_parameter') return 'duplicate';
    throw err;
  }
}

describe('parseForm (application/x-www-form-urlencoded)', () => {
  it('reads an exchange request', () => {
    const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: 'a.b.c', audience: 'corp x' }).toString();
    expect(Object.fromEntries(parseForm(Buffer.from(body)))).toEqual({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: 'a.b.c', audience: 'corp x' });
  });

  it.each([
    ['', {}],
    ['a', { a: '' }],
    ['a=', { a: '' }],
    ['=x', { '': 'x' }],
    ['&&a=1&&', { a: '1' }],
    ['a=1=2', { a: '1=2' }],
    ['a+b=c+d%2B', { 'a b': 'c d+' }],
    ['a=%', { a: '%' }],
    ['a=%zz&b=%41', { a: '%zz', b: 'A' }],
    ['a=%C3%A9', { a: 'é' }],
    ['a=%C3', { a: '\uFFFD' }],
    ['a=%FF%FE&b=1', { a: '\uFFFD\uFFFD', b: '1' }],
    ['?a=1', { a: '1' }],
    ['??a=1', { '?a': '1' }],
  ])('%j like URLSearchParams', (text, expected) => {
    expect(Object.fromEntries(parse(text) as Map<string, string>)).toEqual(expected);
    expect(reference(text)).toEqual(new Map(Object.entries(expected)));
  });

  it('refuses a repeated parameter, also when spelled differently (%61 = a)', () => {
    expect(parse('a=1&a=2')).toBe('duplicate');
    expect(parse('a=1&%61=2')).toBe('duplicate');
    expect(parse('a=%zz&a=2')).toBe('duplicate');
  });

  it('agrees with URLSearchParams on arbitrary bodies (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom('?', '&', '=', '+', '%', '%2', '%41', '%2B', '%26', '%3D', '%C3%A9', '%C3', '%ZZ', 'a', 'b', 'grant_type', ' ', 'é', '\u{1F600}'),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        expect(parse(text)).toEqual(reference(text));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('parseForm on large bodies', () => {
  // Each pair is searched for "=" on its own (a search from the pair start to the next "=" in
  // the body would rescan the rest of a body like this once per pair).
  it('a body near 64 KiB of pairs without "=" gives every parameter with an empty value', () => {
    const body = Array.from({ length: 10_000 }, (_, i) => `k${i}`).join('&') + '&last=1';
    expect(body.length).toBeLessThan(64 * 1024);
    const out = parseForm(Buffer.from(body));
    expect(out.size).toBe(10_001);
    expect(out.get('k9999')).toBe('');
    expect(out.get('last')).toBe('1');
  });
});
