import { describe, expect, it } from 'vitest';
import { desiredInjection } from './desired-injection.ts';
import { authServerConfig } from '../../testing/objects.ts';
import { parseClientConfig } from '../../../src/proxy/index.ts';

describe('desiredInjection (spec §4.3)', () => {
  it('builds the volumes, read-only directory mounts and client config from authServerRef', () => {
    const config = authServerConfig('mcp-prod', 'corp-client', {
      authServerRef: { name: 'mcp-auth', namespace: 'toolhive-system' },
      upstreamIdp: 'corp-okta',
      clientCert: { trustDomain: 'mcp.example.com' },
    });
    const result = desiredInjection({ serverName: 'github-tools', config, clusterDomain: 'cluster.local' });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.material.volumes).toEqual([
      { name: 'authserver-client-cert', secret: { secretName: 'github-tools-mtls' } },
      { name: 'authserver-ca-bundle', configMap: { name: 'corp-client-authserver-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    expect(result.material.mounts).toEqual([
      { name: 'authserver-client-cert', mountPath: '/etc/toolhive/authserver-mtls', readOnly: true },
      { name: 'authserver-ca-bundle', mountPath: '/etc/toolhive/authserver-ca', readOnly: true },
    ]);
    expect(result.material.mounts.some((m) => 'subPath' in m)).toBe(false);
    expect(result.material.env.name).toBe('TOOLHIVE_AUTHSERVER_CONFIG');
    // Exact text, key order of the spec: the proxy parses it, people read it in `kubectl get pod -o yaml`.
    expect(result.material.env.value).toBe(
      '{"url":"https://mcp-auth-internal.toolhive-system.svc.cluster.local","client_cert_path":"/etc/toolhive/authserver-mtls/tls.crt",' +
        '"client_key_path":"/etc/toolhive/authserver-mtls/tls.key","ca_bundle_path":"/etc/toolhive/authserver-ca/ca.crt",' +
        '"upstream_idp":"corp-okta","cache_default_ttl":"5m","cache_max_entries":10000}',
    );
  });

  it('prefers authServer.url, honours the caBundle ConfigMap and key, and the cluster domain', () => {
    const config = authServerConfig('mcp-prod', 'c', {
      url: 'https://as-internal.sec.svc.corp.internal',
      authServerRef: { name: 'ignored', namespace: 'x' },
      caBundle: { configMapRef: { name: 'corp-mtls-ca', key: 'bundle.pem' } },
    });
    const result = desiredInjection({ serverName: 's', config, clusterDomain: 'corp.internal' });
    if (!result.ok) throw new Error(result.error.message);
    expect(JSON.parse(result.material.env.value).url).toBe('https://as-internal.sec.svc.corp.internal');
    expect(JSON.parse(result.material.env.value)).not.toHaveProperty('upstream_idp');
    expect(result.material.volumes[1]).toEqual({ name: 'authserver-ca-bundle', configMap: { name: 'corp-mtls-ca', items: [{ key: 'bundle.pem', path: 'ca.crt' }] } });
  });

  it('the injected TOOLHIVE_AUTHSERVER_CONFIG is accepted by the proxy\'s own parser (the consumer)', () => {
    for (const authServer of [
      { authServerRef: { name: 'mcp-auth', namespace: 'toolhive-system' }, upstreamIdp: 'corp-okta' },
      { url: 'https://as-internal.sec.svc.cluster.local' },
    ]) {
      const result = desiredInjection({ serverName: 's', config: authServerConfig('ns', 'c', authServer), clusterDomain: 'cluster.local' });
      if (!result.ok) throw new Error(result.error.message);
      const parsed = parseClientConfig(result.material.env.value);
      expect(parsed).toMatchObject({
        clientCertPath: '/etc/toolhive/authserver-mtls/tls.crt',
        clientKeyPath: '/etc/toolhive/authserver-mtls/tls.key',
        caBundlePath: '/etc/toolhive/authserver-ca/ca.crt',
        cacheDefaultTtlMs: 300_000,
        cacheMaxEntries: 10_000,
      });
      expect(parsed.upstreamIdp).toBe(authServer.upstreamIdp);
    }
  });

  it('defaults the ref namespace to the config namespace and uses the given cluster domain', () => {
    const config = authServerConfig('mcp-dev', 'c', { authServerRef: { name: 'auth' } });
    const result = desiredInjection({ serverName: 's', config, clusterDomain: 'k8s.local' });
    if (!result.ok) throw new Error(result.error.message);
    expect(JSON.parse(result.material.env.value).url).toBe('https://auth-internal.mcp-dev.svc.k8s.local');
  });

  it.each([
    ['no authServer block', undefined, /no spec.authServer block/],
    ['neither url nor ref', { clientCert: { trustDomain: 'x' } }, /neither spec.authServer.url nor spec.authServer.authServerRef.name/],
  ])('refuses a config with %s', (_what, authServer, message) => {
    const result = desiredInjection({ serverName: 's', config: authServerConfig('ns', 'c', authServer), clusterDomain: 'cluster.local' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.message).toMatch(message);
      expect(result.error.message).toContain('MCPExternalAuthConfig ns/c');
    }
  });
});
