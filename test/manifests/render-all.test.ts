/**
 * Issue 2 item 6: every kustomization under config/ renders with the real `kubectl kustomize`,
 * and every rendered object validates: Kubernetes kinds against kubernetes-models (+ strict
 * unknown-field check), cert-manager kinds against @kubernetes-models/cert-manager, our kinds with
 * `validate()` of src/api (the same rules the admission webhook applies).
 */
import { describe, expect, it } from 'vitest';
import { validate } from '../../src/api/v1alpha1/index.ts';
import { findKustomizations, KUBECTL, render } from './lib/kustomize.ts';
import { isOurKind, upstreamProblems } from './lib/upstream-schemas.ts';

const DIRS = findKustomizations();

describe('config/ kustomizations', () => {
  it('includes every base, overlay and the samples', () => {
    // A new directory must be added here on purpose, so nothing is left out of the checks below.
    expect(DIRS).toEqual([
      'config/certmanager',
      'config/crd',
      'config/default',
      'config/manager',
      'config/overlays/dev',
      'config/overlays/ha',
      'config/overlays/production',
      'config/rbac',
      'config/samples',
      'config/webhook',
    ]);
  });
});

describe.skipIf(!KUBECTL).each(DIRS)('%s', (dir) => {
  it('renders with kubectl kustomize into at least one object', async () => {
    expect((await render(dir)).length).toBeGreaterThan(0);
  });

  it('validates every Kubernetes and cert-manager object against the upstream schemas', async () => {
    const problems = (await render(dir)).filter((o) => !isOurKind(o)).flatMap(upstreamProblems);
    expect(problems).toEqual([]);
  });

  it('validates every MCPAuthServer / MCPExternalAuthConfig / MCPServer with validate()', async () => {
    const problems = (await render(dir))
      .filter(isOurKind)
      .flatMap((o) => validate(o).errors.map((e) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${e.path}: ${e.rule}: ${e.message}`));
    expect(problems).toEqual([]);
  });

  it('gives every namespaced object an explicit namespace (nothing lands in "default" by accident)', async () => {
    const clusterScoped = new Set([
      'Namespace',
      'CustomResourceDefinition',
      'ClusterRole',
      'ClusterRoleBinding',
      'ClusterIssuer',
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    const missing = (await render(dir))
      .filter((o) => !clusterScoped.has(o.kind) && !o.metadata.namespace)
      .map((o) => `${o.kind} ${o.metadata.name}`);
    expect(missing).toEqual([]);
  });
});
