import type { Owner } from '../types.ts';

/**
 * Record key names (spec §5.4), shared by both backends. Redis prepends the prefix of
 * `redisKeyPrefix`; the memory backend uses the names as they are.
 * Identifiers are URL-safe (base64url hashes, UUIDs, DNS-label names), so ':' separates safely.
 */
export const recordKey = {
  client: (clientId: string) => `client:${clientId}`,
  pending: (state: string) => `pending:${state}`,
  authCode: (codeHash: string) => `authcode:${codeHash}`,
  refresh: (hash: string) => `refresh:${hash}`,
  family: (familyId: string) => `family:${familyId}`,
  familyTokens: (familyId: string) => `family:${familyId}:tokens`,
  familyAccess: (familyId: string) => `family:${familyId}:access`,
  deniedAccess: (jti: string) => `access:${jti}`,
  session: (tsid: string) => `session:${tsid}`,
  ownerSessions: (owner: Owner) => `session-owner:${owner.namespace}/${owner.name}`,
  upstream: (tsid: string, provider: string) => `upstream:${tsid}:${provider}`,
  upstreamIndex: (tsid: string) => `upstream-index:${tsid}`,
  userLatestUpstream: (userId: string, provider: string) => `user:${userId}:upstream:${provider}`,
  user: (userId: string) => `user:${userId}`,
  provider: (provider: string, upstreamSubjectHash: string) => `provider:${provider}:${upstreamSubjectHash}`,
  lease: (key: string) => `lease:${key}`,
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Redis key prefix of one auth server: `thv:auth:{<namespace>:<name>}:`. The braces are a Redis
 * Cluster hash tag, so all keys of one auth server live in one slot and Lua scripts and MULTI
 * blocks may touch several of them.
 *
 * @example
 * ```ts
 * redisKeyPrefix({ namespace: 'team-a', name: 'auth' }); // 'thv:auth:{team-a:auth}:'
 * ```
 */
export function redisKeyPrefix(owner: Owner): string {
  for (const field of ['namespace', 'name'] as const) {
    if (!DNS_LABEL.test(owner[field]) || owner[field].length > 253) {
      throw new TypeError(`redisKeyPrefix: ${field} "${owner[field]}" must be a lowercase DNS name`);
    }
  }
  return `thv:auth:{${owner.namespace}:${owner.name}}:`;
}

/** Checks a caller-supplied prefix: must carry a non-empty `{hash tag}` and end with ':'. */
export function checkKeyPrefix(keyPrefix: string): void {
  if (typeof keyPrefix !== 'string' || !/^[^{}]*\{[^{}]+\}[^{}]*:$/.test(keyPrefix)) {
    throw new TypeError(`keyPrefix: "${String(keyPrefix)}" must contain one non-empty {hash tag} and end with ':' (e.g. thv:auth:{ns:name}:)`);
  }
}
