// Contract between the reconciler and the auth server: the config.json the controller renders,
// read from the files its Deployment mounts, must be accepted by the auth server's own loader
// (src/config). The test plays kubelet: it materialises every volume of the built Deployment
// (Secret/ConfigMap items, projected sources) under a temp root, exactly at the mount paths.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.ts';
import { desired, DEFAULT_SETTINGS } from '../../src/controller/index.ts';
import { ecPem, rsaPem } from './helpers.ts';

type Items = { key: string; path: string }[];
type Volume = {
  name: string;
  secret?: { secretName: string; items?: Items };
  configMap?: { name: string; items?: Items };
  projected?: { sources: { secret?: { name: string; items: Items }; configMap?: { name: string; items: Items } }[] };
};

const root = mkdtempSync(join(tmpdir(), 'controller-contract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function materialise(deployment: unknown, data: Record<string, Record<string, string | Buffer>>, dir: string): void {
  const pod = (deployment as { spec: { template: { spec: { volumes: Volume[]; containers: { volumeMounts: { name: string; mountPath: string }[] }[] } } } }).spec.template.spec;
  for (const mount of pod.containers[0]!.volumeMounts) {
    const volume = pod.volumes.find((v) => v.name === mount.name)!;
    const base = join(dir, mount.mountPath);
    const write = (object: string, items: Items | undefined) => {
      const source = data[object];
      if (!source) throw new Error(`no data for ${object} (volume ${volume.name})`);
      for (const { key, path } of items ?? Object.keys(source).map((k) => ({ key: k, path: k }))) {
        const file = join(base, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, source[key]!);
      }
    };
    if (volume.secret) write(volume.secret.secretName, volume.secret.items);
    if (volume.configMap) write(volume.configMap.name, volume.configMap.items);
    for (const s of volume.projected?.sources ?? []) {
      if (s.secret) write(s.secret.name, s.secret.items);
      if (s.configMap) write(s.configMap.name, s.configMap.items);
    }
  }
}

const baseSpec = {
  issuer: 'https://auth.mcp.example.com',
  upstreamIdps: [{ name: 'corp-okta', type: 'oidc' as const, oidc: { issuer: 'https://example.okta.com', clientId: 'c1', clientSecretRef: { name: 'okta-client', key: 'client-secret' } } }],
  signingKeys: [
    { secretRef: { name: 'as-signing-2026q3', key: 'private.pem' }, algorithm: 'ES256' },
    { secretRef: { name: 'as-signing-2026q2', key: 'key.pem' }, algorithm: 'RS256' },
  ],
  tls: { clientAuth: { allowedSubjects: { trustDomain: 'toolhive.local', allowedNamespaces: ['mcp-prod'] } } },
};

describe('rendered config.json + Deployment mounts are what the auth server loads', () => {
  for (const variant of ['memory', 'redis'] as const) {
    it(`${variant} storage`, () => {
      const as = {
        apiVersion: 'toolhive.stacklok.dev/v1alpha1',
        kind: 'MCPAuthServer' as const,
        metadata: { name: 'mcp-auth', namespace: 'toolhive-system', uid: 'u1' },
        spec: {
          ...baseSpec,
          ...(variant === 'redis'
            ? { replicas: 2, storage: { type: 'redis' as const, redis: { address: 'redis.toolhive-system:6379', tls: true, caBundle: { configMapRef: { name: 'redis-ca' } }, passwordSecretRef: { name: 'redis-auth', key: 'password' } }, encryptionKeySecretRef: { name: 'enc', key: 'k' } } }
            : {}),
        },
      };
      const encryptionKey = variant === 'redis' ? { name: 'enc', key: 'k' } : { name: 'mcp-auth-encryption-key', key: 'key' };
      const deployment = desired.authServerDeployment(as, DEFAULT_SETTINGS, { configHash: 'h', clientCa: { name: 'mcp-auth-ca-bundle', key: 'ca.crt' }, encryptionKey });
      const dir = join(root, variant);
      materialise(
        deployment,
        {
          'mcp-auth-config': { 'config.json': desired.renderAuthServerConfig(as) },
          'as-signing-2026q3': { 'private.pem': ecPem() },
          'as-signing-2026q2': { 'key.pem': rsaPem() },
          'okta-client': { 'client-secret': 'upstream-secret\n' },
          'mcp-auth-tls': { 'tls.crt': 'cert', 'tls.key': 'key', 'ca.crt': 'ca' },
          'mcp-auth-ca-bundle': { 'ca.crt': 'ca' },
          'mcp-auth-resource-map': { 'resources.json': '{"version":1,"resources":{}}' },
          [encryptionKey.name]: { [encryptionKey.key]: Buffer.alloc(32, 9) },
          'redis-auth': { password: 'p@ss' },
          'redis-ca': { 'ca.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
        },
        dir,
      );
      // The auth server reads the same file at the same path, under the temp root.
      const raw = JSON.parse(desired.renderAuthServerConfig(as).replaceAll('"/etc/toolhive/', `"${dir}/etc/toolhive/`));
      const warnings: string[] = [];
      const config = resolveConfig(raw, { onWarning: (m: string) => void warnings.push(m) }) as unknown as Record<string, unknown>;
      expect(config).toMatchObject({ issuer: 'https://auth.mcp.example.com' });
      expect(JSON.stringify(config)).toContain('upstream-secret');
      const enc = config.encryptionKeys as { activeKeyId: string; keys: Record<string, Buffer> };
      expect(enc.activeKeyId).toBe(encryptionKey.name);
      expect(Buffer.from(enc.keys[encryptionKey.name]!)).toEqual(Buffer.alloc(32, 9));
      if (variant === 'redis') {
        expect(config.storage).toMatchObject({ type: 'redis', redis: { url: 'rediss://:p%40ss@redis.toolhive-system:6379', keyPrefix: 'thv:auth:{toolhive-system:mcp-auth}:' } });
      }
      expect(warnings.join('\n')).not.toMatch(/encryption_keys not set/);
    });
  }
});
