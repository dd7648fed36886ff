/**
 * The thin layer that talks to the Kubernetes API (conventions §10): server-side apply with
 * one field manager, reads, deletes, label-selected pruning, finalizers and the status
 * subresource. Everything goes through `@kubernetes/client-node`; failures become
 * {@link ControllerError}s with a stable code, and the reconcilers turn them into conditions.
 */
import {
  ApiException,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { KubeObject } from './lib/crd-types.ts';
import { ControllerError } from './lib/errors.ts';
import { FIELD_MANAGER } from './lib/names.ts';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** What the reconcilers need from the API; {@link KubeApplier} is the real one. */
export interface Applier {
  /** Server-side apply; `force` takes over fields another manager set (only for objects we own). */
  apply(obj: KubeObject, options?: { force?: boolean }): Promise<KubeObject>;
  /** Creates the object unless it exists; returns false when it already existed. Never overwrites. */
  createIfAbsent(obj: KubeObject): Promise<boolean>;
  get(ref: ObjectRef): Promise<KubeObject | null>;
  list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string): Promise<KubeObject[]>;
  /** Deletes; returns false when it was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;
  /** Deletes every object of a kind matching the selector whose name is not in `keep`. */
  prune(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string, keep: ReadonlySet<string>): Promise<string[]>;
  /** Writes `status` through the status subresource (server-side apply, our field manager). */
  applyStatus(obj: KubeObject, plural: string, status: unknown): Promise<void>;
  /** Sets `metadata.finalizers` with optimistic concurrency on `resourceVersion`. */
  setFinalizers(obj: KubeObject, finalizers: string[]): Promise<KubeObject>;
}

function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Maps client-node failures to {@link ControllerError}; `what` names the object for the message. */
export function toControllerError(err: unknown, what: string): ControllerError {
  if (err instanceof ControllerError) return err;
  const status = err instanceof ApiException ? Number(err.code) : undefined;
  const body = err instanceof ApiException ? (err.body as { message?: string } | string | undefined) : undefined;
  const apiMessage = typeof body === 'string' ? safeMessage(body) : body?.message;
  const text = err instanceof Error ? err.message : String(err);
  if (/Unrecognized API version and kind|Failed to fetch resource metadata/.test(text) && (status === 404 || status === undefined)) {
    return new ControllerError('kind_not_served', `${what}: the API server does not serve this kind`, status);
  }
  if (status === 404) return new ControllerError('not_found', `${what}: not found`, 404);
  if (status === 409) return new ControllerError('conflict', `${what}: conflict${apiMessage ? `: ${apiMessage}` : ''}`, 409);
  if (status !== undefined) return new ControllerError('api_error', `${what}: API error ${status}${apiMessage ? `: ${apiMessage}` : ''}`, status);
  return new ControllerError('api_error', `${what}: ${firstLine(text)}`);
}

function safeMessage(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { message?: string }).message;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

function describe(ref: { kind: string; namespace?: string; name: string }): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

function header(ref: ObjectRef): KubernetesObject & { metadata: { name: string; namespace?: string } } {
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
}

/**
 * {@link Applier} over `@kubernetes/client-node` 1.4.
 *
 * @example
 * const applier = new KubeApplier(kubeConfig);
 * await applier.apply(serverCertificate(as, settings));
 */
export class KubeApplier implements Applier {
  readonly #objects: KubernetesObjectApi;
  readonly #custom: CustomObjectsApi;
  readonly #fieldManager: string;

  constructor(kc: KubeConfig, options: { fieldManager?: string } = {}) {
    this.#objects = KubernetesObjectApi.makeApiClient(kc);
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#fieldManager = options.fieldManager ?? FIELD_MANAGER;
  }

  async apply(obj: KubeObject, options: { force?: boolean } = {}): Promise<KubeObject> {
    try {
      const body = plain(obj) as KubernetesObject;
      const result = await this.#objects.patch(body, undefined, undefined, this.#fieldManager, options.force ?? true, PatchStrategy.ServerSideApply);
      return plain(result) as KubeObject;
    } catch (err) {
      throw toControllerError(err, `apply ${describe({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name })}`);
    }
  }

  async createIfAbsent(obj: KubeObject): Promise<boolean> {
    try {
      await this.#objects.create(plain(obj) as KubernetesObject, undefined, undefined, this.#fieldManager);
      return true;
    } catch (err) {
      const e = toControllerError(err, `create ${describe({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name })}`);
      if (e.code === 'conflict') return false;
      throw e;
    }
  }

  async get(ref: ObjectRef): Promise<KubeObject | null> {
    try {
      return plain(await this.#objects.read(header(ref))) as KubeObject;
    } catch (err) {
      const e = toControllerError(err, `get ${describe(ref)}`);
      if (e.code === 'not_found') return null;
      throw e;
    }
  }

  async list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string): Promise<KubeObject[]> {
    try {
      const list = await this.#objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
      return plain(list.items).map((item) => ({ ...item, apiVersion, kind }) as KubeObject);
    } catch (err) {
      throw toControllerError(err, `list ${kind}${namespace ? ` in ${namespace}` : ''}`);
    }
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await this.#objects.delete(header(ref), undefined, undefined, undefined, undefined, 'Background');
      return true;
    } catch (err) {
      const e = toControllerError(err, `delete ${describe(ref)}`);
      if (e.code === 'not_found') return false;
      throw e;
    }
  }

  async prune(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string, keep: ReadonlySet<string>): Promise<string[]> {
    const deleted: string[] = [];
    for (const item of await this.list(apiVersion, kind, namespace, labelSelector)) {
      if (keep.has(item.metadata.name)) continue;
      if (await this.delete({ apiVersion, kind, namespace: item.metadata.namespace, name: item.metadata.name })) deleted.push(item.metadata.name);
    }
    return deleted;
  }

  async applyStatus(obj: KubeObject, plural: string, status: unknown): Promise<void> {
    const [group, version] = obj.apiVersion.split('/') as [string, string];
    try {
      await this.#custom.patchNamespacedCustomObjectStatus(
        {
          group,
          version,
          namespace: obj.metadata.namespace!,
          plural,
          name: obj.metadata.name,
          body: { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace }, status: plain(status) },
          fieldManager: this.#fieldManager,
          force: true,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    } catch (err) {
      throw toControllerError(err, `status of ${describe({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name })}`);
    }
  }

  async setFinalizers(obj: KubeObject, finalizers: string[]): Promise<KubeObject> {
    const patch = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, resourceVersion: obj.metadata.resourceVersion, finalizers },
    };
    try {
      return plain(await this.#objects.patch(patch as KubernetesObject, undefined, undefined, this.#fieldManager, undefined, PatchStrategy.MergePatch)) as KubeObject;
    } catch (err) {
      throw toControllerError(err, `finalizers of ${describe({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name })}`);
    }
  }
}
