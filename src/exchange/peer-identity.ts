import type { TLSSocket } from 'node:tls';
import { checkX509Svid, SpiffeError, type SvidIdentity } from '../spiffe/index.ts';
import { InvalidClient } from './errors.ts';

type Cached = { ok: true; identity: SvidIdentity } | { ok: false; code: string; message: string };
const cache = new WeakMap<TLSSocket, Cached>();
let parses = 0;

/** How many peer certificates were parsed in this process (one per TLS connection); a metric. */
export function identityParseCount(): number {
  return parses;
}

/**
 * Spec §2.10 step 3 / conventions §12: the peer's SPIFFE identity, parsed once per TLS
 * connection and cached on the socket (a keep-alive connection carries one certificate).
 * Throws InvalidClient (401) when the certificate carries no valid identity.
 */
export function peerIdentity(socket: TLSSocket): SvidIdentity {
  let cached = cache.get(socket);
  if (!cached) {
    cached = compute(socket);
    cache.set(socket, cached);
  }
  if (!cached.ok) throw new InvalidClient(`cert_${cached.code}`, `client certificate identity rejected: ${cached.message}`);
  return cached.identity;
}

function compute(socket: TLSSocket): Cached {
  parses += 1;
  const peer = socket.getPeerCertificate?.();
  if (!socket.authorized || !peer || !peer.raw) {
    return { ok: false, code: 'no_client_cert', message: 'no verified client certificate' };
  }
  try {
    return { ok: true, identity: checkX509Svid(peer.raw) };
  } catch (err) {
    if (err instanceof SpiffeError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'bad_certificate', message: 'client certificate cannot be parsed' };
  }
}
