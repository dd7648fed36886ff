import type { Server as HttpsServer } from 'node:https';
import type { SecureContextOptions, Server as TlsServer } from 'node:tls';
import type { FileCertSource } from './file-cert-source.ts';
import { secureContextOptions } from './lib/secure-context.ts';

/**
 * Options for `https.createServer` / `tls.createServer` from the source's current material
 * (cert, key, and the CA bundle used to verify client certificates when requestCert is set).
 *
 * @example
 * const server = https.createServer({ ...tlsServerOptions(source), requestCert: true, rejectUnauthorized: true }, app);
 * serveTlsFromFiles(server, source);
 */
export function tlsServerOptions(source: FileCertSource, base: SecureContextOptions = {}): SecureContextOptions {
  return secureContextOptions(source.current(), base);
}

/**
 * Hot-reloads a TLS server: on every change of the source, calls `server.setSecureContext()`
 * with the new cert/key/CA. Established connections keep their session; new handshakes use the
 * new material. Returns a function that detaches (also called automatically on server close).
 *
 * @example
 * const source = new FileCertSource({ certFile, keyFile, caFile });
 * await source.start();
 * const server = https.createServer({ ...tlsServerOptions(source), requestCert: true }, app);
 * serveTlsFromFiles(server, source);
 */
export function serveTlsFromFiles(
  server: TlsServer | HttpsServer,
  source: FileCertSource,
  base: SecureContextOptions = {},
): () => void {
  return source.attachToServer(server, base);
}
