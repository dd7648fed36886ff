import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { serveTlsFromFiles, tlsServerOptions, type FileCertSource } from '../pki/index.ts';
import type { AuditLogger } from '../telemetry/index.ts';
import type { ExchangeApp } from './create-exchange-app.ts';

export interface InternalListenerOptions {
  app: ExchangeApp;
  /** Server cert/key plus the client CA bundle (`caFile`), hot-reloaded. */
  source: FileCertSource;
  host?: string;
  port: number;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** For `cert.rejected` audit events on failed handshakes (spec §6.3). */
  audit?: AuditLogger;
}

export interface InternalListener {
  server: https.Server;
  address(): AddressInfo;
  close(): Promise<void>;
}

/**
 * The internal mTLS listener (spec §2.0 [REV h]): its own port, `requestCert` +
 * `rejectUnauthorized` against the client CA bundle (RequireAndVerifyClientCert: no cert, another
 * CA, expired/not-yet-valid or a cert without clientAuth EKU abort the handshake), TLS ≥ 1.2,
 * server cert and client CA hot-reloaded from files.
 *
 * @example
 * const source = new FileCertSource({ certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'client-ca.crt' });
 * await source.start();
 * const listener = await startInternalListener({ app, source, port: 9443 });
 */
export async function startInternalListener(options: InternalListenerOptions): Promise<InternalListener> {
  if (!options.source.current().ca) throw new Error('internal listener: a client CA bundle file is required');
  const base = { minVersion: options.minVersion ?? 'TLSv1.2' } as const;
  const server = https.createServer(
    { ...tlsServerOptions(options.source, base), requestCert: true, rejectUnauthorized: true, keepAliveTimeout: 65_000 },
    options.app.handle,
  );
  serveTlsFromFiles(server, options.source, base);
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    options.audit?.write({
      event: 'cert.rejected',
      outcome: 'denied',
      reason: err.code ?? 'tls_error',
      listener: 'internal',
      remote_addr: socket.remoteAddress,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    address: () => server.address() as AddressInfo,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
