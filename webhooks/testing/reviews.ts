import { readFileSync } from 'node:fs';
import type { KubeObject, Operation } from '../framework/types.ts';

const API_GROUP = 'toolhive.stacklok.dev';
const PLURALS: Record<string, { group: string; version: string; resource: string }> = {
  MCPAuthServer: { group: API_GROUP, version: 'v1alpha1', resource: 'mcpauthservers' },
  MCPExternalAuthConfig: { group: API_GROUP, version: 'v1alpha1', resource: 'mcpexternalauthconfigs' },
  MCPServer: { group: API_GROUP, version: 'v1alpha1', resource: 'mcpservers' },
  Pod: { group: '', version: 'v1', resource: 'pods' },
};

let counter = 0;

/** Reads a captured AdmissionReview from webhooks/testdata/admission. */
export function fixture(name: string): Record<string, unknown> & { request: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`../testdata/admission/${name}`, import.meta.url), 'utf8'));
}

/**
 * An AdmissionReview v1 shaped exactly like the captured ones (uid, kind, resource, requestKind,
 * requestResource, name, namespace, operation, userInfo, object, oldObject, dryRun, options).
 */
export function buildReview(input: { operation: Operation; object?: KubeObject | null; oldObject?: KubeObject | null; dryRun?: boolean; namespace?: string; name?: string }) {
  const obj = input.object ?? input.oldObject;
  const kindName = obj?.kind ?? 'Pod';
  const gvr = PLURALS[kindName];
  if (!gvr) throw new Error(`buildReview: unknown kind ${kindName}`);
  const gvk = { group: gvr.group, version: gvr.version, kind: kindName };
  const optionsKind = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions', CONNECT: 'ConnectOptions' }[input.operation];
  counter += 1;
  return {
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: input.name ?? obj?.metadata?.name ?? '',
      namespace: input.namespace ?? obj?.metadata?.namespace ?? 'default',
      operation: input.operation,
      userInfo: { username: 'admin', uid: 'uid-admin', groups: ['system:masters', 'system:authenticated'] },
      object: input.operation === 'DELETE' ? null : (input.object ?? null),
      oldObject: input.oldObject ?? null,
      dryRun: input.dryRun ?? false,
      options: { kind: optionsKind, apiVersion: 'meta.k8s.io/v1', ...(input.dryRun ? { dryRun: ['All'] } : {}) },
    },
  };
}
