import type { AdmissionRequest, KubeObject, ValidationPlugin, ValidationResult } from '../../framework/types.ts';
import type { InjectionLookup } from '../../lookup/injection-lookup.ts';
import { GROUP, validate } from '../lib/api.ts';
import { crossObjectWarnings, resolveAuthServerKey, str, withNamespace } from '../lib/cross-object.ts';

/**
 * `/validate-mcpserver`, CREATE/UPDATE: spec §3.3 rules through the shared `validate()` (image,
 * transport, ports, `oidcConfig` with `inline.audience` equal to the normalized `resourceUrl`,
 * name ≤ 63), all problems in one denial. Findings that need other objects (the referenced
 * MCPExternalAuthConfig missing, `oidcConfig` missing for an authServer config, `inline.issuer`
 * differing from the MCPAuthServer's issuer) are warnings: they depend on apply order and the
 * controller reports them as conditions (`ExternalAuthConfigValidated`, reason `IssuerMismatch`).
 *
 * @example
 * const handler = validatorHandler(mcpServerValidator({ lookup }));
 */
export function mcpServerValidator(options: { lookup?: InjectionLookup } = {}) {
  const check = (obj: KubeObject, req: AdmissionRequest, oldObj?: KubeObject): ValidationResult => {
    const result = validate(obj, oldObj ? { oldObject: oldObj } : {});
    if (result.errors.length > 0) return result;
    return { errors: [], warnings: [...result.warnings, ...lookupWarnings(withNamespace(obj, req), options.lookup)] };
  };
  return {
    name: 'mcpserver-validate',
    kind: { group: GROUP, kind: 'MCPServer' },
    operations: new Set(['CREATE', 'UPDATE'] as const),
    validateCreate: (obj, req) => check(obj, req),
    validateUpdate: (obj, oldObj, req) => check(obj, req, oldObj),
  } satisfies ValidationPlugin<KubeObject>;
}

function lookupWarnings(obj: KubeObject & { metadata: { namespace: string } }, lookup: InjectionLookup | undefined): string[] {
  const refName = str(obj, 'spec', 'externalAuthConfigRef', 'name');
  if (!refName || !lookup?.synced()) return [];
  const ns = obj.metadata.namespace;
  const config = lookup.getExternalAuthConfig(ns, refName);
  if (!config) {
    return [`spec.externalAuthConfigRef.name: MCPExternalAuthConfig ${ns}/${refName} does not exist (yet); pods of this server are refused until it does`];
  }
  const key = resolveAuthServerKey(config);
  const authServer = key ? lookup.getMCPAuthServer?.(key.namespace, key.name) : undefined;
  return crossObjectWarnings(obj, [config, authServer]);
}
