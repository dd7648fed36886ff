import { describe, expect, it } from 'vitest';
import { findUnknownFields, hasModel } from './unknown-fields.ts';
import { upstreamProblems } from './upstream-schemas.ts';
import { restrictedViolations } from './pod-security.ts';

// The checker the manifest tests rely on must itself catch mistakes, or a green run means nothing.
describe('findUnknownFields', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { 'any-label': 'x' } },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: {
          containers: [
            { name: 'c', image: 'i', resources: { limits: { memory: '1Gi' } }, securityContext: { readOnlyRootFilesystem: true } },
          ],
        },
      },
    },
  };

  it('accepts a Deployment whose fields all exist, including free-form maps', () => {
    expect(findUnknownFields(deployment, 'V1Deployment')).toEqual([]);
  });

  it('reports a misspelled field deep inside a list, with its path', () => {
    const bad = structuredClone(deployment);
    (bad.spec.template.spec.containers[0]!.securityContext as Record<string, unknown>).readOnlyRootFileSystem = true;
    expect(findUnknownFields(bad, 'V1Deployment')).toEqual([
      'spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem',
    ]);
  });

  it('checks nested JSON schema props of a CRD (items typed any upstream)', () => {
    const crd = {
      spec: {
        versions: [{ name: 'v1', schema: { openAPIV3Schema: { type: 'array', items: { type: 'string', maxLenght: 3 } } } }],
      },
    };
    expect(findUnknownFields(crd, 'V1CustomResourceDefinition')).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.items.maxLenght',
    ]);
  });

  it('knows the model names the registry uses', () => {
    expect(hasModel('V1ValidatingAdmissionPolicy')).toBe(true);
    expect(hasModel('V1NoSuchThing')).toBe(false);
  });
});

describe('upstreamProblems', () => {
  it('rejects a wrong type through kubernetes-models', () => {
    const problems = upstreamProblems({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 'https' }] },
    });
    expect(problems.join('\n')).toMatch(/port/);
  });

  it('rejects a cert-manager Certificate without issuerRef', () => {
    const problems = upstreamProblems({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'c' },
      spec: { secretName: 's' },
    });
    expect(problems.join('\n')).toMatch(/issuerRef/);
  });

  it('refuses kinds it has no schema for instead of accepting them', () => {
    expect(upstreamProblems({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toEqual([
      'v1/Pod p: no upstream schema registered for this kind (add it to test/manifests/lib/upstream-schemas.ts)',
    ]);
  });
});

describe('restrictedViolations', () => {
  const compliant = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'c',
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      },
    ],
  };

  it('accepts a compliant pod (pod-level runAsNonRoot and seccomp count for every container)', () => {
    expect(restrictedViolations(compliant)).toEqual([]);
  });

  it('names each broken rule', () => {
    const bad = structuredClone(compliant) as typeof compliant & { hostNetwork?: boolean };
    bad.hostNetwork = true;
    bad.securityContext.seccompProfile.type = 'Unconfined';
    bad.containers[0]!.securityContext = { allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, capabilities: { drop: [] } };
    expect(restrictedViolations(bad)).toEqual([
      'pod: host namespaces',
      'c: allowPrivilegeEscalation not false',
      'c: capabilities do not drop ALL',
      'c: seccompProfile not RuntimeDefault',
      'c: readOnlyRootFilesystem not true',
    ]);
  });
});
