import { describe, expect, it } from 'vitest';
import { validatorHandler } from '../../framework/validator-handler.ts';
import type { AdmissionRequest, KubeObject, ValidationPlugin } from '../../framework/types.ts';
import { buildReview } from '../../testing/reviews.ts';
import { RULE_CASES } from '../../../src/api/v1alpha1/testdata/rule-cases.ts';
import { sample, SAMPLE_NAMES } from '../../../src/api/v1alpha1/testdata/samples.ts';
import { mcpAuthServerValidator } from './validate.ts';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const review = (object: KubeObject, oldObject?: KubeObject) =>
  buildReview({ operation: oldObject ? 'UPDATE' : 'CREATE', object, ...(oldObject ? { oldObject } : {}) }).request as unknown as AdmissionRequest;

describe('mcpAuthServerValidator is readOnly (validated without a copy)', () => {
  // Every MCPAuthServer sample and every rule case (valid and invalid objects), CREATE and
  // UPDATE, on deeply frozen objects: a write would throw (ES modules are strict).
  const objects = [
    ...SAMPLE_NAMES.map((name) => ({ name, object: sample(name) as KubeObject, gates: {} })),
    ...RULE_CASES.map((c) => {
      const object = sample(c.base) as KubeObject;
      c.mutate(object);
      return { name: c.name, object, gates: c.gates ?? {} };
    }),
  ].filter((c) => c.object.kind === 'MCPAuthServer');

  it('declares readOnly', () => {
    expect((mcpAuthServerValidator() satisfies ValidationPlugin).readOnly).toBe(true);
  });

  it.each(objects)('$name: same answer on frozen objects as on copies, objects untouched', async ({ object, gates }) => {
    const plugin = mcpAuthServerValidator({ featureGates: gates });
    const copying = validatorHandler({ ...plugin, readOnly: false });
    const old = sample('authServerAuto') as KubeObject;
    for (const req of [review(object), review(object, old)]) {
      const expected = await copying(structuredClone(req));
      const frozen = deepFreeze(structuredClone(req));
      expect(await validatorHandler(plugin)(frozen)).toEqual(expected);
    }
  });
});
