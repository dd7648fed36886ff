import type { KubeObject, OwnerReference } from '../lib/crd-types.ts';

/**
 * The controller ownerReference a namespaced child carries, so Kubernetes' garbage collector
 * removes it with its owner (spec §4 naming conventions).
 *
 * @example
 * controllerRef(mcpAuthServer) // {apiVersion, kind: 'MCPAuthServer', name, uid, controller: true, blockOwnerDeletion: true}
 */
export function controllerRef(owner: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): OwnerReference {
  if (!owner.metadata.uid) throw new Error(`internal error: ${owner.kind} ${owner.metadata.name} has no uid`);
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
