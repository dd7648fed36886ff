import type { Applier } from './apply.ts';
import type { ClusterView } from './lib/cluster-view.ts';
import type { KubeObject } from './lib/crd-types.ts';
import type { OperatorSettings } from './lib/names.ts';
import { stableStringify } from './lib/stable-json.ts';

/** What every reconciler gets: the cached cluster state, the writer, settings and a clock. */
export interface ReconcileContext {
  view: ClusterView;
  applier: Applier;
  settings: OperatorSettings;
  now: () => Date;
  /** 32 random bytes for a generated encryption key (injected so tests can check it is used once). */
  randomKey: () => Buffer;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** Requeue period while waiting for something outside our control (certificates, rollout). */
export const PENDING_REQUEUE_MS = 10_000;
/** Requeue period while cert-manager is not installed. */
export const MISSING_DEPENDENCY_REQUEUE_MS = 30_000;

/**
 * Writes `status` through the status subresource unless it is unchanged, so a status write
 * (which triggers a watch event and another reconcile) converges instead of looping.
 * `build` derives the new status from the previous one (condition transition times); when the
 * cached object looks out of date the previous status is re-read from the API server, so a
 * stale cache never resets `lastTransitionTime`.
 */
export async function writeStatusIfChanged(ctx: ReconcileContext, obj: KubeObject, plural: string, build: (previous: Record<string, unknown> | undefined) => object): Promise<boolean> {
  const cached = obj.status as Record<string, unknown> | undefined;
  if (stableStringify(cached ?? {}) === stableStringify(build(cached))) return false;
  const fresh = await ctx.applier.get({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
  if (!fresh) return false;
  const previous = fresh.status as Record<string, unknown> | undefined;
  const status = build(previous);
  if (stableStringify(previous ?? {}) === stableStringify(status)) return false;
  await ctx.applier.applyStatus(fresh, plural, status);
  return true;
}
