import type { LeaseStore, SessionStore, UpstreamTokenStore, UpstreamTokens } from '../store/index.ts';
import { InvalidGrant, ServerError } from './errors.ts';
import { SingleFlight } from './lib/single-flight.ts';

/** What the exchange needs of an upstream IdP (the auth server's UpstreamIdp satisfies it). */
export interface UpstreamRefresher {
  readonly name: string;
  refresh(refreshToken: string): Promise<{ accessToken: string; refreshToken: string; expiresAtMs: number }>;
}

/** Upstream token "expired" buffer (spec §5.2, [CODE]). */
export const EXPIRY_BUFFER_MS = 30_000;

export interface RefreshDeps {
  sessions: Pick<SessionStore, 'markRevoked'>;
  upstreamTokens: Pick<UpstreamTokenStore, 'get' | 'store' | 'deleteForProvider'>;
  leases: LeaseStore;
  now: () => number;
  /** Bound on one upstream refresh call (spec §2.10 step 12: 10 s). */
  refreshTimeoutMs?: number;
  /** Lease TTL; must exceed refreshTimeoutMs. Default refreshTimeoutMs + 5 s. */
  leaseTtlMs?: number;
  /** How often a replica that lost the lease re-reads the row. Default 50 ms. */
  leaseWaitPollMs?: number;
}

/** True when the row needs a refresh: expires within 30 s. `expiresAtMs` 0 = never expires. */
export function needsRefresh(tokens: Pick<UpstreamTokens, 'expiresAtMs'>, nowMs: number): boolean {
  return tokens.expiresAtMs !== 0 && tokens.expiresAtMs - EXPIRY_BUFFER_MS <= nowMs;
}

/**
 * Lazy upstream refresh (spec §5.5, §2.10 step 12, §7 item 12): single-flight per (tsid,
 * provider) in this process, and a store lease across replicas so one upstream refresh token is
 * never spent twice. Inside the flight the row is re-read: when another caller or replica already
 * refreshed it, no upstream call is made. The loser of the lease waits and re-reads the row.
 *
 * @example
 * const refresher = new UpstreamRefreshCoordinator({ sessions, upstreamTokens, leases, now: Date.now });
 * const { tokens, refreshed } = await refresher.ensureFresh(tsid, idp);
 */
export class UpstreamRefreshCoordinator {
  readonly #deps: RefreshDeps;
  readonly #flights = new SingleFlight<{ tokens: UpstreamTokens; refreshed: boolean }>();

  constructor(deps: RefreshDeps) {
    this.#deps = deps;
  }

  /** Returns a usable row; refreshes it when needed. Throws InvalidGrant or ServerError. */
  async ensureFresh(tsid: string, upstream: UpstreamRefresher): Promise<{ tokens: UpstreamTokens; refreshed: boolean }> {
    // The common case, a row that needs no refresh and no refresh running for it, is one store
    // read outside the flight; a row that needs one goes into the flight, which reads it again.
    // (No flight at all is the usual state: then the key is not even built.)
    if (this.#flights.size === 0 || !this.#flights.has(flightKey(tsid, upstream))) {
      // The store read inline (not through #read): one async frame and one await less per exchange.
      const nowMs = this.#deps.now();
      const found = await this.#deps.upstreamTokens.get(tsid, upstream.name, nowMs);
      if (!found) throw rowMissing();
      if (!needsRefresh(found.tokens, nowMs)) return { tokens: found.tokens, refreshed: false };
    }
    return this.#flights.run(flightKey(tsid, upstream), () => this.#refreshUnderLease(tsid, upstream));
  }

  async #refreshUnderLease(tsid: string, upstream: UpstreamRefresher): Promise<{ tokens: UpstreamTokens; refreshed: boolean }> {
    const { leases, now } = this.#deps;
    const timeoutMs = this.#deps.refreshTimeoutMs ?? 10_000;
    const leaseTtlMs = this.#deps.leaseTtlMs ?? timeoutMs + 5_000;
    const pollMs = this.#deps.leaseWaitPollMs ?? 50;
    const leaseKey = `upstream-refresh:${tsid}:${upstream.name}`;
    const deadline = now() + leaseTtlMs + timeoutMs;
    for (;;) {
      const row = await this.#read(tsid, upstream.name);
      if (!needsRefresh(row, now())) return { tokens: row, refreshed: false };
      const release = await leases.tryAcquire(leaseKey, leaseTtlMs);
      if (release) {
        try {
          // Re-read under the lease: another replica may have refreshed between our read and acquire.
          const current = await this.#read(tsid, upstream.name);
          if (!needsRefresh(current, now())) return { tokens: current, refreshed: false };
          return { tokens: await this.#refresh(tsid, upstream, current, timeoutMs), refreshed: true };
        } finally {
          await release().catch(() => undefined);
        }
      }
      if (now() > deadline) throw new ServerError('refresh_lease_timeout');
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  async #read(tsid: string, provider: string): Promise<UpstreamTokens> {
    const row = await this.#deps.upstreamTokens.get(tsid, provider, this.#deps.now());
    if (!row) throw rowMissing();
    return row.tokens;
  }

  async #refresh(tsid: string, upstream: UpstreamRefresher, current: UpstreamTokens, timeoutMs: number): Promise<UpstreamTokens> {
    const { upstreamTokens, sessions, now } = this.#deps;
    if (!current.refreshToken) {
      throw new InvalidGrant('upstream_no_refresh_token', 'the upstream token expired and cannot be refreshed; re-authorize');
    }
    let fresh: Awaited<ReturnType<UpstreamRefresher['refresh']>>;
    try {
      fresh = await withTimeout(upstream.refresh(current.refreshToken), timeoutMs);
    } catch (err) {
      if ((err as { code?: string }).code === 'invalid_grant') {
        // Spec §2.10 step 12 / OTHER-RFC 0058: the upstream grant is dead; force re-login.
        await upstreamTokens.deleteForProvider(tsid, upstream.name).catch(() => undefined);
        await sessions.markRevoked(tsid, now()).catch(() => undefined);
        throw new InvalidGrant('upstream_invalid_grant', 'the upstream identity provider rejected the refresh; re-authorize');
      }
      throw new ServerError(err instanceof TimeoutError ? 'upstream_refresh_timeout' : 'upstream_refresh_failed');
    }
    const next: UpstreamTokens = {
      ...current,
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken || current.refreshToken,
      expiresAtMs: fresh.expiresAtMs,
    };
    const rotated = fresh.refreshToken !== '' && fresh.refreshToken !== current.refreshToken;
    for (let attempt = 1; ; attempt++) {
      try {
        await upstreamTokens.store(tsid, upstream.name, next);
        return next;
      } catch {
        if (attempt >= 2) {
          // Spec §5.5: the IdP rotated but we cannot persist: the old refresh token is dead.
          if (rotated) await upstreamTokens.deleteForProvider(tsid, upstream.name).catch(() => undefined);
          throw new ServerError('upstream_persist_failed');
        }
      }
    }
  }
}

function flightKey(tsid: string, upstream: UpstreamRefresher): string {
  return `${upstream.name}\u0000${tsid}`;
}

function rowMissing(): InvalidGrant {
  return new InvalidGrant('upstream_row_missing', 'no upstream token for this session; re-authorize');
}

class TimeoutError extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
