import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyJsonPatch } from '../testing/apply-patch.ts';
import { defaulterHandler } from './defaulter-handler.ts';
import type { AdmissionRequest, DefaultingPlugin, KubeObject } from './types.ts';
import { buildReview, fixture } from '../testing/reviews.ts';

const request = (obj: KubeObject, operation: 'CREATE' | 'DELETE' = 'CREATE') =>
  buildReview({ operation, ...(operation === 'DELETE' ? { oldObject: obj } : { object: obj }) }).request as unknown as AdmissionRequest;
const apply = (obj: KubeObject, ops: unknown[] | undefined) => applyJsonPatch(obj, ops);

function plugin(mutate: (obj: KubeObject) => void, patchScope?: string[]): DefaultingPlugin<KubeObject> {
  return { name: 't', kind: { group: '', kind: 'Pod' }, operations: new Set(['CREATE'] as const), ...(patchScope ? { patchScope } : {}), default: (o) => mutate(o) };
}

describe('defaulterHandler', () => {
  const pod = fixture('pod-create.json').request.object as KubeObject;

  it('skips DELETE and leaves the raw object untouched', async () => {
    const raw = structuredClone(pod);
    const res = await defaulterHandler(plugin((o) => ((o.spec as Record<string, unknown>).x = 1)))(request(raw));
    expect(res.patch).toEqual([{ op: 'add', path: '/spec/x', value: 1 }]);
    expect(raw).toEqual(pod);
    expect(await defaulterHandler(plugin(() => undefined))(request(pod, 'DELETE'))).toEqual({ allowed: true });
  });

  it('scoped patch: adds a missing scoped field whole, escapes keys, ignores unscoped fields', async () => {
    const noSpec = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } } as KubeObject;
    const res = await defaulterHandler(plugin((o) => ((o as Record<string, unknown>)['a/b'] = { c: 1 }), ['a/b']))(request(noSpec));
    expect(res.patch).toEqual([{ op: 'add', path: '/a~1b', value: { c: 1 } }]);
  });

  it('a field named "__proto__" in the raw object is data: left as it is, not removed by the patch', async () => {
    const raw = JSON.parse('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"x":{"__proto__":{"a":1}}}}') as KubeObject;
    const res = await defaulterHandler(plugin((o) => ((o.spec as Record<string, unknown>).y = 1)))(request(raw));
    expect(res.patch).toEqual([{ op: 'add', path: '/spec/y', value: 1 }]);
  });

  it('property: a scoped patch gives the same object as a whole-object patch for any spec mutation', async () => {
    const mutation = fc.array(fc.tuple(fc.constantFrom('containers', 'volumes', 'new/key', 'dnsPolicy', 'tolerations'), fc.jsonValue()), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(mutation, async (edits) => {
        const mutate = (o: KubeObject) => {
          for (const [k, v] of edits) (o.spec as Record<string, unknown>)[k] = structuredClone(v);
        };
        const whole = await defaulterHandler(plugin(mutate))(request(pod));
        const scoped = await defaulterHandler(plugin(mutate, ['spec']))(request(pod));
        expect(apply(pod, scoped.patch)).toEqual(apply(pod, whole.patch));
      }),
      { numRuns: 100 },
    );
  });
});
