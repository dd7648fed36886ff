import type { KubeObject } from '../framework/types.ts';

/** MCPServer / MCPExternalAuthConfig / MCPAuthServer objects as the informer cache holds them. */
export function mcpServer(ns: string, name: string, configName?: string): KubeObject {
  return {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPServer',
    metadata: { name, namespace: ns },
    spec: {
      image: 'ghcr.io/example/github-mcp:1.2.3',
      ...(configName ? { externalAuthConfigRef: { name: configName } } : {}),
      oidcConfig: {
        type: 'inline',
        resourceUrl: `https://${name}.example.com/mcp`,
        inline: { issuer: 'https://auth.example.com', audience: `https://${name}.example.com/mcp` },
      },
    },
  };
}

export function authServerConfig(ns: string, name: string, authServer: Record<string, unknown> | undefined, type = 'authServer'): KubeObject {
  return {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPExternalAuthConfig',
    metadata: { name, namespace: ns },
    spec: { type, ...(authServer ? { authServer } : {}) },
  };
}

export function mcpAuthServer(ns: string, name: string, issuer: string, trustDomain: string): KubeObject {
  return {
    apiVersion: 'toolhive.stacklok.dev/v1alpha1',
    kind: 'MCPAuthServer',
    metadata: { name, namespace: ns },
    spec: {
      issuer,
      upstreamIdps: [{ name: 'corp', type: 'oidc', oidc: { issuer: 'https://idp.example.com', clientId: 'c', clientSecretRef: { name: 's', key: 'k' } } }],
      signingKeys: [{ secretRef: { name: 'k', key: 'private.pem' }, algorithm: 'ES256' }],
      tls: { clientAuth: { allowedSubjects: { trustDomain } } },
    },
  };
}

/** A pod as a ReplicaSet creates it: label, proxy + mcp containers, no namespace in metadata. */
export function labelledPod(server: string, extra: { annotations?: Record<string, string>; containers?: unknown[] } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${server}-7d9f8b-`,
      labels: { 'toolhive.stacklok.dev/mcpserver': server, 'app.kubernetes.io/name': 'mcpserver' },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      containers: extra.containers ?? [
        { name: 'proxy', image: 'ghcr.io/example/mcp-authserver:0.1.0', args: ['proxy'], ports: [{ containerPort: 8000, name: 'http' }] },
        { name: 'mcp', image: 'ghcr.io/example/github-mcp:1.2.3', env: [{ name: 'LOG_LEVEL', value: 'info' }] },
      ],
    },
  };
}
