/** Property tests of the CRD plugins (conventions §14): arbitrary specs never crash the handlers,
 * defaulting patches always apply and are idempotent, and validation agrees with `validate()`. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyJsonPatch } from '../testing/apply-patch.ts';
import { buildRoutes } from '../routes.ts';
import { createMemoryLookup } from '../lookup/memory-lookup.ts';
import { buildReview } from '../testing/reviews.ts';
import { validAuthServer, validExternalAuthConfig, validMCPServer } from '../testing/crd-objects.ts';
import { validate } from '../../src/api/v1alpha1/index.ts';
import type { AdmissionRequest, KubeObject } from '../framework/types.ts';

const routes = buildRoutes({ lookup: createMemoryLookup() });
const PATHS: Record<string, string> = { MCPAuthServer: 'mcpauthserver', MCPExternalAuthConfig: 'mcpexternalauthconfig', MCPServer: 'mcpserver' };

// Values that are often wrong in interesting ways: wrong types, empty, huge, nested.
const junk = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -1, max: 70000 }), fc.string({ maxLength: 20 }), fc.constant(''), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }));

function spliceAt(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur: Record<string, unknown> = obj;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (typeof next !== 'object' || next === null) return;
    cur = next as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

const FIELDS: Record<string, string[][]> = {
  MCPAuthServer: [['spec', 'issuer'], ['spec', 'replicas'], ['spec', 'port'], ['spec', 'upstreamIdps'], ['spec', 'signingKeys'], ['spec', 'tls'], ['spec', 'storage'], ['spec', 'tokenLifespans'], ['spec']],
  MCPExternalAuthConfig: [['spec', 'type'], ['spec', 'authServer'], ['spec', 'authServer', 'url'], ['spec', 'authServer', 'clientCert'], ['spec']],
  MCPServer: [['spec', 'image'], ['spec', 'oidcConfig'], ['spec', 'oidcConfig', 'resourceUrl'], ['spec', 'port'], ['spec', 'transport'], ['spec']],
};

describe.each([
  ['MCPAuthServer', validAuthServer],
  ['MCPExternalAuthConfig', validExternalAuthConfig],
  ['MCPServer', validMCPServer],
])('%s plugins, property', (kind, make) => {
  const arbitraryObject = fc
    .array(fc.tuple(fc.constantFrom(...FIELDS[kind]!), junk), { maxLength: 3 })
    .map((edits) => {
      const obj = make() as unknown as Record<string, unknown>;
      for (const [path, value] of edits) spliceAt(obj, path, value);
      return obj as KubeObject;
    });

  it('validation never throws and denies exactly when validate() reports errors, naming every path', async () => {
    const handler = routes.get(`/validate-${PATHS[kind]}`)!.handler;
    await fc.assert(
      fc.asyncProperty(arbitraryObject, async (obj) => {
        const res = await handler(buildReview({ operation: 'CREATE', object: obj }).request as unknown as AdmissionRequest);
        const expected = validate(obj);
        expect(res.allowed).toBe(expected.errors.length === 0);
        if (!res.allowed) {
          expect(res.status?.code).toBe(403);
          expect(res.status?.details?.causes.map((c) => c.field)).toEqual(expected.errors.map((e) => e.path));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('defaulting never throws; the patch applies to the raw object and a second pass is empty', async () => {
    const handler = routes.get(`/mutate-${PATHS[kind]}`)!.handler;
    await fc.assert(
      fc.asyncProperty(arbitraryObject, async (obj) => {
        const first = await handler(buildReview({ operation: 'CREATE', object: obj }).request as unknown as AdmissionRequest);
        expect(first.allowed).toBe(true);
        const out = applyJsonPatch(obj, first.patch);
        const second = await handler(buildReview({ operation: 'CREATE', object: out }).request as unknown as AdmissionRequest);
        expect(second).toEqual({ allowed: true });
      }),
      { numRuns: 150 },
    );
  });
});
