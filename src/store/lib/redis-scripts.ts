import { createHash } from 'node:crypto';

/**
 * Lua scripts for the operations keyv cannot make atomic (spec §5.4). Each script runs as one
 * atomic step in Redis, so nothing is ever half-written and concurrent callers are serialized.
 * Keys a script derives from record contents (family, index and pointer keys) share the
 * `{hash tag}` of the prefix, so they live in the same Cluster slot as KEYS[1].
 *
 * Numbers travel as decimal strings; records are JSON strings written by TypeScript and never
 * re-encoded in Lua (cjson would turn `[]` into `{}`); mutable fields live beside them in hashes.
 */

const HELPERS = `
local function extend(key, ttl)
  local current = redis.call('PTTL', key)
  if current == -1 or (current >= 0 and current < ttl) then redis.call('PEXPIRE', key, ttl) end
end

local function revoke_family(prefix, family_id, now_ms, marker_ttl)
  local fam = prefix .. 'family:' .. family_id
  redis.call('HSETNX', fam, 'revokedAtMs', now_ms)
  extend(fam, marker_ttl)
  for _, hash in ipairs(redis.call('SMEMBERS', fam .. ':tokens')) do
    local token = prefix .. 'refresh:' .. hash
    if redis.call('EXISTS', token) == 1 then redis.call('HSETNX', token, 'revokedAtMs', now_ms) end
  end
  local access = redis.call('ZRANGEBYSCORE', fam .. ':access', '(' .. now_ms, '+inf', 'WITHSCORES')
  for i = 1, #access, 2 do
    local ttl = math.max(1, tonumber(access[i + 1]) - tonumber(now_ms))
    redis.call('SET', prefix .. 'access:' .. access[i], access[i + 1], 'PX', ttl)
  end
end

local function add_token(prefix, key, hash, rec, family_id, expires_at_ms, ttl, used_at, revoked_at)
  local fam = prefix .. 'family:' .. family_id
  redis.call('DEL', key)
  redis.call('HSET', key, 'rec', rec, 'familyId', family_id, 'expiresAtMs', expires_at_ms)
  if used_at ~= '' then redis.call('HSET', key, 'usedAtMs', used_at) end
  local family_revoked = redis.call('HGET', fam, 'revokedAtMs')
  if revoked_at ~= '' then
    redis.call('HSET', key, 'revokedAtMs', revoked_at)
  elseif family_revoked then
    redis.call('HSET', key, 'revokedAtMs', family_revoked)
  end
  redis.call('PEXPIRE', key, ttl)
  redis.call('HSETNX', fam, 'exists', '1')
  extend(fam, ttl)
  -- Members whose token expired (its key is gone) are dropped, or the set of a session that
  -- lives on through rotations would grow by one hash per refresh forever.
  for _, member in ipairs(redis.call('SMEMBERS', fam .. ':tokens')) do
    if redis.call('EXISTS', prefix .. 'refresh:' .. member) == 0 then redis.call('SREM', fam .. ':tokens', member) end
  end
  redis.call('SADD', fam .. ':tokens', hash)
  extend(fam .. ':tokens', ttl)
end

local function delete_upstream(prefix, tsid)
  local index = prefix .. 'upstream-index:' .. tsid
  for _, provider in ipairs(redis.call('SMEMBERS', index)) do
    redis.call('DEL', prefix .. 'upstream:' .. tsid .. ':' .. provider)
  end
  redis.call('DEL', index)
end
`;

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

function script(name: string, body: string): LuaScript {
  const source = `${HELPERS}\n${body}`;
  return { name, source, sha1: createHash('sha1').update(source).digest('hex') };
}

/** KEYS[1] code key → false | { rec, firstUse (1|0) }. */
export const CONSUME_CODE = script(
  'consume_code',
  `
local rec = redis.call('HGET', KEYS[1], 'rec')
if not rec then return false end
local first = redis.call('HSETNX', KEYS[1], 'used', '1')
return { rec, first }
`,
);

