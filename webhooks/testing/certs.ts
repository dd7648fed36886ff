import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, issueServerCert, writeBundle, type CertBundle } from '../../src/pki/index.ts';

export interface ServingCerts {
  dir: string;
  ca: CertBundle;
  certFile: string;
  keyFile: string;
  /** Issues a new serving cert (optionally from a new CA) into the same files, as cert-manager does. */
  rotate(options?: { newCa?: boolean }): Promise<CertBundle>;
  cleanup(): Promise<void>;
}

/** Real CA + serving cert for localhost/127.0.0.1 written as tls.crt/tls.key in a temp dir. */
export async function makeServingCerts(): Promise<ServingCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'webhook-certs-'));
  let ca = await createCA({ commonName: 'webhook test CA' });
  const issue = async () => issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const { certFile, keyFile } = await writeBundle(join(dir, 'tls'), await issue());
  const certs: ServingCerts = {
    dir,
    ca,
    certFile,
    keyFile,
    async rotate(options = {}) {
      if (options.newCa) {
        ca = await createCA({ commonName: 'webhook test CA (rotated)' });
        certs.ca = ca;
      }
      const bundle = await issue();
      await writeBundle(join(dir, 'tls'), bundle);
      return bundle;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  return certs;
}
