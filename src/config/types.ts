/**
 * The resolved auth-server configuration: camelCase, units in names, secrets read from their
 * files. Built by loadConfig (from config.json) or directly by tests and the dev stack.
 */
export type SigningAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

export interface SigningKeyConfig {
  /** Where the PEM came from (file path), for messages; never the key itself. */
  source: string;
  pem: string;
  algorithm: SigningAlgorithm;
}

export interface UpstreamConfig {
  name: string;
  type: 'oidc';
  issuerUrl: string;
  clientId: string;
  /** Absent for public upstream clients. */
  clientSecret?: string;
  redirectUri: string;
  scopes: string[];
}

export interface AllowedSubjectsConfig {
  trustDomain: string;
  allowedNamespaces: string[];
  allowedNames: string[];
  allowedServers: Array<{ namespace: string; name: string }>;
}

export interface RedisStorageConfig {
  /** redis:// or rediss:// URL including credentials when configured. */
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  tls: boolean;
  caPem?: string;
}

export interface EncryptionKeys {
  activeKeyId: string;
  keys: Record<string, Buffer>;
}

export interface AuthServerConfig {
  issuer: string;
  publicListenAddr: string;
  internalListenAddr: string;
  publicTls: boolean;
  tls?: {
    certFile: string;
    keyFile: string;
    clientCaFile?: string;
    minVersion: 'TLSv1.2' | 'TLSv1.3';
    reloadIntervalMs: number;
  };
  signingKeys: SigningKeyConfig[];
  tokenLifespans: { accessTokenSeconds: number; refreshTokenSeconds: number; authCodeSeconds: number };
  upstreams: UpstreamConfig[];
  /** Upper bound of every call to an upstream IdP (discovery, code exchange, refresh). */
  upstreamTimeoutMs: number;
  allowedSubjects?: AllowedSubjectsConfig;
  resourceMapFile: string;
  resourceMapPollIntervalMs: number;
  /** Advertised in discovery; empty = not advertised. */
  scopesSupported: string[];
  storage: { type: 'memory' } | { type: 'redis'; redis: RedisStorageConfig };
  /** Keys for upstream tokens at rest; first is active. Generated per process when absent (memory only). */
  encryptionKeys?: EncryptionKeys;
  /** maxClients: registrations beyond it get 503 + Retry-After; default in config/defaults.ts. */
  dcr: { ratePerSecond: number; burst: number; allowConfidential: boolean; maxClients?: number };
  /** Process-wide budget for new authorizations (each stores a pending row); default in config/defaults.ts. */
  authorize?: { ratePerSecond: number; burst: number };
  clientIdMetadataDocuments: {
    enabled: boolean;
    allowPrivateAddresses: boolean;
    fetchTimeoutMs: number;
    maxBytes: number;
    cacheTtlMs: number;
  };
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
}