/** KEYS[1] refresh key; ARGV prefix, hash, rec, familyId, expiresAtMs, ttlMs, usedAtMs|'', revokedAtMs|''. */
export const CREATE_REFRESH = script(
  'create_refresh',
  `
add_token(ARGV[1], KEYS[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8])
return 1
`,
);

/**
 * The refresh rotation state machine of `decideRotate` (lib/decisions.ts), as one atomic step:
 * compare-and-set on usedAtMs, store the next token, and on replay revoke the whole family.
 * KEYS[1] presented token, KEYS[2] next token; ARGV prefix, nowMs, nextHash, nextRec,
 * nextFamilyId, nextExpiresAtMs, nextTtlMs, markerTtlMs.
 */
export const ROTATE_REFRESH = script(
  'rotate_refresh',
  `
local prefix, now_ms = ARGV[1], ARGV[2]
local old = redis.call('HMGET', KEYS[1], 'familyId', 'expiresAtMs', 'usedAtMs', 'revokedAtMs')
if not old[1] then return 'not_found' end
local family_id = old[1]
if old[3] then
  revoke_family(prefix, family_id, now_ms, tonumber(ARGV[8]))
  return 'replay'
end
if old[4] or redis.call('HEXISTS', prefix .. 'family:' .. family_id, 'revokedAtMs') == 1 then return 'revoked' end
if tonumber(old[2]) <= tonumber(now_ms) then return 'expired' end
if family_id ~= ARGV[5] then return redis.error_reply('internal error: rotate: next.familyId differs from the presented token family') end
redis.call('HSET', KEYS[1], 'usedAtMs', now_ms)
add_token(prefix, KEYS[2], ARGV[3], ARGV[4], family_id, ARGV[6], tonumber(ARGV[7]), '', '')
return 'ok'
`,
);

/** KEYS[1] family key; ARGV prefix, familyId, nowMs, markerTtlMs. */
export const REVOKE_FAMILY = script(
  'revoke_family',
  `
revoke_family(ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]))
return 1
`,
);

/** KEYS[1] family key; ARGV prefix, jti, expMs, ttlMs, nowMs. A jti added to a revoked family is denied at once. */
export const ADD_ACCESS_TOKEN = script(
  'add_access_token',
  `
local fam, jti, exp_ms, ttl = KEYS[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', fam .. ':access', '-inf', ARGV[5])
redis.call('ZADD', fam .. ':access', exp_ms, jti)
extend(fam .. ':access', ttl)
redis.call('HSETNX', fam, 'exists', '1')
extend(fam, ttl)
if redis.call('HEXISTS', fam, 'revokedAtMs') == 1 then
  redis.call('SET', ARGV[1] .. 'access:' .. jti, exp_ms, 'PX', ttl)
end
return 1
`,
);

/** KEYS[1] session key, KEYS[2] owner index; ARGV tsid, rec, expiresAtMs, ttlMs, session-key prefix. */
export const CREATE_SESSION = script(
  'create_session',
  `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'expiresAtMs', ARGV[3], 'ownerKey', KEYS[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('SADD', KEYS[2], ARGV[1])
extend(KEYS[2], tonumber(ARGV[4]))
-- Sessions expire by TTL but their ids stay in the owner set, which every login keeps alive:
-- drop a few dead ids per login (sampling, like Redis's own expiry) so the set tracks live ones.
for _, t in ipairs(redis.call('SRANDMEMBER', KEYS[2], 3)) do
  if redis.call('EXISTS', ARGV[5] .. t) == 0 then redis.call('SREM', KEYS[2], t) end
end
return 1
`,
);

