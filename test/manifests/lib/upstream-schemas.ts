/**
 * Validation of rendered Kubernetes and cert-manager objects against the upstream schemas:
 * `kubernetes-models` (types, enums, required fields, formats), `@kubernetes-models/cert-manager`
 * for cert-manager kinds, plus the strict unknown-field check of ./unknown-fields.ts where
 * `@kubernetes/client-node` has a model. Every kind the config renders must be registered here:
 * an unregistered kind is an error, never silently accepted.
 */
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration';
import { ValidatingAdmissionPolicy } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';
import { ValidatingAdmissionPolicyBinding } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { ClusterIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer';
import { Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer';
import { findUnknownFields } from './unknown-fields.ts';
import type { K8sObject } from './kustomize.ts';

type Model = new (data: never) => { validate(): void };
type Entry = { model: Model; clientNodeType?: string };

const REGISTRY: Record<string, Entry> = {
  'v1/Namespace': { model: Namespace, clientNodeType: 'V1Namespace' },
  'v1/Service': { model: Service, clientNodeType: 'V1Service' },
  'v1/ServiceAccount': { model: ServiceAccount, clientNodeType: 'V1ServiceAccount' },
  'apps/v1/Deployment': { model: Deployment, clientNodeType: 'V1Deployment' },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, clientNodeType: 'V1PodDisruptionBudget' },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, clientNodeType: 'V1NetworkPolicy' },
  'rbac.authorization.k8s.io/v1/ClusterRole': { model: ClusterRole, clientNodeType: 'V1ClusterRole' },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { model: ClusterRoleBinding, clientNodeType: 'V1ClusterRoleBinding' },
  'rbac.authorization.k8s.io/v1/Role': { model: Role, clientNodeType: 'V1Role' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: RoleBinding, clientNodeType: 'V1RoleBinding' },
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': {
    model: MutatingWebhookConfiguration,
    clientNodeType: 'V1MutatingWebhookConfiguration',
  },
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': {
    model: ValidatingWebhookConfiguration,
    clientNodeType: 'V1ValidatingWebhookConfiguration',
  },
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': {
    model: ValidatingAdmissionPolicy,
    clientNodeType: 'V1ValidatingAdmissionPolicy',
  },
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': {
    model: ValidatingAdmissionPolicyBinding,
    clientNodeType: 'V1ValidatingAdmissionPolicyBinding',
  },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': {
    model: CustomResourceDefinition,
    clientNodeType: 'V1CustomResourceDefinition',
  },
  // cert-manager kinds: no client-node model, so types/enums/required fields only.
  'cert-manager.io/v1/Certificate': { model: Certificate },
  'cert-manager.io/v1/Issuer': { model: Issuer },
  'cert-manager.io/v1/ClusterIssuer': { model: ClusterIssuer },
};

/** Whether an object belongs to this project's API group (validated with src/api instead). */
export function isOurKind(obj: K8sObject): boolean {
  return obj.apiVersion.startsWith('toolhive.stacklok.dev/');
}

/**
 * Every problem of one Kubernetes or cert-manager object against its upstream schema, as
 * readable lines; [] when it is valid. Our own kinds are not handled here.
 *
 * @example
 * upstreamProblems({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { typo: 1 } })
 * // ['v1/Service s: unknown field spec.typo']
 */
export function upstreamProblems(obj: K8sObject): string[] {
  const id = `${obj.apiVersion}/${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`;
  const entry = REGISTRY[`${obj.apiVersion}/${obj.kind}`];
  if (!entry) return [`${id}: no upstream schema registered for this kind (add it to test/manifests/lib/upstream-schemas.ts)`];
  const problems: string[] = [];
  try {
    new entry.model(structuredClone(obj) as never).validate();
  } catch (err) {
    problems.push(`${id}: ${(err as Error).message}`);
  }
  if (entry.clientNodeType) {
    for (const path of findUnknownFields(obj, entry.clientNodeType)) problems.push(`${id}: unknown field ${path}`);
  }
  return problems;
}
