import type { Response } from 'express';
import { performance } from 'node:perf_hooks';
import type { AuditLogger } from '../../telemetry/index.ts';
import type { AuthServerContext } from '../context.ts';

export interface RequestScope {
  requestId: string;
  remoteAddr: string;
  startedMs: number;
}

declare module 'express-serve-static-core' {
  interface Locals {
    requestScope?: RequestScope;
  }
}

/**
 * The audit writer for one request: adds the common fields of spec §6.3 (request_id,
 * remote_addr, listener, latency_ms). Passed explicitly rather than through AsyncLocalStorage,
 * whose promise hooks cost several percent of a token request on Node 20.
 *
 * @example
 * requestAudit(ctx, res).write({ event: 'token.issue', outcome: 'success', client_id });
 */
export function requestAudit(ctx: AuthServerContext, res: Response): AuditLogger {
  const scope = res.locals.requestScope;
  return {
    write(event) {
      ctx.audit.write(
        scope
          ? {
              listener: 'public',
              request_id: scope.requestId,
              remote_addr: scope.remoteAddr,
              latency_ms: Math.round((performance.now() - scope.startedMs) * 100) / 100,
              ...event,
            }
          : { listener: 'public', ...event },
      );
    },
  };
}