/** KEYS[1] session key; ARGV prefix, tsid, expiresAtMs, ttlMs. Never shortens. Moves the upstream rows too. */
export const EXTEND_SESSION = script(
  'extend_session',
  `
local prefix, tsid, expires_at, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local current = redis.call('HMGET', KEYS[1], 'expiresAtMs', 'ownerKey')
if not current[1] then return 0 end
if tonumber(expires_at) > tonumber(current[1]) then
  redis.call('HSET', KEYS[1], 'expiresAtMs', expires_at)
  extend(KEYS[1], ttl)
end
local index = prefix .. 'upstream-index:' .. tsid
for _, provider in ipairs(redis.call('SMEMBERS', index)) do
  local row = prefix .. 'upstream:' .. tsid .. ':' .. provider
  local row_expiry = redis.call('HGET', row, 'sessionExpiresAtMs')
  if row_expiry and tonumber(expires_at) > tonumber(row_expiry) then
    redis.call('HSET', row, 'sessionExpiresAtMs', expires_at)
    extend(row, ttl)
  end
end
extend(index, ttl)
if current[2] then extend(current[2], ttl) end
return 1
`,
);

/** KEYS[1] session key; ARGV nowMs. Keeps the first revocation time. */
export const REVOKE_SESSION = script(
  'revoke_session',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSETNX', KEYS[1], 'revokedAtMs', ARGV[1]) end
return 1
`,
);

/** KEYS[1] session key; ARGV prefix, tsid. Deletes the session, its upstream rows and its owner-index entry. */
export const DELETE_SESSION = script(
  'delete_session',
  `
local owner_key = redis.call('HGET', KEYS[1], 'ownerKey')
redis.call('DEL', KEYS[1])
if owner_key then redis.call('SREM', owner_key, ARGV[2]) end
delete_upstream(ARGV[1], ARGV[2])
return 1
`,
);

/** KEYS[1] owner index; ARGV prefix, nowMs. Returns how many live sessions were deleted. */
export const DELETE_BY_OWNER = script(
  'delete_by_owner',
  `
local prefix, now_ms = ARGV[1], tonumber(ARGV[2])
local deleted = 0
for _, tsid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local session = prefix .. 'session:' .. tsid
  local fields = redis.call('HMGET', session, 'ownerKey', 'expiresAtMs')
  if fields[1] == KEYS[1] then
    if tonumber(fields[2]) > now_ms then deleted = deleted + 1 end
    redis.call('DEL', session)
    delete_upstream(prefix, tsid)
  end
end
redis.call('DEL', KEYS[1])
return deleted
`,
);

/**
 * Compare-and-set of one upstream row (the caller merged it with the row it read).
 * KEYS[1] row, KEYS[2] index, KEYS[3] user pointer; ARGV expectedSealed|'', sealed,
 * sessionExpiresAtMs, ttlMs, provider, tsid. Returns 0 when the row changed meanwhile.
 */
export const STORE_UPSTREAM = script(
  'store_upstream',
  `
local current = redis.call('HGET', KEYS[1], 'sealed') or ''
if current ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'sealed', ARGV[2], 'sessionExpiresAtMs', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SADD', KEYS[2], ARGV[5])
extend(KEYS[2], ttl)
redis.call('SET', KEYS[3], ARGV[6], 'PX', ttl)
return 1
`,
);

/** KEYS[1] upstream index; ARGV prefix, tsid. */
export const DELETE_UPSTREAM = script(
  'delete_upstream',
  `
delete_upstream(ARGV[1], ARGV[2])
return 1
`,
);

/** KEYS[1] row, KEYS[2] index; ARGV provider. */
export const DELETE_UPSTREAM_PROVIDER = script(
  'delete_upstream_provider',
  `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`,
);

/**
 * KEYS[1] provider mapping; ARGV prefix, newUserId, newUserRecord. Creates the mapping and user
 * record together, or returns the existing id and record (false when the record is missing).
 */
export const RESOLVE_USER = script(
  'resolve_user',
  `
local id = redis.call('GET', KEYS[1])
if not id then
  redis.call('SET', KEYS[1], ARGV[2])
  redis.call('SET', ARGV[1] .. 'user:' .. ARGV[2], ARGV[3])
  return { ARGV[2], ARGV[3] }
end
return { id, redis.call('GET', ARGV[1] .. 'user:' .. id) or false }
`,
);

/** KEYS[1] lease; ARGV holder. Compare-and-delete: only the holder releases. */
export const RELEASE_LEASE = script(
  'release_lease',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);
