/**
 * The controller process: informers for our three kinds and the objects we own or read
 * (Certificates, Secrets, ConfigMaps, Deployments), an informer-backed {@link ClusterView}, the
 * work queue, the event → key mapping, and leader election so that only one replica acts.
 */
import { randomBytes } from 'node:crypto';
import { KubernetesObjectApi, makeInformer, type Informer, type KubeConfig, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { KubeApplier, toControllerError, type Applier } from './apply.ts';
import { checkCrdOwnership } from './check-crd-ownership.ts';
import type { ClusterView, WatchedKind } from './lib/cluster-view.ts';
import type { KubeObject, MCPExternalAuthConfig, MCPServer } from './lib/crd-types.ts';
import { authServerKeyOf } from './lib/resolve.ts';
import {
  API_VERSION,
  DEFAULT_SETTINGS,
  EXTERNAL_AUTH_CONFIG_LABEL,
  MCPAUTHSERVER_LABEL,
  MCPAUTHSERVER_NAMESPACE_LABEL,
  MCPSERVER_LABEL,
  type OperatorSettings,
} from './lib/names.ts';
import { LeaderElector } from './leader-election.ts';
import type { ReconcileContext } from './reconcile-context.ts';
import { reconcileMCPAuthServer } from './reconcile-mcpauthserver.ts';
import { reconcileMCPExternalAuthConfig } from './reconcile-mcpexternalauthconfig.ts';
import { reconcileMCPServer } from './reconcile-mcpserver.ts';
import { WorkQueue, type Timers } from './work-queue.ts';

interface KindInfo {
  apiVersion: string;
  kind: WatchedKind;
  plural: string;
}

const KINDS: KindInfo[] = [
  { apiVersion: API_VERSION, kind: 'MCPAuthServer', plural: 'mcpauthservers' },
  { apiVersion: API_VERSION, kind: 'MCPExternalAuthConfig', plural: 'mcpexternalauthconfigs' },
  { apiVersion: API_VERSION, kind: 'MCPServer', plural: 'mcpservers' },
  { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', plural: 'certificates' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
];

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  /** Watch and reconcile only this namespace (plus cert-manager's cluster-resource namespace). */
  namespace?: string;
  settings?: Partial<OperatorSettings>;
  leaderElection?: {
    enabled: boolean;
    namespace: string;
    name?: string;
    identity: string;
    leaseDurationSeconds?: number;
    retryPeriodMs?: number;
  };
  /** Skip the start-up CRD ownership check (spec §0); only for tests of other parts. */
  skipCrdCheck?: boolean;
  now?: () => Date;
  randomKey?: () => Buffer;
  resyncPeriodMs?: number;
  informerRestartDelayMs?: number;
  baseBackoffMs?: number;
  timers?: Timers;
  logger?: Logger;
  /** Called when this replica loses the lease (the CLI exits so a fresh process campaigns again). */
  onLostLeadership?: () => void;
  applier?: Applier;
}

type InformerState = 'starting' | 'synced' | 'not_served' | 'error';

interface WatchedInformer {
  info: KindInfo;
  namespace?: string;
  informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  state: InformerState;
  timer?: NodeJS.Timeout;
}

/**
 * @example
 * const controller = new Controller({ kubeConfig, leaderElection: { enabled: true, namespace: 'mcp-authserver-system', identity: hostname() } });
 * await controller.start();
 */
export class Controller {
  readonly #o: ControllerOptions;
  readonly #log: Logger;
  readonly #settings: OperatorSettings;
  readonly #applier: Applier;
  readonly #objects: KubernetesObjectApi;
  readonly #informers: WatchedInformer[] = [];
  readonly #queue: WorkQueue;
  readonly #ctx: ReconcileContext;
  #elector: LeaderElector | undefined;
  #stopped = false;
  #acting = false;
  #signatures = new Map<string, string>();

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.#log = options.logger ?? silent;
    this.#settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.#applier = options.applier ?? new KubeApplier(options.kubeConfig);
    this.#objects = KubernetesObjectApi.makeApiClient(options.kubeConfig);
    this.#ctx = {
      view: this.view,
      applier: this.#applier,
      settings: this.#settings,
      now: options.now ?? (() => new Date()),
      randomKey: options.randomKey ?? (() => randomBytes(32)),
      logger: this.#log,
    };
    this.#queue = new WorkQueue({
      handler: (key) => this.#reconcile(key),
      resyncPeriodMs: options.resyncPeriodMs ?? 10 * 60_000,
      baseBackoffMs: options.baseBackoffMs,
      timers: options.timers,
      onError: (key, err, retryInMs) =>
        this.#log.warn({ key, retryInMs, err: err instanceof Error ? err.message : String(err) }, 'reconcile failed; retrying with backoff'),
    });
  }

  /** The informer caches as the reconcilers see them. */
  readonly view: ClusterView = {
    get: <T>(kind: WatchedKind, namespace: string | undefined, name: string): T | undefined => {
      for (const w of this.#informers) {
        if (w.info.kind !== kind) continue;
        const o = w.informer.get(name, namespace);
        if (o) return o as T;
      }
      return undefined;
    },
    list: <T>(kind: WatchedKind, namespace?: string): T[] => {
      const seen = new Set<string>();
      const out: T[] = [];
      for (const w of this.#informers) {
        if (w.info.kind !== kind) continue;
        for (const o of w.informer.list(namespace)) {
          const k = `${o.metadata?.namespace}/${o.metadata?.name}`;
          if (!seen.has(k)) {
            seen.add(k);
            out.push(o as T);
          }
        }
      }
      return out;
    },
    served: (kind: WatchedKind): boolean => this.#informers.filter((w) => w.info.kind === kind).every((w) => w.state !== 'not_served'),
  };

  get queue(): WorkQueue {
    return this.#queue;
  }

  get isLeader(): boolean {
    return this.#acting;
  }

  /** Informers synced (or known not served) and the CRDs checked: what `/readyz` reports. */
  ready(): boolean {
    return this.#informers.length > 0 && this.#informers.every((w) => w.state === 'synced' || w.state === 'not_served');
  }

  /**
   * Checks the CRDs (spec §0), starts the informers and waits for their first list, then either
   * acts right away or campaigns for the Lease first.
   */
  async start(): Promise<void> {
    if (!this.#o.skipCrdCheck) await checkCrdOwnership(this.#applier);
    const namespaces = this.#o.namespace ? [...new Set([this.#o.namespace, this.#settings.clusterResourceNamespace])] : [undefined];
    for (const info of KINDS) {
      const scopes = info.kind === 'Certificate' || info.kind === 'Secret' ? namespaces : this.#o.namespace ? [this.#o.namespace] : [undefined];
      for (const ns of scopes) this.#informers.push(this.#makeInformer(info, ns));
    }
    await Promise.all(this.#informers.map((w) => this.#startInformer(w)));
    const le = this.#o.leaderElection;
    if (le?.enabled) {
      this.#elector = new LeaderElector(this.#o.kubeConfig, {
        namespace: le.namespace,
        name: le.name ?? 'mcp-authserver-controller',
        identity: le.identity,
        leaseDurationSeconds: le.leaseDurationSeconds,
        retryPeriodMs: le.retryPeriodMs,
        now: this.#o.now,
        onStartedLeading: () => this.#startActing(),
        onStoppedLeading: async () => {
          await this.#stopActing();
          if (!this.#stopped) this.#o.onLostLeadership?.();
        },
        onError: (err) => this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'leader election'),
      });
      this.#elector.start();
    } else {
      this.#startActing();
    }
  }

  /** Stops; a leader hands the Lease back unless `releaseLease: false` (used to simulate a crash). */
  async stop(options: { releaseLease?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    await this.#elector?.stop({ release: options.releaseLease ?? true });
    await this.#stopActing();
    for (const w of this.#informers) {
      if (w.timer) clearTimeout(w.timer);
      await w.informer.stop();
    }
  }

  #startActing(): void {
    if (this.#acting || this.#stopped) return;
    this.#acting = true;
    this.#log.info({}, 'acting as leader: reconciling');
    this.#queue.start();
    for (const kind of ['MCPAuthServer', 'MCPExternalAuthConfig', 'MCPServer'] as const) {
      for (const o of this.view.list<KubeObject>(kind)) this.#queue.add(`${kind}/${o.metadata.namespace}/${o.metadata.name}`);
    }
  }

  async #stopActing(): Promise<void> {
    if (!this.#acting) return;
    this.#acting = false;
    await this.#queue.stop();
  }

  async #reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    if (!this.#acting) return;
    const [kind, namespace, name] = key.split('/') as [string, string, string];
    switch (kind) {
      case 'MCPAuthServer':
        return reconcileMCPAuthServer(this.#ctx, namespace, name);
      case 'MCPExternalAuthConfig':
        return reconcileMCPExternalAuthConfig(this.#ctx, namespace, name);
      case 'MCPServer':
        return reconcileMCPServer(this.#ctx, namespace, name);
      default:
        throw new Error(`internal error: unknown queue key ${key}`);
    }
  }

  #makeInformer(info: KindInfo, namespace: string | undefined): WatchedInformer {
    const [group, version] = info.apiVersion.includes('/') ? info.apiVersion.split('/') : ['', info.apiVersion];
    const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const path = namespace ? `${base}/namespaces/${namespace}/${info.plural}` : `${base}/${info.plural}`;
    const list = async () => {
      const result = await this.#objects.list(info.apiVersion, info.kind, namespace);
      const items = (JSON.parse(JSON.stringify(result.items)) as KubernetesObject[]).map((i) => ({ ...i, apiVersion: info.apiVersion, kind: info.kind }));
      return { ...result, items };
    };
    const informer = makeInformer<KubernetesObject>(this.#o.kubeConfig, path, list);
    const w: WatchedInformer = { info, namespace, informer, state: 'starting' };
    const onChange = (obj: KubernetesObject) => this.#onEvent(info.kind, obj as KubeObject);
    informer.on('add', onChange);
    informer.on('update', onChange);
    informer.on('delete', (obj) => this.#onEvent(info.kind, obj as KubeObject, true));
    informer.on('error', (err: unknown) => {
      const e = toControllerError(err, `list/watch ${info.kind}`);
      const notServed = e.code === 'kind_not_served' || e.status === 404;
      const wasServed = w.state !== 'not_served';
      w.state = notServed ? 'not_served' : 'error';
      if (notServed && wasServed) {
        this.#log.warn({ kind: info.kind }, `${info.kind} is not served by the API server${info.kind === 'Certificate' ? ' (cert-manager is not installed)' : ''}`);
        this.#enqueueAll();
      } else if (!notServed) {
        this.#log.warn({ kind: info.kind, err: e.message }, 'informer failed; restarting');
      }
      if (this.#stopped) return;
      const delay = notServed ? Math.max(this.#o.informerRestartDelayMs ?? 5_000, 1) * 6 : (this.#o.informerRestartDelayMs ?? 5_000);
      w.timer = setTimeout(() => void this.#startInformer(w), delay);
      w.timer.unref?.();
    });
    return w;
  }

  async #startInformer(w: WatchedInformer): Promise<void> {
    if (this.#stopped) return;
    const wasNotServed = w.state === 'not_served';
    let failed = false;
    const onError = () => {
      failed = true;
    };
    // ListWatch reports a failed list through its error callbacks before start() resolves.
    w.informer.on('error', onError);
    await w.informer.start();
    w.informer.off('error', onError);
    // client-node's ListWatch does not look at stop() again once its list is in flight: a watch it
    // opened after stop() is closed here (it would keep a stopped controller's process alive).
    if (this.#stopped) {
      await w.informer.stop();
      return;
    }
    if (failed) return;
    w.state = 'synced';
    if (wasNotServed) {
      this.#log.info({ kind: w.info.kind }, `${w.info.kind} is served now`);
      this.#enqueueAll();
    }
  }

  #enqueueAll(): void {
    if (!this.#acting) return;
    for (const kind of ['MCPAuthServer', 'MCPExternalAuthConfig', 'MCPServer'] as const) {
      for (const o of this.view.list<KubeObject>(kind)) this.#queue.add(`${kind}/${o.metadata.namespace}/${o.metadata.name}`);
    }
  }

  /** Maps a watch event to the keys whose desired state or status may depend on the object. */
  #onEvent(kind: WatchedKind, obj: KubeObject, deleted = false): void {
    if (!this.#acting || !obj.metadata) return;
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name;
    const add = (k: string, n: string | undefined, nm: string) => this.#queue.add(`${k}/${n}/${nm}`);
    const sigKey = `${kind}/${ns}/${name}`;
    const signature = JSON.stringify([obj.metadata.generation, obj.metadata.deletionTimestamp, obj.metadata.finalizers, obj.metadata.labels]);
    const fanOut = deleted || this.#signatures.get(sigKey) !== signature;
    if (deleted) this.#signatures.delete(sigKey);
    else this.#signatures.set(sigKey, signature);
    const clusterDomain = this.#settings.clusterDomain;
    const authServerConfigs = () => this.view.list<MCPExternalAuthConfig>('MCPExternalAuthConfig').filter((c) => c.spec?.type === 'authServer');
    const serversOf = (cfg: MCPExternalAuthConfig) =>
      this.view.list<MCPServer>('MCPServer', cfg.metadata.namespace).filter((s) => s.spec?.externalAuthConfigRef?.name === cfg.metadata.name);
    const dependentsOfAuthServer = (asNs: string, asName: string) => {
      for (const cfg of authServerConfigs()) {
        const key = authServerKeyOf(cfg, clusterDomain);
        if (key?.namespace !== asNs || key.name !== asName) continue;
        add('MCPExternalAuthConfig', cfg.metadata.namespace, cfg.metadata.name);
        for (const s of serversOf(cfg)) add('MCPServer', s.metadata.namespace, s.metadata.name);
      }
    };
    switch (kind) {
      case 'MCPAuthServer':
        if (deleted) this.#queue.forget(`MCPAuthServer/${ns}/${name}`);
        else add('MCPAuthServer', ns, name);
        if (fanOut) dependentsOfAuthServer(ns, name);
        return;
      case 'MCPExternalAuthConfig': {
        const cfg = obj as unknown as MCPExternalAuthConfig;
        if (deleted) this.#queue.forget(`MCPExternalAuthConfig/${ns}/${name}`);
        else add('MCPExternalAuthConfig', ns, name);
        if (!fanOut) return;
        for (const s of serversOf(cfg)) add('MCPServer', s.metadata.namespace, s.metadata.name);
        const key = authServerKeyOf(cfg, clusterDomain);
        if (key) add('MCPAuthServer', key.namespace, key.name);
        return;
      }
      case 'MCPServer': {
        const srv = obj as unknown as MCPServer;
        if (deleted) this.#queue.forget(`MCPServer/${ns}/${name}`);
        else add('MCPServer', ns, name);
        if (!fanOut) return;
        const ref = srv.spec?.externalAuthConfigRef?.name;
        if (!ref) return;
        add('MCPExternalAuthConfig', ns, ref);
        const cfg = this.view.get<MCPExternalAuthConfig>('MCPExternalAuthConfig', ns, ref);
        const key = cfg ? authServerKeyOf(cfg, clusterDomain) : null;
        if (key) {
          add('MCPAuthServer', key.namespace, key.name);
          // A conflict loser becomes the holder when the winner goes: recheck every server of this auth server.
          dependentsOfAuthServer(key.namespace, key.name);
        }
        return;
      }
      default: {
        const labels = obj.metadata.labels ?? {};
        const asName = labels[MCPAUTHSERVER_LABEL];
        if (asName) {
          const asNs = labels[MCPAUTHSERVER_NAMESPACE_LABEL] ?? ns;
          add('MCPAuthServer', asNs, asName);
          if (kind === 'Secret' || kind === 'Certificate') dependentsOfAuthServer(asNs, asName);
        }
        const cfgName = labels[EXTERNAL_AUTH_CONFIG_LABEL];
        if (cfgName) add('MCPExternalAuthConfig', ns, cfgName);
        const srvName = labels[MCPSERVER_LABEL];
        if (srvName && (kind === 'Deployment' || kind === 'Certificate')) add('MCPServer', ns, srvName);
        // Unlabelled Secrets/ConfigMaps (signing keys, client secrets, CA bundles) are referenced by
        // name from specs in the same namespace: recheck those objects.
        if (!asName && !cfgName && (kind === 'Secret' || kind === 'ConfigMap')) {
          for (const o of this.view.list<KubeObject>('MCPAuthServer', ns)) add('MCPAuthServer', ns, o.metadata.name);
          if (kind === 'Secret') for (const o of this.view.list<KubeObject>('MCPExternalAuthConfig', ns)) add('MCPExternalAuthConfig', ns, o.metadata.name);
        }
      }
    }
  }
}
