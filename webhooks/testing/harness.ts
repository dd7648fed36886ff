import { pino } from 'pino';
import { startWebhookServer, type WebhookServer, type WebhookServerOptions } from '../server.ts';
import { makeServingCerts, type ServingCerts } from './certs.ts';
import { makeClient } from './client.ts';

export interface Harness {
  server: WebhookServer;
  certs: ServingCerts;
  baseUrl: string;
  client: ReturnType<typeof makeClient>;
  stop(): Promise<void>;
}

/** A real HTTPS webhook server on a free loopback port with a freshly generated serving cert. */
export async function startHarness(options: Partial<WebhookServerOptions> = {}): Promise<Harness> {
  const certs = await makeServingCerts();
  let server: WebhookServer;
  try {
    server = await startWebhookServer({
      listen: '127.0.0.1:0',
      tlsCertFile: certs.certFile,
      tlsKeyFile: certs.keyFile,
      logger: pino({ level: 'silent' }),
      ...options,
    });
  } catch (err) {
    await certs.cleanup();
    throw err;
  }
  const baseUrl = `https://127.0.0.1:${server.address().port}`;
  const client = makeClient(baseUrl, certs.ca.certPem);
  return {
    server,
    certs,
    baseUrl,
    client,
    async stop() {
      await client.close();
      await server.close();
      await certs.cleanup();
    },
  };
}
