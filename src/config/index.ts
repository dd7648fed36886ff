export { loadConfig, resolveConfig, isLoopbackHost, type LoadConfigOptions } from './load-config.ts';
export { ConfigError, type ConfigErrorCode } from './errors.ts';
export { parseDurationMs } from './duration.ts';
export { DEFAULTS } from './defaults.ts';
export type {
  AuthServerConfig,
  SigningKeyConfig,
  SigningAlgorithm,
  UpstreamConfig,
  AllowedSubjectsConfig,
  RedisStorageConfig,
  EncryptionKeys,
} from './types.ts';
