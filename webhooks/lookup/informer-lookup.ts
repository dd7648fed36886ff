import { CustomObjectsApi, makeInformer, type KubeConfig, type ListWatch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeObject } from '../framework/types.ts';
import type { InjectionLookup } from './injection-lookup.ts';

const GROUP = 'toolhive.stacklok.dev';
const VERSION = 'v1alpha1';

export interface InformerLookupOptions {
  kubeConfig: KubeConfig;
  /** Watch one namespace only; default all namespaces. */
  namespace?: string;
  /** Delay before a failed list/watch is restarted; default 5 s. */
  restartDelayMs?: number;
  logger?: Logger;
}

export interface InformerLookup extends InjectionLookup {
  /** Starts the three informers; resolves when each has made its first list attempt. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * {@link InjectionLookup} backed by `@kubernetes/client-node` informers (list + watch) on
 * mcpservers, mcpexternalauthconfigs and mcpauthservers. `synced()` turns true once all three
 * have listed successfully and stays true across watch restarts (the cache is kept, as
 * controller-runtime's HasSynced does). A failed list or dropped watch is retried after
 * `restartDelayMs`; the apiserver's 410 Gone makes the informer re-list by itself.
 *
 * @example
 * const kc = new KubeConfig(); kc.loadFromDefault();
 * const lookup = createInformerLookup({ kubeConfig: kc });
 * await lookup.start();
 */
export function createInformerLookup(options: InformerLookupOptions): InformerLookup {
  const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
  const restartDelayMs = options.restartDelayMs ?? 5_000;
  const ns = options.namespace;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();

  const make = (plural: string) => {
    const path = ns ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${plural}` : `/apis/${GROUP}/${VERSION}/${plural}`;
    const list = () =>
      (ns
        ? api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural })
        : api.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as Promise<KubernetesListObject<KubernetesObject>>;
    // makeInformer builds a ListWatch; its latestResourceVersion() tells a successful list apart.
    const informer = makeInformer<KubernetesObject>(options.kubeConfig, path, list) as unknown as ListWatch<KubernetesObject>;
    const state = { plural, informer, synced: false };
    informer.on('error', (err: unknown) => {
      if (stopped) return;
      options.logger?.warn({ plural, err: describeError(err) }, 'informer list/watch failed; restarting');
      const timer = setTimeout(() => {
        timers.delete(timer);
        void startOne(state);
      }, restartDelayMs);
      timer.unref();
      timers.add(timer);
    });
    return state;
  };
  const startOne = async (state: ReturnType<typeof make>) => {
    if (stopped) return;
    await state.informer.start();
    // client-node's ListWatch does not look at stop() again once its list is in flight, so a
    // close() during the list is followed by a watch: close that one too (it kept a process
    // that had failed to start alive).
    if (stopped) {
      await state.informer.stop();
      return;
    }
    // start() resolves after the list and the watch request; an empty resourceVersion means the list failed.
    if (state.informer.latestResourceVersion() !== '' && !state.synced) {
      state.synced = true;
      options.logger?.info({ plural: state.plural }, 'informer cache synced');
    }
  };

  const servers = make('mcpservers');
  const configs = make('mcpexternalauthconfigs');
  const authServers = make('mcpauthservers');
  const all = [servers, configs, authServers];
  const get = (state: typeof servers, namespace: string, name: string) => state.informer.get(name, namespace) as KubeObject | undefined;

  return {
    getMCPServer: (namespace, name) => get(servers, namespace, name),
    getExternalAuthConfig: (namespace, name) => get(configs, namespace, name),
    getMCPAuthServer: (namespace, name) => get(authServers, namespace, name),
    synced: () => all.every((s) => s.synced),
    async start() {
      await Promise.all(all.map((s) => startOne(s)));
    },
    async close() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(all.map((s) => s.informer.stop()));
    },
  };
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'object' && err !== null && 'code' in err ? `code ${String((err as { code: unknown }).code)}` : String(err);
}
