/**
 * Valid objects for tests: the examples of spec §3, as plain data. Tests deep-copy them
 * (`sample('...')`) before mutating.
 */
const SAMPLES = {
  /** Spec §3.1, enterprise CA. */
  authServerEnterprise: {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPAuthServer',
    metadata: { name: 'mcp-auth', namespace: 'toolhive-system' },
    spec: {
      issuer: 'https://auth.mcp.example.com',
      replicas: 1,
      upstreamIdps: [
        {
          name: 'corp-okta',
          type: 'oidc',
          oidc: {
            issuer: 'https://example.okta.com',
            clientId: '0oa1example',
            clientSecretRef: { name: 'okta-client', key: 'client-secret' },
            scopes: ['openid', 'profile', 'email', 'offline_access'],
          },
        },
      ],
      signingKeys: [
        { secretRef: { name: 'as-signing-2026q3', key: 'private.pem' }, algorithm: 'ES256' },
        { secretRef: { name: 'as-signing-2026q2', key: 'private.pem' }, algorithm: 'ES256' },
      ],
      tokenLifespans: { accessToken: '30m', refreshToken: '168h', authCode: '5m' },
      tls: {
        serverCert: { issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer' }, duration: '2160h', renewBefore: '360h' },
        clientAuth: {
          caBundle: { configMapRef: { name: 'corp-mtls-ca', key: 'ca.crt' } },
          allowedSubjects: {
            trustDomain: 'mcp.example.com',
            allowedNamespaces: ['mcp-prod', 'mcp-staging'],
            allowedServers: [{ namespace: 'mcp-prod', name: 'github-tools' }],
          },
        },
      },
    },
  },
  /** Spec §3.1, auto CA, minimal. */
  authServerAuto: {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPAuthServer',
    metadata: { name: 'mcp-auth', namespace: 'toolhive-system' },
    spec: {
      issuer: 'https://auth.mcp.example.com',
      upstreamIdps: [
        {
          name: 'google',
          type: 'oidc',
          oidc: { issuer: 'https://accounts.google.com', clientId: '123.apps.googleusercontent.com', clientSecretRef: { name: 'google-oauth', key: 'secret' } },
        },
      ],
      signingKeys: [{ secretRef: { name: 'as-signing', key: 'private.pem' }, algorithm: 'RS256' }],
      tls: { clientAuth: { allowedSubjects: { trustDomain: 'toolhive.local' } } },
    },
  },
  /** HA: 3 replicas on Redis with TLS, resources, annotations. */
  authServerHa: {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPAuthServer',
    metadata: { name: 'mcp-auth', namespace: 'toolhive-system' },
    spec: {
      issuer: 'https://auth.mcp.example.com/tenant-a',
      replicas: 3,
      publicService: { type: 'LoadBalancer', annotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' } },
      upstreamIdps: [
        {
          name: 'google',
          type: 'oidc',
          oidc: { issuer: 'https://accounts.google.com', clientId: 'x', clientSecretRef: { name: 'google-oauth', key: 'secret' } },
        },
      ],
      signingKeys: [{ secretRef: { name: 'as-signing', key: 'private.pem' }, algorithm: 'EdDSA' }],
      storage: {
        type: 'redis',
        redis: {
          address: 'redis.toolhive-system.svc:6379',
          tls: true,
          caBundle: { configMapRef: { name: 'redis-ca' } },
          passwordSecretRef: { name: 'redis', key: 'password' },
        },
        encryptionKeySecretRef: { name: 'as-enc', key: 'key' },
      },
      networkPolicy: { enabled: false },
      resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: 1 } },
    },
  },
  /** Spec §3.2 with authServerRef. */
  extAuthRef: {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPExternalAuthConfig',
    metadata: { name: 'corp-authserver-client', namespace: 'mcp-prod' },
    spec: {
      type: 'authServer',
      authServer: {
        authServerRef: { name: 'mcp-auth', namespace: 'toolhive-system' },
        upstreamIdp: 'corp-okta',
        clientCert: { trustDomain: 'mcp.example.com', issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer' } },
        caBundle: { configMapRef: { name: 'corp-mtls-ca', key: 'ca.crt' } },
      },
    },
  },
  /** Spec §3.2 RFC style (URL only). */
  extAuthUrl: {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPExternalAuthConfig',
    metadata: { name: 'main-authserver-client', namespace: 'mcp-servers' },
    spec: {
      type: 'authServer',
      authServer: {
        url: 'https://mcp-auth-internal.toolhive-system.svc.cluster.local',
        clientCert: { trustDomain: 'toolhive.local', issuerRef: { name: 'toolhive-mtls-ca', kind: 'ClusterIssuer' } },
        caBundle: { configMapRef: { name: 'toolhive-mtls-ca-bundle', key: 'ca.crt' } },
      },
    },
  },
  /** A ToolHive type this project does not implement: kept opaque, still valid. */
  extAuthTokenExchange: {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPExternalAuthConfig',
    metadata: { name: 'sts', namespace: 'mcp-prod' },
    spec: { type: 'tokenExchange', tokenExchange: { tokenUrl: 'https://sts.example.com/token', audience: 'backend' } },
  },
  /** Spec §3.3. */
  server: {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPServer',
    metadata: { name: 'github-tools', namespace: 'mcp-prod' },
    spec: {
      image: 'ghcr.io/example/github-mcp:1.2.3',
      transport: 'streamable-http',
      env: [{ name: 'LOG_LEVEL', value: 'debug' }, { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'gh', key: 'token' } } }],
      args: ['--read-only'],
      oidcConfig: {
        type: 'inline',
        resourceUrl: 'https://github-tools.mcp.example.com/mcp',
        inline: { issuer: 'https://auth.mcp.example.com', audience: 'https://github-tools.mcp.example.com/mcp' },
      },
      externalAuthConfigRef: { name: 'corp-authserver-client' },
    },
  },
  /** A bare MCPServer with no auth at all. */
  serverMinimal: {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPServer',
    metadata: { name: 'echo', namespace: 'default' },
    spec: { image: 'ghcr.io/example/echo:1' },
  },
} as const;

export type SampleName = keyof typeof SAMPLES;
export const SAMPLE_NAMES = Object.keys(SAMPLES) as SampleName[];

/** A fresh, mutable deep copy of a sample. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function sample(name: SampleName): any {
  return structuredClone(SAMPLES[name]);
}
