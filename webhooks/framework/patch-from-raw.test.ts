import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import fastJsonPatch from 'fast-json-patch';
import { applyJsonPatch } from '../testing/apply-patch.ts';
import { diffInto, patchFromRaw } from './patch-from-raw.ts';
import type { JsonPatchOperation } from './types.ts';
import { fixture } from '../testing/reviews.ts';

// JSON round trip: what the apiserver receives (undefined members dropped, as in the base64 patch).
const wire = (ops: unknown) => JSON.parse(JSON.stringify(ops)) as unknown;

describe('patchFromRaw', () => {
  it('property: the same operations, in the same order, as fast-json-patch compare()', () => {
    const obj = fc.dictionary(fc.constantFrom('a', 'b', 'c/d', 'e~f', 'g'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
    fc.assert(
      fc.property(obj, obj, (raw, mutated) => {
        expect(wire(patchFromRaw(raw, mutated))).toEqual(wire(fastJsonPatch.compare(raw, mutated)));
      }),
      { numRuns: 500 },
    );
  });

  it('property: applying the patch to the raw object gives the mutated one', () => {
    const obj = fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
    fc.assert(
      fc.property(obj, obj, (raw, mutated) => {
        const ops = patchFromRaw(raw, mutated) as fastJsonPatch.Operation[];
        expect(applyJsonPatch(raw, ops)).toEqual(mutated);
      }),
      { numRuns: 500 },
    );
  });

  it('diffInto prefixes every path and leaves both objects untouched', () => {
    const pod = fixture('pod-create.json').request.object as { spec: Record<string, unknown> };
    const before = structuredClone(pod.spec);
    const after = { ...structuredClone(pod.spec), hostname: 'h', containers: [] };
    const ops: JsonPatchOperation[] = [];
    diffInto(before, after, ops, '/spec');
    expect(ops.every((op) => op.path.startsWith('/spec/'))).toBe(true);
    expect(before).toEqual(pod.spec);
    expect(wire(ops)).toEqual(wire(fastJsonPatch.compare({ spec: pod.spec }, { spec: after })));
  });
});
