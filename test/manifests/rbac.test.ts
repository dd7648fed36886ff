/**
 * Spec §4.6, least privilege: the controller's permissions are exactly the listed set, with no
 * wildcard, no privilege-escalation verb, and leader election confined to its own namespace.
 */
import type { V1ClusterRole, V1ClusterRoleBinding, V1Deployment, V1PolicyRule, V1Role, V1RoleBinding } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { all, findKustomizations, KUBECTL, one, OPERATOR_INSTALLS, render } from './lib/kustomize.ts';

const CRUD = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const READ = ['get', 'list', 'watch'];

/** `group/resource[/name]: verbs`, one line per (group, resource, name), verbs sorted. */
function permissionTable(rules: V1PolicyRule[]): Record<string, string[]> {
  const table: Record<string, Set<string>> = {};
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const name of rule.resourceNames?.length ? rule.resourceNames : ['']) {
          const key = `${group || 'core'}/${resource}${name ? `/${name}` : ''}`;
          for (const verb of rule.verbs) (table[key] ??= new Set()).add(verb);
        }
      }
    }
  }
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, [...v].sort()]));
}

const EXPECTED_CLUSTER_PERMISSIONS: Record<string, string[]> = {
  'toolhive.stacklok.dev/mcpauthservers': ['get', 'list', 'patch', 'update', 'watch'],
  'toolhive.stacklok.dev/mcpexternalauthconfigs': ['get', 'list', 'patch', 'update', 'watch'],
  'toolhive.stacklok.dev/mcpservers': ['get', 'list', 'patch', 'update', 'watch'],
  'toolhive.stacklok.dev/mcpauthservers/status': ['get', 'patch', 'update'],
  'toolhive.stacklok.dev/mcpexternalauthconfigs/status': ['get', 'patch', 'update'],
  'toolhive.stacklok.dev/mcpservers/status': ['get', 'patch', 'update'],
  'toolhive.stacklok.dev/mcpauthservers/finalizers': ['update'],
  'toolhive.stacklok.dev/mcpexternalauthconfigs/finalizers': ['update'],
  'toolhive.stacklok.dev/mcpservers/finalizers': ['update'],
  'cert-manager.io/certificates': CRUD,
  'cert-manager.io/clusterissuers': CRUD,
  'cert-manager.io/issuers': READ,
  'core/secrets': CRUD,
  'core/configmaps': CRUD,
  'core/services': CRUD,
  'core/serviceaccounts': CRUD,
  'apps/deployments': CRUD,
  'networking.k8s.io/networkpolicies': CRUD,
  'core/events': ['create', 'patch'],
  'events.k8s.io/events': ['create', 'patch'],
  'apiextensions.k8s.io/customresourcedefinitions/mcpauthservers.toolhive.stacklok.dev': ['get'],
  'apiextensions.k8s.io/customresourcedefinitions/mcpexternalauthconfigs.toolhive.stacklok.dev': ['get'],
  'apiextensions.k8s.io/customresourcedefinitions/mcpservers.toolhive.stacklok.dev': ['get'],
};

describe('permissionTable', () => {
  it('expands rules per group, resource and name', () => {
    expect(
      permissionTable([
        { apiGroups: ['', 'apps'], resources: ['a'], verbs: ['get'] },
        { apiGroups: [''], resources: ['a'], verbs: ['list', 'get'] },
        { apiGroups: ['x'], resources: ['b'], resourceNames: ['n'], verbs: ['get'] },
      ]),
    ).toEqual({ 'core/a': ['get', 'list'], 'apps/a': ['get'], 'x/b/n': ['get'] });
  });
});

describe.skipIf(!KUBECTL)('RBAC in every kustomization', () => {
  it('has no wildcard and no escalate/bind/impersonate anywhere', async () => {
    const problems: string[] = [];
    for (const dir of findKustomizations()) {
      const objects = await render(dir);
      for (const role of all<V1ClusterRole>(objects, 'ClusterRole')) {
        if (role.aggregationRule) problems.push(`${dir} ${role.metadata?.name}: aggregationRule`);
      }
      for (const role of [...all<V1Role>(objects, 'Role'), ...all<V1ClusterRole>(objects, 'ClusterRole')]) {
        for (const rule of role.rules ?? []) {
          const values = [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs, ...(rule.resourceNames ?? [])];
          if (values.some((v) => v.includes('*'))) problems.push(`${dir} ${role.metadata?.name}: wildcard in ${JSON.stringify(rule)}`);
          if (rule.nonResourceURLs?.length) problems.push(`${dir} ${role.metadata?.name}: nonResourceURLs`);
          for (const verb of ['escalate', 'bind', 'impersonate']) {
            if (rule.verbs.includes(verb)) problems.push(`${dir} ${role.metadata?.name}: verb ${verb}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!KUBECTL).each(OPERATOR_INSTALLS)('%s RBAC', (dir) => {
  it('grants the controller exactly the permissions of spec §4.6 (cluster-wide)', async () => {
    const role = one<V1ClusterRole>(await render(dir), 'ClusterRole', 'mcp-authserver-controller');
    expect(permissionTable(role.rules ?? [])).toEqual(EXPECTED_CLUSTER_PERMISSIONS);
  });

  it('keeps leader election in a namespaced Role of the controller namespace', async () => {
    const objects = await render(dir);
    const role = one<V1Role>(objects, 'Role', 'mcp-authserver-leader-election');
    expect(role.metadata?.namespace).toBe('mcp-authserver-system');
    expect(permissionTable(role.rules ?? [])).toEqual({
      'coordination.k8s.io/leases': ['create', 'get', 'list', 'patch', 'update', 'watch'],
    });
    const binding = one<V1RoleBinding>(objects, 'RoleBinding', 'mcp-authserver-leader-election');
    expect(binding.metadata?.namespace).toBe('mcp-authserver-system');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'mcp-authserver-leader-election' });
  });

  it('binds both roles to the ServiceAccount the controller Deployment runs as, and to nothing else', async () => {
    const objects = await render(dir);
    const deployment = one<V1Deployment>(objects, 'Deployment', 'mcp-authserver-controller');
    const sa = deployment.spec?.template.spec?.serviceAccountName;
    expect(sa).toBe('mcp-authserver-controller');
    one(objects, 'ServiceAccount', sa);
    const subject = [{ kind: 'ServiceAccount', name: sa, namespace: deployment.metadata?.namespace }];
    const clusterBinding = one<V1ClusterRoleBinding>(objects, 'ClusterRoleBinding', 'mcp-authserver-controller');
    expect(clusterBinding.subjects).toEqual(subject);
    expect(clusterBinding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'mcp-authserver-controller' });
    expect(one<V1RoleBinding>(objects, 'RoleBinding', 'mcp-authserver-leader-election').subjects).toEqual(subject);
    expect(all(objects, 'ClusterRoleBinding')).toHaveLength(1);
    expect(all(objects, 'RoleBinding')).toHaveLength(1);
  });
});
