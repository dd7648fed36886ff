import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cloneJson } from './clone-json.ts';
import { replaceContents } from '../plugins/lib/replace-contents.ts';

describe('cloneJson', () => {
  it('keeps a "__proto__" key as a field at any depth and never changes a prototype', () => {
    const text = '{"__proto__":{"a":1},"spec":{"x":[{"__proto__":"s"}],"__proto__":null}}';
    const copy = cloneJson(JSON.parse(text) as Record<string, unknown>);
    expect(JSON.stringify(copy)).toBe(text);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'spec']);
    expect((copy as { a?: unknown }).a).toBeUndefined();
  });

  it('property: the copy serialises to the same JSON and shares no object with the original', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = JSON.parse(JSON.stringify(value)) as unknown;
        const copy = cloneJson(parsed);
        expect(JSON.stringify(copy)).toBe(JSON.stringify(parsed));
        if (typeof parsed === 'object' && parsed !== null) expect(copy).not.toBe(parsed);
      }),
      { numRuns: 300 },
    );
  });
});

describe('replaceContents', () => {
  it('makes the target hold exactly the source fields, a "__proto__" field included', () => {
    const target: Record<string, unknown> = { a: 1, toString: 'x' };
    replaceContents(target, JSON.parse('{"__proto__":{"b":2},"c":3}') as Record<string, unknown>);
    expect(JSON.stringify(target)).toBe('{"__proto__":{"b":2},"c":3}');
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
  });
});
