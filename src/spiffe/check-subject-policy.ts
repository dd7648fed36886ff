import type { PolicyDenyReason } from './errors.ts';
import type { McpServerIdentity } from './parse-spiffe-id.ts';

/** `tls.clientAuth.allowedSubjects` of MCPAuthServer (spec §3.1); empty/absent lists allow all. */
export interface AllowedSubjects {
  trustDomain: string;
  allowedNamespaces?: readonly string[];
  allowedNames?: readonly string[];
  allowedServers?: ReadonlyArray<{ namespace: string; name: string }>;
}

/**
 * Subject policy (spec §2.10 step 4): trust domain equal; namespace ∈ allowedNamespaces (if
 * set); name ∈ allowedNames (if set); {namespace,name} ∈ allowedServers (if set). All lists that
 * are set must match. Returns null when allowed, else the reason (→ 403 access_denied).
 *
 * @example
 * checkSubjectPolicy({ trustDomain: 'td', namespace: 'a', name: 'b', id: '…' }, { trustDomain: 'td', allowedNamespaces: ['a'] }); // null
 * checkSubjectPolicy({ trustDomain: 'td', namespace: 'x', name: 'b', id: '…' }, { trustDomain: 'td', allowedNamespaces: ['a'] }); // 'namespace_not_allowed'
 */
export function checkSubjectPolicy(identity: McpServerIdentity, policy: AllowedSubjects): PolicyDenyReason | null {
  if (identity.trustDomain !== policy.trustDomain) return 'trust_domain_mismatch';
  if (policy.allowedNamespaces?.length && !policy.allowedNamespaces.includes(identity.namespace)) return 'namespace_not_allowed';
  if (policy.allowedNames?.length && !policy.allowedNames.includes(identity.name)) return 'name_not_allowed';
  if (
    policy.allowedServers?.length &&
    !policy.allowedServers.some((s) => s.namespace === identity.namespace && s.name === identity.name)
  ) {
    return 'server_not_allowed';
  }
  return null;
}
