import type { AdmissionRequest, KubeObject, ValidationPlugin, ValidationResult } from '../../framework/types.ts';
import type { InjectionLookup } from '../../lookup/injection-lookup.ts';
import { GROUP, validate } from '../lib/api.ts';
import { nsOf, str } from '../lib/cross-object.ts';

/**
 * `/validate-mcpexternalauthconfig`, CREATE/UPDATE: spec §3.2 rules through the shared
 * `validate()` (type/sub-object pairing, https `url`, `authServerRef` or `url`, trust-domain
 * pattern, issuerRef kind), all problems in one denial. Cross-object findings (referenced
 * MCPAuthServer missing, trust domains differing) are warnings only: apply order is free and the
 * controller reports them as conditions (`AuthServerResolved`).
 *
 * @example
 * const handler = validatorHandler(mcpExternalAuthConfigValidator({ lookup }));
 */
export function mcpExternalAuthConfigValidator(options: { lookup?: InjectionLookup } = {}) {
  const check = (obj: KubeObject, req: AdmissionRequest, oldObj?: KubeObject): ValidationResult => {
    const result = validate(obj, oldObj ? { oldObject: oldObj } : {});
    return { errors: result.errors, warnings: [...result.warnings, ...crossObjectWarnings(obj, req, options.lookup)] };
  };
  return {
    name: 'mcpexternalauthconfig-validate',
    kind: { group: GROUP, kind: 'MCPExternalAuthConfig' },
    operations: new Set(['CREATE', 'UPDATE'] as const),
    validateCreate: (obj, req) => check(obj, req),
    validateUpdate: (obj, oldObj, req) => check(obj, req, oldObj),
  } satisfies ValidationPlugin<KubeObject>;
}

function crossObjectWarnings(obj: KubeObject, req: AdmissionRequest, lookup: InjectionLookup | undefined): string[] {
  if (!lookup?.getMCPAuthServer || !lookup.synced()) return [];
  const refName = str(obj, 'spec', 'authServer', 'authServerRef', 'name');
  if (!refName) return [];
  const refNs = str(obj, 'spec', 'authServer', 'authServerRef', 'namespace') ?? nsOf(obj, req.namespace);
  const authServer = lookup.getMCPAuthServer(refNs, refName);
  if (!authServer) {
    return [`spec.authServer.authServerRef: MCPAuthServer ${refNs}/${refName} does not exist (yet); the controller reports AuthServerResolved=False until it does`];
  }
  const mine = str(obj, 'spec', 'authServer', 'clientCert', 'trustDomain');
  const theirs = str(authServer, 'spec', 'tls', 'clientAuth', 'allowedSubjects', 'trustDomain');
  if (mine && theirs && mine !== theirs) {
    return [`spec.authServer.clientCert.trustDomain: "${mine}" differs from MCPAuthServer ${refNs}/${refName} trust domain "${theirs}"; its internal endpoint will reject these client certificates`];
  }
  return [];
}
