/**
 * The local stack's generated material, kept in a state folder and reused on the next start:
 * a dev CA, the auth server's TLS certificate (internal mTLS listener), the proxy's client
 * certificate (SPIFFE X.509-SVID), the JWT signing key, the at-rest encryption key and the
 * upstream client secret. Everything is regenerated when a file is missing or a certificate
 * expires within a week. Development only: keys sit on disk with mode 0600.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { X509Certificate, generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createCA, issueClientCert, issueServerCert, writeBundle } from '../pki/index.ts';

export const DEV_TRUST_DOMAIN = 'toolhive.local';
export const DEV_OWNER = { namespace: 'dev', name: 'sample-mcp' } as const;
const RENEW_WITHIN_MS = 7 * 24 * 3600_000;

export interface DevState {
  dir: string;
  caFile: string;
  server: { certFile: string; keyFile: string; caFile: string };
  proxyClient: { certFile: string; keyFile: string; caFile: string };
  signingKeyFile: string;
  encryptionKeyFile: string;
  upstreamClientSecretFile: string;
  upstreamClientSecret: string;
  /** True when this start generated the material (first run or renewal). */
  generated: boolean;
}

function paths(dir: string): Omit<DevState, 'generated' | 'upstreamClientSecret'> {
  const tls = (sub: string) => ({ certFile: join(dir, sub, 'tls.crt'), keyFile: join(dir, sub, 'tls.key'), caFile: join(dir, sub, 'ca.crt') });
  return {
    dir,
    caFile: join(dir, 'ca', 'tls.crt'),
    server: tls('server-tls'),
    proxyClient: tls('proxy-mtls'),
    signingKeyFile: join(dir, 'signing-key.pem'),
    encryptionKeyFile: join(dir, 'encryption-key'),
    upstreamClientSecretFile: join(dir, 'upstream-client-secret'),
  };
}

/** True when every file exists and no certificate expires within a week. */
export function isReusable(state: Omit<DevState, 'generated' | 'upstreamClientSecret'>, nowMs: number): boolean {
  const files = [state.caFile, ...Object.values(state.server), ...Object.values(state.proxyClient), state.signingKeyFile, state.encryptionKeyFile, state.upstreamClientSecretFile];
  if (!files.every((f) => existsSync(f))) return false;
  try {
    return [state.caFile, state.server.certFile, state.proxyClient.certFile].every(
      (f) => new Date(new X509Certificate(readFileSync(f)).validTo).getTime() - nowMs > RENEW_WITHIN_MS,
    );
  } catch {
    return false;
  }
}

/**
 * Loads the state folder, generating what is missing.
 *
 * @example
 * const state = await ensureDevState('.dev-state');
 * console.log(state.server.certFile); // .dev-state/server-tls/tls.crt
 */
export async function ensureDevState(dir: string, nowMs = Date.now()): Promise<DevState> {
  const state = paths(dir);
  if (isReusable(state, nowMs)) {
    return { ...state, upstreamClientSecret: readFileSync(state.upstreamClientSecretFile, 'utf8').trim(), generated: false };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await createCA({ commonName: 'mcp-authserver dev CA' });
  await writeBundle(join(dir, 'ca'), ca);
  const server = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] });
  await writeBundle(join(dir, 'server-tls'), { ...server, caPem: ca.certPem });
  const svid = await issueClientCert(ca, {
    commonName: DEV_OWNER.name,
    spiffeIds: [`spiffe://${DEV_TRUST_DOMAIN}/ns/${DEV_OWNER.namespace}/mcpserver/${DEV_OWNER.name}`],
  });
  await writeBundle(join(dir, 'proxy-mtls'), { ...svid, caPem: ca.certPem });
  const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  await writeFile(state.signingKeyFile, signingKey, { mode: 0o600 });
  await writeFile(state.encryptionKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  const secret = randomBytes(24).toString('base64url');
  await writeFile(state.upstreamClientSecretFile, secret, { mode: 0o600 });
  return { ...state, upstreamClientSecret: secret, generated: true };
}
