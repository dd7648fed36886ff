/**
 * Leader election over a `coordination.k8s.io/v1` Lease, so two controller replicas never both
 * act (client-go's leaderelection, reduced to what we need). The decision is a pure function of
 * the current Lease, our identity and the clock; the elector only reads/creates/replaces the Lease
 * with optimistic concurrency (a 409 means someone else won the race: we are not leader).
 */
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { toControllerError } from './apply.ts';

export interface LeaseState {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export type LeaseDecision =
  | { action: 'create'; spec: LeaseState }
  | { action: 'renew'; spec: LeaseState }
  | { action: 'takeover'; spec: LeaseState }
  | { action: 'wait'; holder: string; expiresAt: Date };

/**
 * What to do with the Lease: create it, renew ours, take over an expired one, or wait.
 * The lease expires `leaseDurationSeconds` after its `renewTime` (our own duration if unset).
 *
 * @example
 * decideLease(null, 'pod-a', now, 15).action // 'create'
 */
export function decideLease(current: LeaseState | null, identity: string, now: Date, leaseDurationSeconds: number): LeaseDecision {
  const stamp = now.toISOString();
  const fresh = { holderIdentity: identity, leaseDurationSeconds, acquireTime: stamp, renewTime: stamp };
  if (current === null) return { action: 'create', spec: { ...fresh, leaseTransitions: 0 } };
  if (current.holderIdentity === identity) {
    return { action: 'renew', spec: { ...current, leaseDurationSeconds, renewTime: stamp } };
  }
  const holder = current.holderIdentity ?? '';
  const renewed = current.renewTime ? Date.parse(current.renewTime) : 0;
  const expiresAt = new Date(renewed + (current.leaseDurationSeconds ?? leaseDurationSeconds) * 1000);
  if (holder === '' || expiresAt.getTime() <= now.getTime()) {
    return { action: 'takeover', spec: { ...fresh, leaseTransitions: (current.leaseTransitions ?? 0) + 1 } };
  }
  return { action: 'wait', holder, expiresAt };
}

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  /** How often the leader renews and candidates retry. */
  retryPeriodMs?: number;
  now?: () => Date;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  onError?: (err: unknown) => void;
}

/**
 * @example
 * const elector = new LeaderElector(kc, { namespace: 'mcp-authserver-system', name: 'mcp-authserver-controller',
 *   identity: hostname(), onStartedLeading: () => manager.start(), onStoppedLeading: () => process.exit(1) });
 * elector.start();
 */
export class LeaderElector {
  readonly #api: CoordinationV1Api;
  readonly #o: Required<Omit<LeaderElectorOptions, 'onError'>> & Pick<LeaderElectorOptions, 'onError'>;
  #leading = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #lastRenew = 0;
  #tick: Promise<void> = Promise.resolve();

  constructor(kc: KubeConfig, options: LeaderElectorOptions) {
    this.#api = kc.makeApiClient(CoordinationV1Api);
    this.#o = {
      ...options,
      leaseDurationSeconds: options.leaseDurationSeconds ?? 15,
      retryPeriodMs: options.retryPeriodMs ?? 2000,
      now: options.now ?? (() => new Date()),
    };
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops campaigning; a leader gives the Lease up (empty holder) so a successor need not wait for expiry. */
  async stop(options: { release?: boolean } = { release: true }): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#tick;
    if (this.#leading) {
      if (options.release) await this.#release().catch((err) => this.#o.onError?.(err));
      await this.#setLeading(false);
    }
  }

  /** One acquire/renew attempt; returns whether we lead afterwards. Exposed for tests. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#o.now();
    let current: V1Lease | null = null;
    try {
      current = await this.#api.readNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace });
    } catch (err) {
      const e = toControllerError(err, `lease ${this.#o.namespace}/${this.#o.name}`);
      if (e.code !== 'not_found') throw e;
    }
    const decision = decideLease(current ? toState(current) : null, this.#o.identity, now, this.#o.leaseDurationSeconds);
    if (decision.action === 'wait') return false;
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: current?.metadata ? { ...current.metadata, name: this.#o.name, namespace: this.#o.namespace } : { name: this.#o.name, namespace: this.#o.namespace },
      spec: fromState(decision.spec),
    };
    try {
      if (decision.action === 'create') await this.#api.createNamespacedLease({ namespace: this.#o.namespace, body });
      else await this.#api.replaceNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace, body });
    } catch (err) {
      const e = toControllerError(err, `lease ${this.#o.namespace}/${this.#o.name}`);
      if (e.code === 'conflict') return false;
      throw e;
    }
    this.#lastRenew = now.getTime();
    return true;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#step().finally(() => this.#schedule(this.#o.retryPeriodMs));
    }, ms);
    this.#timer.unref?.();
  }

  async #step(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.#o.onError?.(err);
    }
    if (this.#stopped) return;
    if (ok) {
      await this.#setLeading(true);
    } else if (this.#leading) {
      // A leader that cannot renew steps down before its lease can expire elsewhere.
      const sinceRenewMs = this.#o.now().getTime() - this.#lastRenew;
      if (sinceRenewMs >= (this.#o.leaseDurationSeconds * 1000 * 2) / 3) await this.#setLeading(false);
    }
  }

  async #setLeading(leading: boolean): Promise<void> {
    if (leading === this.#leading) return;
    this.#leading = leading;
    if (leading) await this.#o.onStartedLeading();
    else await this.#o.onStoppedLeading();
  }

  async #release(): Promise<void> {
    const current = await this.#api.readNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace });
    if (current.spec?.holderIdentity !== this.#o.identity) return;
    await this.#api.replaceNamespacedLease({
      name: this.#o.name,
      namespace: this.#o.namespace,
      body: { ...current, spec: { ...current.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined } },
    });
  }
}

function toState(lease: V1Lease): LeaseState {
  const s = lease.spec ?? {};
  const time = (t: unknown) => (t instanceof Date ? t.toISOString() : typeof t === 'string' ? t : undefined);
  return {
    holderIdentity: s.holderIdentity,
    leaseDurationSeconds: s.leaseDurationSeconds,
    acquireTime: time(s.acquireTime),
    renewTime: time(s.renewTime),
    leaseTransitions: s.leaseTransitions,
  };
}

function fromState(s: LeaseState): V1Lease['spec'] {
  return {
    holderIdentity: s.holderIdentity,
    leaseDurationSeconds: s.leaseDurationSeconds,
    acquireTime: s.acquireTime ? new V1MicroTime(s.acquireTime) : undefined,
    renewTime: s.renewTime ? new V1MicroTime(s.renewTime) : undefined,
    leaseTransitions: s.leaseTransitions,
  };
}
