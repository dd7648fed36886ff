import type { KubeObject } from '../framework/types.ts';

const API = 'toolhive.stacklok.dev/v1alpha1';

/** Loosely typed spec: table cases break rules by writing arbitrary (invalid) values. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LooseSpec = Record<string, any>;

/** Valid objects of spec §3 (the minimal auto-CA examples); tests break one rule at a time. */
export function validAuthServer(): KubeObject & { spec: LooseSpec } {
  return {
    apiVersion: API,
    kind: 'MCPAuthServer',
    metadata: { name: 'mcp-auth', namespace: 'toolhive-system' },
    spec: {
      issuer: 'https://auth.mcp.example.com',
      upstreamIdps: [
        { name: 'google', type: 'oidc', oidc: { issuer: 'https://accounts.google.com', clientId: '123.apps.googleusercontent.com', clientSecretRef: { name: 'google-oauth', key: 'secret' } } },
      ],
      signingKeys: [{ secretRef: { name: 'as-signing', key: 'private.pem' }, algorithm: 'RS256' }],
      tls: { clientAuth: { allowedSubjects: { trustDomain: 'toolhive.local' } } },
    },
  };
}

export function validExternalAuthConfig(): KubeObject & { spec: LooseSpec } {
  return {
    apiVersion: API,
    kind: 'MCPExternalAuthConfig',
    metadata: { name: 'corp-authserver-client', namespace: 'mcp-prod' },
    spec: {
      type: 'authServer',
      authServer: {
        authServerRef: { name: 'mcp-auth', namespace: 'toolhive-system' },
        upstreamIdp: 'google',
        clientCert: { trustDomain: 'toolhive.local', issuerRef: { name: 'corp-vault-issuer', kind: 'ClusterIssuer' } },
        caBundle: { configMapRef: { name: 'corp-mtls-ca', key: 'ca.crt' } },
      },
    },
  };
}

export function validMCPServer(): KubeObject & { spec: LooseSpec } {
  return {
    apiVersion: API,
    kind: 'MCPServer',
    metadata: { name: 'github-tools', namespace: 'mcp-prod' },
    spec: {
      image: 'ghcr.io/example/github-mcp:1.2.3',
      transport: 'streamable-http',
      oidcConfig: {
        type: 'inline',
        resourceUrl: 'https://github-tools.mcp.example.com/mcp',
        inline: { issuer: 'https://auth.mcp.example.com', audience: 'https://github-tools.mcp.example.com/mcp' },
      },
      externalAuthConfigRef: { name: 'corp-authserver-client' },
    },
  };
}
