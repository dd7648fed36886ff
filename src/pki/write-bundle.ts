import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertBundle } from './types.ts';

/**
 * Writes a bundle as `tls.crt`, `tls.key` (mode 0600) and `ca.crt` into `dir`, the layout of a
 * cert-manager Secret mount. Each file is written to a temp name then renamed (atomic per file).
 *
 * @example
 * await writeBundle('/tmp/certs/server', await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'] }));
 */
export async function writeBundle(dir: string, bundle: CertBundle): Promise<{ certFile: string; keyFile: string; caFile?: string }> {
  await mkdir(dir, { recursive: true });
  const put = async (name: string, data: string, mode: number): Promise<string> => {
    const file = join(dir, name);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, data, { mode });
    await rename(tmp, file);
    return file;
  };
  const certFile = await put('tls.crt', bundle.certPem, 0o644);
  const keyFile = await put('tls.key', bundle.keyPem, 0o600);
  const caFile = bundle.caPem ? await put('ca.crt', bundle.caPem, 0o644) : undefined;
  return { certFile, keyFile, ...(caFile ? { caFile } : {}) };
}
