import { isDeepStrictEqual } from 'node:util';
import { applyDefaults } from './api.ts';

/**
 * `applyDefaults()` until nothing changes (at most 3 passes). The mutating webhook must be
 * idempotent (reinvocationPolicy IfNeeded: a defaulted object gives an empty patch), and a single
 * pass is not always a fixed point for invalid input: with `spec.tls: null` the conditional
 * trust-domain default creates `tls` after the schema defaults ran, so a second pass adds
 * `tls.serverCert` defaults (found by crd-properties.test.ts; reported to the API owner).
 *
 * @example
 * defaultsFixpoint({ kind: 'MCPAuthServer', spec: { tls: null } }).spec.tls.serverCert // { duration: '8760h', renewBefore: '720h' }
 */
export function defaultsFixpoint<T>(obj: T): T {
  let current = applyDefaults(obj);
  for (let pass = 0; pass < 2; pass++) {
    const next = applyDefaults(current);
    if (isDeepStrictEqual(next, current)) break;
    current = next;
  }
  return current;
}
