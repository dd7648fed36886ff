import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { redirectUriMatches, redirectUriProblem } from './redirect-uri.ts';

describe('redirectUriMatches', () => {
  it.each([
    [['https://app.example/cb'], 'https://app.example/cb', true],
    [['https://app.example/cb'], 'https://app.example/cb/', false],
    [['https://app.example/cb'], 'https://app.example/cb?x=1', false],
    [['https://app.example/cb'], 'https://APP.example/cb', false],
    [['http://127.0.0.1/cb'], 'http://127.0.0.1:5000/cb', true],
    [['http://127.0.0.1:3000/cb'], 'http://127.0.0.1:5000/cb', true],
    [['http://[::1]/cb'], 'http://[::1]:5000/cb', true],
    [['http://localhost:1/cb'], 'http://localhost:2/cb', true],
    [['http://127.0.0.1/cb'], 'http://127.0.0.1:5000/cb2', false],
    [['http://127.0.0.1/cb'], 'http://localhost:5000/cb', false],
    [['https://127.0.0.1/cb'], 'https://127.0.0.1:5000/cb', false],
    [['http://127.0.0.1/cb'], 'http://127.0.0.1:5000/cb#x', false],
  ])('%j vs %s → %s', (registered, requested, expected) => {
    expect(redirectUriMatches(registered, requested)).toBe(expected);
  });

  it('a non-loopback URI only ever matches itself (property)', () => {
    fc.assert(
      fc.property(fc.webUrl({ validSchemes: ['https'] }), fc.webUrl({ validSchemes: ['https'] }), (a, b) => {
        expect(redirectUriMatches([a], b)).toBe(a === b);
      }),
    );
  });
});

describe('redirectUriProblem', () => {
  it.each([
    ['https://app.example/cb', null],
    ['http://127.0.0.1:8080/cb', null],
    ['cursor://anysphere.cursor-mcp/oauth/callback', null],
    ['http://example.com/cb', /loopback/],
    ['javascript:alert(1)', /"javascript:" is not allowed/],
    ['ws://127.0.0.1/cb', /"ws:" is not allowed/],
    ['/relative', /absolute/],
  ])('%s', (uri, problem) => {
    const result = redirectUriProblem(uri);
    if (problem === null) expect(result).toBeNull();
    else expect(result).toMatch(problem);
  });
});
