import type { KubeObject, ValidationPlugin } from '../../framework/types.ts';
import { GROUP, validate } from '../lib/api.ts';

export interface ValidatorOptions {
  featureGates?: { MultiUpstreamIdp?: boolean };
}

/**
 * `/validate-mcpauthserver`, CREATE/UPDATE: the rules of spec §3.1 and §6.2 through the shared
 * `validate()` (same JSON Schema as the CRD + cross-field rules), every problem in one denial.
 * UPDATE passes the old object so renaming an upstream IdP or changing the trust domain comes
 * back as a warning. Referenced Secrets/ConfigMaps are not looked at: apply order is free, the
 * controller reports them as conditions (spec §3.1, last rule).
 *
 * @example
 * const handler = validatorHandler(mcpAuthServerValidator({ featureGates: { MultiUpstreamIdp: false } }));
 */
export function mcpAuthServerValidator(options: ValidatorOptions = {}) {
  const featureGates = options.featureGates ?? {};
  return {
    name: 'mcpauthserver-validate',
    kind: { group: GROUP, kind: 'MCPAuthServer' },
    operations: new Set(['CREATE', 'UPDATE'] as const),
    // validate() only reads (ajv without defaults, pure rules): no copy per review (frozen-object test).
    readOnly: true,
    validateCreate: (obj) => validate(obj, { featureGates }),
    validateUpdate: (obj, oldObj) => validate(obj, { oldObject: oldObj, featureGates }),
  } satisfies ValidationPlugin<KubeObject>;
}
