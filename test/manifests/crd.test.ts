/**
 * config/crd: the generated CRDs (crds/, by `npm run gen`) plus the ownership label and the guard
 * that refuses the CRD name clash with ToolHive's own operator (spec §0).
 * The CEL of the guard runs only in a real API server (none here, no CEL evaluator in this
 * project); these tests check its wiring: what it matches, what it compares, what it says.
 */
import type { V1CustomResourceDefinition, V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { all, KUBECTL, one, OPERATOR_INSTALLS, render } from './lib/kustomize.ts';

const CRD_NAMES = [
  'mcpauthservers.toolhive.stacklok.dev',
  'mcpexternalauthconfigs.toolhive.stacklok.dev',
  'mcpservers.toolhive.stacklok.dev',
];
const OWNER_LABEL = 'app.kubernetes.io/part-of';

describe.skipIf(!KUBECTL).each(['config/crd', ...OPERATOR_INSTALLS])('%s CRDs', (dir) => {
  it('installs exactly our three CRDs, each labelled as owned by mcp-authserver', async () => {
    const crds = all<V1CustomResourceDefinition>(await render(dir), 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata?.name).sort()).toEqual(CRD_NAMES);
    for (const crd of crds) {
      expect(crd.metadata?.labels?.[OWNER_LABEL], crd.metadata?.name).toBe('mcp-authserver');
      expect(crd.spec.group).toBe('toolhive.stacklok.dev');
      const served = crd.spec.versions.filter((v) => v.served).map((v) => v.name);
      expect(served).toContain('v1alpha1');
      expect(crd.spec.versions.find((v) => v.name === 'v1alpha1')?.subresources?.status).toEqual({});
    }
  });

  it('guards exactly those CRDs against being replaced by, or replacing, a foreign same-named CRD', async () => {
    const objects = await render(dir);
    const policy = one<V1ValidatingAdmissionPolicy>(objects, 'ValidatingAdmissionPolicy', 'mcp-authserver-crd-guard');
    const spec = policy.spec!;
    expect(spec.failurePolicy).toBe('Fail');
    expect(spec.matchConstraints?.resourceRules).toEqual([
      {
        apiGroups: ['apiextensions.k8s.io'],
        apiVersions: ['v1'],
        operations: ['UPDATE'],
        resources: ['customresourcedefinitions'],
        resourceNames: CRD_NAMES,
      },
    ]);
    const expressions = (spec.validations ?? []).map((v) => v.expression).join('\n');
    expect(expressions).toContain("variables.oldOwner == 'mcp-authserver'");
    expect(expressions).toContain("variables.newOwner == 'mcp-authserver'");
    for (const variable of spec.variables ?? []) expect(variable.expression).toContain(`'${OWNER_LABEL}'`);
    for (const v of spec.validations ?? []) {
      expect(v.reason).toBe('Forbidden');
      expect(v.messageExpression).toMatch(/refusing to (overwrite|replace)/);
      expect(v.messageExpression).toContain('docs/install.md');
    }
    const binding = one<V1ValidatingAdmissionPolicyBinding>(objects, 'ValidatingAdmissionPolicyBinding', 'mcp-authserver-crd-guard');
    expect(binding.spec).toEqual({ policyName: 'mcp-authserver-crd-guard', validationActions: ['Deny'] });
  });
});
