import { describe, expect, it } from 'vitest';
import { checkKeyPrefix, recordKey, redisKeyPrefix } from './record-keys.ts';

describe('redisKeyPrefix', () => {
  it('builds the hash-tagged prefix of spec §5.4', () => {
    expect(redisKeyPrefix({ namespace: 'team-a', name: 'auth' })).toBe('thv:auth:{team-a:auth}:');
    expect(() => checkKeyPrefix(redisKeyPrefix({ namespace: 'a', name: 'b' }))).not.toThrow();
  });

  it.each([
    [{ namespace: 'Team', name: 'auth' }, /namespace "Team" must be a lowercase DNS name/],
    [{ namespace: 'ns', name: 'a}b' }, /name "a}b" must be a lowercase DNS name/],
    [{ namespace: '', name: 'auth' }, /namespace "" must be/],
  ])('rejects %j', (owner, message) => {
    expect(() => redisKeyPrefix(owner)).toThrow(message);
  });
});

describe('checkKeyPrefix', () => {
  it.each(['thv:auth:{default}:', '{x}:', 'app:{ns:name}:sub:'])('accepts %j', (prefix) => {
    expect(() => checkKeyPrefix(prefix)).not.toThrow();
  });
  it.each(['thv:auth:', 'thv:auth:{}:', 'thv:{a}:{b}:', 'thv:auth:{x}', ''])('rejects %j, naming keyPrefix', (prefix) => {
    expect(() => checkKeyPrefix(prefix)).toThrow(/^keyPrefix: /);
  });
});

describe('recordKey', () => {
  it('uses the record types of spec §5.4', () => {
    expect(recordKey.upstream('tsid1', 'github')).toBe('upstream:tsid1:github');
    expect(recordKey.authCode('h')).toBe('authcode:h');
    expect(recordKey.ownerSessions({ namespace: 'ns', name: 'srv' })).toBe('session-owner:ns/srv');
  });
});
