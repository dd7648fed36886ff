import { Agent, Dispatcher } from 'undici';
import type { FileCertSource, CertMaterial } from './file-cert-source.ts';

export interface ReloadingAgentOptions {
  /** TCP+TLS connect timeout; default 5 s (spec §4.4). */
  connectTimeoutMs?: number;
  /** Override the TLS server name (SNI + hostname verification); default the URL host. */
  servername?: string;
  /** Keep-alive timeout for idle sockets; default 30 s. */
  keepAliveTimeoutMs?: number;
  /** Max sockets per origin; default unlimited. */
  connections?: number;
}

/**
 * An undici dispatcher for mTLS clients whose material comes from files: it presents the
 * client cert/key and trusts ONLY the CA bundle of the source (no system roots). When the files
 * change it builds a new `Agent` for new requests and closes the old one gracefully (in-flight
 * requests finish on it).
 *
 * @example
 * const source = new FileCertSource({ certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' });
 * await source.start();
 * const agent = new ReloadingAgent(source);
 * await fetch('https://authserver-internal/internal/token-exchange', { dispatcher: agent, method: 'POST', body });
 */
export class ReloadingAgent extends Dispatcher {
  #agent: Agent;
  readonly #options: ReloadingAgentOptions;
  readonly #unsubscribe: () => void;
  #generation = 1;

  constructor(source: FileCertSource, options: ReloadingAgentOptions = {}) {
    super();
    this.#options = options;
    this.#agent = this.#build(source.current());
    this.#unsubscribe = source.subscribe((material) => {
      const old = this.#agent;
      this.#agent = this.#build(material);
      this.#generation += 1;
      void old.close().catch(() => undefined);
    });
  }

  /** Number of Agents built so far (1 + number of rotations seen). */
  get generation(): number {
    return this.#generation;
  }

  #build(material: CertMaterial): Agent {
    if (!material.ca) throw new Error('internal error: ReloadingAgent needs a CA bundle (caFile) to trust');
    return new Agent({
      connect: {
        cert: material.cert,
        key: material.key,
        ca: material.ca,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        ...(this.#options.servername ? { servername: this.#options.servername } : {}),
      },
      connectTimeout: this.#options.connectTimeoutMs ?? 5_000,
      keepAliveTimeout: this.#options.keepAliveTimeoutMs ?? 30_000,
      ...(this.#options.connections ? { connections: this.#options.connections } : {}),
    });
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.#agent.dispatch(options, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#unsubscribe();
    const p = this.#agent.close();
    if (callback) {
      void p.then(callback, callback);
      return;
    }
    return p;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    this.#unsubscribe();
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const p = this.#agent.destroy(err);
    if (callback) {
      void p.then(callback, callback);
      return;
    }
    return p;
  }
}
