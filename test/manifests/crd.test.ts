/**
 * config/crd: the generated CRDs (crds/, by `npm run gen`) plus the ownership label and the guard
 * that refuses the CRD name clash with ToolHive's own operator (spec §0).
 * The guard's CEL is evaluated with @marcbachmann/cel-js (the API server's own evaluator cannot run
 * here: there is no API server); its wiring (what it matches, how it is bound) is checked as data.
 */
import type { V1CustomResourceDefinition, V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding } from '@kubernetes/client-node';
import { evaluate } from '@marcbachmann/cel-js';
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
    for (const v of spec.validations ?? []) expect(v.reason).toBe('Forbidden');
    const binding = one<V1ValidatingAdmissionPolicyBinding>(objects, 'ValidatingAdmissionPolicyBinding', 'mcp-authserver-crd-guard');
    expect(binding.spec).toEqual({ policyName: 'mcp-authserver-crd-guard', validationActions: ['Deny'] });
  });
});

type Policy = V1ValidatingAdmissionPolicy & { spec: NonNullable<V1ValidatingAdmissionPolicy['spec']> };

/** Runs the policy's variables and validations on one CRD UPDATE; returns the denial messages. */
function admitCrdUpdate(policy: Policy, oldLabels: Record<string, string> | null, newLabels: Record<string, string> | null): string[] {
  const meta = (labels: Record<string, string> | null) => ({ name: 'mcpservers.toolhive.stacklok.dev', ...(labels ? { labels } : {}) });
  const context: Record<string, unknown> = { oldObject: { metadata: meta(oldLabels) }, object: { metadata: meta(newLabels) } };
  const variables: Record<string, unknown> = {};
  for (const v of policy.spec.variables ?? []) variables[v.name] = evaluate(v.expression, { ...context, variables });
  const denials: string[] = [];
  for (const v of policy.spec.validations ?? []) {
    if (evaluate(v.expression, { ...context, variables }) !== true) {
      denials.push(String(evaluate(v.messageExpression ?? `'${v.message}'`, { ...context, variables })));
    }
  }
  return denials;
}

describe.skipIf(!KUBECTL)('CRD guard decisions (CEL)', () => {
  const ours = { [OWNER_LABEL]: 'mcp-authserver' };
  const policy = async (): Promise<Policy> =>
    one<Policy>(await render('config/crd'), 'ValidatingAdmissionPolicy', 'mcp-authserver-crd-guard');

  it('lets us upgrade our own CRD', async () => {
    expect(admitCrdUpdate(await policy(), ours, ours)).toEqual([]);
  });

  it('refuses our install over a foreign CRD (unlabelled or labelled by another operator), naming it', async () => {
    const foreigns: (Record<string, string> | null)[] = [null, { [OWNER_LABEL]: 'toolhive' }, { other: 'x' }];
    for (const foreign of foreigns) {
      const denials = admitCrdUpdate(await policy(), foreign, ours);
      expect(denials).toHaveLength(1);
      expect(denials[0]).toMatch(/^CRD mcpservers\.toolhive\.stacklok\.dev already exists and is not owned by mcp-authserver .*refusing to overwrite it.*docs\/install\.md$/);
    }
    expect(admitCrdUpdate(await policy(), { [OWNER_LABEL]: 'toolhive' }, ours)[0]).toContain('app.kubernetes.io/part-of="toolhive"');
  });

  it('refuses another installer replacing our CRD', async () => {
    for (const foreign of [null, { [OWNER_LABEL]: 'toolhive' }]) {
      const denials = admitCrdUpdate(await policy(), ours, foreign);
      expect(denials).toHaveLength(1);
      expect(denials[0]).toMatch(/is owned by mcp-authserver: refusing to replace it/);
    }
  });

  it("does not interfere with another operator updating its own CRD", async () => {
    expect(admitCrdUpdate(await policy(), { [OWNER_LABEL]: 'toolhive' }, { [OWNER_LABEL]: 'toolhive' })).toEqual([]);
    expect(admitCrdUpdate(await policy(), null, null)).toEqual([]);
  });
});
