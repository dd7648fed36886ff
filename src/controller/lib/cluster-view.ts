/**
 * The reconcilers' read side: objects from the informer caches (never a live GET per reconcile),
 * plus whether a kind is served at all (cert-manager may be missing).
 */
import type { KubeObject } from './crd-types.ts';

export type WatchedKind = 'MCPAuthServer' | 'MCPExternalAuthConfig' | 'MCPServer' | 'Certificate' | 'Secret' | 'ConfigMap' | 'Deployment';

export interface ClusterView {
  get<T = KubeObject>(kind: WatchedKind, namespace: string | undefined, name: string): T | undefined;
  list<T = KubeObject>(kind: WatchedKind, namespace?: string): T[];
  /** False while the kind's API is not served (e.g. cert-manager CRDs absent). */
  served(kind: WatchedKind): boolean;
}

/** Map-backed view, for unit tests of the reconcilers and for dry runs. */
export function staticView(objects: KubeObject[], unserved: WatchedKind[] = []): ClusterView {
  return {
    get<T>(kind: WatchedKind, namespace: string | undefined, name: string) {
      return objects.find((o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? undefined) === namespace) as T | undefined;
    },
    list<T>(kind: WatchedKind, namespace?: string) {
      return objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace)) as T[];
    },
    served: (kind) => !unserved.includes(kind),
  };
}

/** `status.conditions[type=Ready].status == "True"` (cert-manager Certificates). */
export function isConditionTrue(obj: KubeObject | undefined, type: string): boolean {
  const conditions = (obj?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === type && c.status === 'True');
}

/** Message of a status condition, for "what cert-manager says" in our own messages. */
export function conditionMessage(obj: KubeObject | undefined, type: string): string | undefined {
  const conditions = (obj?.status as { conditions?: { type: string; status: string; message?: string }[] } | undefined)?.conditions ?? [];
  return conditions.find((c) => c.type === type)?.message;
}

/** Decoded value of a Secret key, or undefined. */
export function secretValue(secret: KubeObject | undefined, key: string): Buffer | undefined {
  const data = secret?.data as Record<string, string> | undefined;
  const value = data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64');
}

/** A ConfigMap `data` value, or undefined. */
export function configMapValue(cm: KubeObject | undefined, key: string): string | undefined {
  return (cm?.data as Record<string, string> | undefined)?.[key];
}
