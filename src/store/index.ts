/**
 * Storage of the auth server (spec §5.4): the `AuthStore` contract, its in-memory and Redis
 * backends, encryption at rest for upstream tokens, and the hash used for stored secrets.
 */
export * from './types.ts';
export { createMemoryStore, type MemoryAuthStore, type MemoryStoreOptions, type OwnerIndex, type StoredValue } from './memory-store.ts';
export { createTokenCipher, type EncryptionKeys, type TokenCipher } from './encryption.ts';
export { hashToken } from './hash-token.ts';
export { redisKeyPrefix } from './lib/record-keys.ts';
export { createRedisStore, type RedisStoreOptions } from './redis-store.ts';
