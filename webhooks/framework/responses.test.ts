import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allowed, denied, encodeReviewResponse, encodeReviewResponseBytes, errored, frozenPatchValue, patched, toReviewResponse } from './responses.ts';
import { patchFromRaw } from './patch-from-raw.ts';
import type { JsonPatchOperation } from './types.ts';
import { applyJsonPatch } from '../testing/apply-patch.ts';

describe('response helpers', () => {
  it('denied() aggregates every field error into one message and one cause each', () => {
    const r = denied(
      [
        { path: 'spec.port', rule: 'ports-distinct', message: 'must differ from spec.internalPort' },
        { path: 'spec.replicas', rule: 'replicas-need-redis', message: '2 replicas need storage.type redis' },
      ],
      ['w'],
      'MCPAuthServer ns/a',
    );
    expect(r).toEqual({
      allowed: false,
      status: {
        code: 403,
        reason: 'Forbidden',
        message: 'MCPAuthServer ns/a is invalid: spec.port: must differ from spec.internalPort (ports-distinct); spec.replicas: 2 replicas need storage.type redis (replicas-need-redis)',
        details: {
          causes: [
            { reason: 'ports-distinct', message: 'must differ from spec.internalPort', field: 'spec.port' },
            { reason: 'replicas-need-redis', message: '2 replicas need storage.type redis', field: 'spec.replicas' },
          ],
        },
      },
      warnings: ['w'],
    });
    expect(() => denied([])).toThrow(/internal error/);
  });

  it('toReviewResponse echoes uid and base64-encodes a JSONPatch; no patch fields when empty', () => {
    const ops = [{ op: 'add' as const, path: '/spec/replicas', value: 1 }];
    const review = toReviewResponse('u-1', patched(ops, ['careful']));
    expect(review).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u-1', allowed: true, patch: Buffer.from(JSON.stringify(ops)).toString('base64'), patchType: 'JSONPatch', warnings: ['careful'] },
    });
    expect(toReviewResponse('u-2', patched([]))).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-2', allowed: true } });
    expect(toReviewResponse('u-3', allowed()).response).toEqual({ uid: 'u-3', allowed: true });
    expect(toReviewResponse('u-4', errored(503, 'not synced')).response).toEqual({ uid: 'u-4', allowed: false, status: { code: 503, message: 'not synced' } });
  });
});

describe('patchFromRaw', () => {
  it('escapes "/" and "~" in keys per RFC 6901 and the patch applies back', () => {
    const raw = { metadata: { labels: { 'toolhive.stacklok.dev/mcpserver': 'a', 'x~y': '1' } } };
    const mutated = { metadata: { labels: { 'toolhive.stacklok.dev/mcpserver': 'b', 'x~y': '2', 'a/b~c': 'new' } } };
    const ops = patchFromRaw(raw, mutated);
    expect(ops).toEqual(
      expect.arrayContaining([
        { op: 'replace', path: '/metadata/labels/toolhive.stacklok.dev~1mcpserver', value: 'b' },
        { op: 'replace', path: '/metadata/labels/x~0y', value: '2' },
        { op: 'add', path: '/metadata/labels/a~1b~0c', value: 'new' },
      ]),
    );
    expect(applyJsonPatch(raw, ops)).toEqual(mutated);
  });

  it('keeps fields it does not know: only the difference is patched', () => {
    const raw = { spec: { futureField: { a: 1 } }, status: {} };
    expect(patchFromRaw(raw, { spec: { futureField: { a: 1 }, replicas: 1 }, status: {} })).toEqual([{ op: 'add', path: '/spec/replicas', value: 1 }]);
  });
});

describe('encodeReviewResponse', () => {
  it('property: the same text as JSON.stringify(toReviewResponse()) for every kind of answer', () => {
    const fieldError = fc.record({ path: fc.string(), rule: fc.string(), message: fc.string() });
    // Values as they come: plain, registered once (frozen, text remembered), or absent; any key order.
    const value = fc.oneof(fc.jsonValue(), fc.jsonValue().map((v) => frozenPatchValue(v)), fc.constant(undefined));
    const opName = fc.constantFrom('add' as const, 'replace' as const, 'remove' as const);
    const op = fc.oneof(
      fc.record({ op: opName, path: fc.string(), value }),
      fc.record({ value, path: fc.string(), op: opName, from: fc.option(fc.string(), { nil: undefined }) }),
      fc.record({ op: fc.option(opName, { nil: undefined }), path: fc.option(fc.string(), { nil: undefined }), value }),
    );
    const answer = fc.oneof(
      fc.array(fc.string(), { maxLength: 3 }).map((w) => allowed(w)),
      fc.tuple(fc.array(fieldError, { minLength: 1, maxLength: 3 }), fc.array(fc.string(), { maxLength: 2 }), fc.option(fc.string(), { nil: undefined })).map(([e, w, subject]) => denied(e, w, subject)),
      fc.tuple(fc.array(op, { maxLength: 4 }), fc.array(fc.string(), { maxLength: 2 })).map(([ops, w]) => patched(ops as JsonPatchOperation[], w)),
      fc.tuple(fc.integer({ min: 400, max: 599 }), fc.string()).map(([code, message]) => errored(code, message)),
    );
    fc.assert(
      fc.property(fc.string(), answer, (uid, response) => {
        expect(encodeReviewResponse(uid, response)).toBe(JSON.stringify(toReviewResponse(uid, response)));
      }),
      { numRuns: 300 },
    );
  });

  it('a registered value is frozen all the way down, so its remembered text cannot go stale', () => {
    const material = frozenPatchValue({ volumes: [{ name: 'v', secret: { secretName: 's' } }] });
    expect(Object.isFrozen(material.volumes[0]!.secret)).toBe(true);
    expect(() => {
      (material.volumes[0]!.secret as { secretName: string }).secretName = 'other';
    }).toThrow(TypeError);
    const response = patched([{ op: 'add', path: '/spec/volumes/0', value: material.volumes[0] }]);
    expect(encodeReviewResponse('u', response)).toBe(JSON.stringify(toReviewResponse('u', response)));
  });

  it('the bytes the server writes are the UTF-8 of the same text', () => {
    const response = denied([{ path: 'spec.é', rule: 'r', message: 'naïve ✓' }], ['w']);
    const bytes = encodeReviewResponseBytes('ü-1', response);
    expect(bytes.equals(Buffer.from(JSON.stringify(toReviewResponse('ü-1', response)), 'utf8'))).toBe(true);
  });

  it('property: patches of registered values, whose base64 text is remembered, stay exact when encoded again', () => {
    // A small pool of registered values and look-alike paths, so the same and nearly the same patches recur.
    const pool = [
      frozenPatchValue({ name: 'a', secret: { secretName: 's' } }),
      frozenPatchValue({ name: 'a', secret: { secretName: 's' } }),
      frozenPatchValue([{ name: 'b' }]),
      frozenPatchValue({ mountPath: '/x;1:' }),
    ];
    const op = fc.record({
      op: fc.constantFrom('add', 'replace'),
      path: fc.constantFrom('/spec/volumes/1', '/spec/volumes/11', '/spec/volumes/1;1', '1:', ''),
      value: fc.oneof(fc.constantFrom(...pool), fc.constant({ name: 'a', secret: { secretName: 's' } })),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 3 }), fc.string(), (ops, uid) => {
        const response = patched(ops as JsonPatchOperation[]);
        const expected = JSON.stringify(toReviewResponse(uid, response));
        expect(encodeReviewResponse(uid, response)).toBe(expected);
        expect(encodeReviewResponse(uid, response)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
