import type { AdmissionRequest, KubeObject, ValidationPlugin, ValidationResult } from '../../framework/types.ts';
import type { InjectionLookup } from '../../lookup/injection-lookup.ts';
import { GROUP, validate } from '../lib/api.ts';
import { crossObjectWarnings, resolveAuthServerKey, withNamespace } from '../lib/cross-object.ts';

/**
 * `/validate-mcpexternalauthconfig`, CREATE/UPDATE: spec §3.2 rules through the shared
 * `validate()` (type/sub-object pairing, https `url`, `authServerRef` or `url`, trust-domain
 * pattern, issuerRef kind), all problems in one denial. Cross-object findings (referenced
 * MCPAuthServer missing, trust domain or upstream IdP not matching it) are warnings only: apply
 * order is free and the controller reports them as conditions (`AuthServerResolved`).
 *
 * @example
 * const handler = validatorHandler(mcpExternalAuthConfigValidator({ lookup }));
 */
export function mcpExternalAuthConfigValidator(options: { lookup?: InjectionLookup } = {}) {
  const check = (obj: KubeObject, req: AdmissionRequest, oldObj?: KubeObject): ValidationResult => {
    const result = validate(obj, oldObj ? { oldObject: oldObj } : {});
    if (result.errors.length > 0) return result;
    return { errors: [], warnings: [...result.warnings, ...lookupWarnings(withNamespace(obj, req), options.lookup)] };
  };
  return {
    name: 'mcpexternalauthconfig-validate',
    kind: { group: GROUP, kind: 'MCPExternalAuthConfig' },
    operations: new Set(['CREATE', 'UPDATE'] as const),
    validateCreate: (obj, req) => check(obj, req),
    validateUpdate: (obj, oldObj, req) => check(obj, req, oldObj),
  } satisfies ValidationPlugin<KubeObject>;
}

function lookupWarnings(obj: KubeObject, lookup: InjectionLookup | undefined): string[] {
  if (!lookup?.getMCPAuthServer || !lookup.synced()) return [];
  const key = resolveAuthServerKey(obj);
  if (!key) return [];
  const authServer = lookup.getMCPAuthServer(key.namespace, key.name);
  if (!authServer) {
    return [`spec.authServer: MCPAuthServer ${key.namespace}/${key.name} does not exist (yet); the controller reports AuthServerResolved=False until it does`];
  }
  return crossObjectWarnings(obj, [authServer]);
}
