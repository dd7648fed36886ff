import { readFile } from 'node:fs/promises';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import type { SecureContextOptions, Server as TlsServer } from 'node:tls';
import { secureContextOptions } from './lib/secure-context.ts';
import { PkiError } from './types.ts';

/** One consistent set of TLS material read from the mounted files. */
export interface CertMaterial {
  cert: Buffer;
  key: Buffer;
  /** CA bundle (PEM, one or more certificates), when a CA file is configured. */
  ca?: Buffer;
  /** Increments on every change; 1 after the first load. */
  version: number;
  /** Leaf certificate expiry, epoch ms. */
  notAfterMs: number;
}

export interface FileCertSourceOptions {
  certFile: string;
  keyFile: string;
  caFile?: string;
  /** Poll interval; default 10 s (spec §2.0: at least every 60 s). Tests use ~50 ms or call reload(). */
  pollIntervalMs?: number;
  /** Called on every failed reload (the last good material stays in use). Never gets key bytes. */
  onError?: (err: PkiError) => void;
}

type Listener = (material: CertMaterial) => void;

const DEFAULT_POLL_INTERVAL_MS = 10_000;

/**
 * Watches a certificate, its key and optionally a CA bundle on disk (cert-manager rotates
 * Secrets/ConfigMaps in place) by polling and comparing bytes. A change is validated (cert and
 * key parse and match, CA parses) before it is published; an unreadable or invalid new file keeps
 * the last good material and counts a failure.
 *
 * @example
 * const source = new FileCertSource({ certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' });
 * await source.start();           // throws PkiError when the first load fails
 * source.subscribe((m) => console.log('rotated to version', m.version));
 * source.stop();
 */
export class FileCertSource {
  readonly #options: FileCertSourceOptions;
  #material: CertMaterial | undefined;
  #listeners = new Set<Listener>();
  #timer: NodeJS.Timeout | undefined;
  #reloading: Promise<boolean> | undefined;
  #consecutiveFailures = 0;
  #totalFailures = 0;

  constructor(options: FileCertSourceOptions) {
    if (!options.certFile || !options.keyFile) throw new PkiError('read_failed', 'certFile and keyFile are required');
    this.#options = options;
  }

  /** Loads the files (throws PkiError on failure) and starts polling. */
  async start(): Promise<CertMaterial> {
    await this.#load(true);
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.reload(), this.#options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
      this.#timer.unref();
    }
    return this.current();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The last good material; throws when nothing was loaded yet. */
  current(): CertMaterial {
    if (!this.#material) throw new PkiError('not_loaded', 'certificate files not loaded yet');
    return this.#material;
  }

  /** True once material was loaded (for /readyz). */
  get loaded(): boolean {
    return this.#material !== undefined;
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  get totalFailures(): number {
    return this.#totalFailures;
  }

  /** Registers a change listener; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Calls `server.setSecureContext()` with the new cert/key/CA on every change (same as
   * `serveTlsFromFiles(server, this)`); returns the detach function.
   */
  attachToServer(server: TlsServer | HttpsServer, base: SecureContextOptions = {}): () => void {
    const unsubscribe = this.subscribe((material) => server.setSecureContext(secureContextOptions(material, base)));
    server.once('close', unsubscribe);
    return unsubscribe;
  }

  /** Re-reads the files now; resolves true when new material was published. Never throws. */
  reload(): Promise<boolean> {
    this.#reloading ??= this.#load(false)
      .catch(() => false)
      .finally(() => {
        this.#reloading = undefined;
      });
    return this.#reloading;
  }

  async #load(initial: boolean): Promise<boolean> {
    let next: Omit<CertMaterial, 'version'>;
    try {
      next = await this.#readAndValidate();
    } catch (err) {
      const pkiErr = err instanceof PkiError ? err : new PkiError('read_failed', 'reading certificate files failed');
      this.#consecutiveFailures += 1;
      this.#totalFailures += 1;
      this.#options.onError?.(pkiErr);
      if (initial) throw pkiErr;
      return false;
    }
    this.#consecutiveFailures = 0;
    const prev = this.#material;
    if (prev && prev.cert.equals(next.cert) && prev.key.equals(next.key) && sameOptional(prev.ca, next.ca)) return false;
    this.#material = { ...next, version: (prev?.version ?? 0) + 1 };
    for (const listener of this.#listeners) {
      try {
        listener(this.#material);
      } catch {
        // A failing subscriber must not stop the others or the poll loop.
      }
    }
    return true;
  }

  async #readAndValidate(): Promise<Omit<CertMaterial, 'version'>> {
    const { certFile, keyFile, caFile } = this.#options;
    const read = async (file: string, what: string): Promise<Buffer> => {
      try {
        return await readFile(file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new PkiError('read_failed', `cannot read ${what} file ${file}: ${code}`);
      }
    };
    // Read in parallel but report the first failure in a fixed order (certificate, key, CA), so
    // the message does not depend on which read the file system happened to finish first.
    const results = await Promise.allSettled([
      read(certFile, 'certificate'),
      read(keyFile, 'key'),
      caFile ? read(caFile, 'CA bundle') : Promise.resolve(undefined),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [cert, key, ca] = results.map((r) => (r as PromiseFulfilledResult<Buffer | undefined>).value) as [
      Buffer,
      Buffer,
      Buffer | undefined,
    ];
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(cert);
    } catch {
      throw new PkiError('invalid_pem', `certificate file ${certFile} is not a valid PEM certificate`);
    }
    let privateKey;
    try {
      privateKey = createPrivateKey(key);
    } catch {
      throw new PkiError('invalid_pem', `key file ${keyFile} is not a valid PEM private key`);
    }
    if (!leaf.checkPrivateKey(privateKey)) {
      throw new PkiError('key_mismatch', `key file ${keyFile} does not match certificate ${certFile}`);
    }
    if (ca) {
      try {
        new X509Certificate(ca);
      } catch {
        throw new PkiError('invalid_pem', `CA bundle file ${caFile} is not a valid PEM certificate bundle`);
      }
    }
    return { cert, key, ...(ca ? { ca } : {}), notAfterMs: Date.parse(leaf.validTo) };
  }
}

function sameOptional(a: Buffer | undefined, b: Buffer | undefined): boolean {
  if (!a || !b) return a === b;
  return a.equals(b);
}
