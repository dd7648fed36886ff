import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runStoreContract, TestClock } from './contract.test-suite.ts';
import { hashToken } from './hash-token.ts';
import { familyFromRow, type FamilyRow } from './lib/compact-records.ts';
import { createMemoryStore, type OwnerIndex, type StoredValue } from './memory-store.ts';

const encryptionKeys = { activeKeyId: 'k1', keys: { k1: randomBytes(32) } };

runStoreContract('memory', async (clock) => {
  const map = new Map<string, StoredValue>();
  const store = createMemoryStore({ encryptionKeys, now: clock.now, sweepIntervalMs: 0, map });
  return {
    store,
    clock,
    rawDump: async () => JSON.stringify([...map.entries()]),
    teardown: () => store.close(),
  };
});

describe('memory store specifics', () => {
  it('sweep() deletes expired records and keeps live ones', async () => {
    const clock = new TestClock();
    const map = new Map<string, StoredValue>();
    const store = createMemoryStore({ encryptionKeys, now: clock.now, sweepIntervalMs: 0, map });
    await store.denyList.deny('short', clock.ms + 1000);
    await store.denyList.deny('long', clock.ms + 5000);
    await store.clients.register({ clientId: 'c', redirectUris: [], grantTypes: [], responseTypes: [], tokenEndpointAuthMethod: 'none', clientIdIssuedAt: 1 });
    expect(store.sweep()).toBe(0);
    clock.advance(1000);
    expect(store.sweep()).toBe(1);
    expect([...map.keys()].sort()).toEqual(['access:long', 'client:c']);
    await store.close();
  });

  it('sweep() also drops expired sessions from their owner index, so it tracks live sessions only', async () => {
    const clock = new TestClock();
    const map = new Map<string, StoredValue>();
    const store = createMemoryStore({ encryptionKeys, now: clock.now, sweepIntervalMs: 0, map });
    const owner = { namespace: 'mcp-prod', name: 'github-tools' };
    const session = (tsid: string, ttlMs: number) => ({ tsid, owner, resource: 'r', clientId: 'c', userId: 'u', familyId: tsid, createdAtMs: clock.ms, expiresAtMs: clock.ms + ttlMs });
    for (let i = 0; i < 50; i++) await store.sessions.create(session(`short-${i}`, 1000));
    await store.sessions.create(session('long', 60_000));
    clock.advance(1000);
    store.sweep();
    const index = (map.get('session-owner:mcp-prod/github-tools') as OwnerIndex).tsids;
    expect([...index]).toEqual(['long']);
    expect(await store.sessions.deleteByOwner(owner)).toBe(1);
    await store.close();
  });

  it('a long-lived session: its family keeps only live refresh-token hashes and unexpired access tokens', async () => {
    const clock = new TestClock();
    const map = new Map<string, StoredValue>();
    const store = createMemoryStore({ encryptionKeys, now: clock.now, sweepIntervalMs: 0, map });
    const familyId = 'fam';
    const token = () => ({ hash: hashToken(randomUUID()), familyId, clientId: 'c', tsid: 't', userId: 'u', scopes: [], resource: 'r', expiresAtMs: clock.ms + 60_000, usedAtMs: null, revokedAtMs: null });
    let current = token();
    await store.refreshTokens.create(current);
    // A refresh every 30 s; refresh and access tokens live 60 s.
    for (let i = 0; i < 50; i++) {
      clock.advance(30_000);
      await store.refreshTokens.addAccessToken(familyId, `jti-${i}`, clock.ms + 60_000);
      const next = token();
      expect(await store.refreshTokens.rotate(current.hash, next, clock.ms)).toBe('ok');
      current = next;
    }
    const family = familyFromRow((JSON.parse(map.get(`family:${familyId}`) as string) as [number, FamilyRow])[1]);
    expect(family.tokenHashes.length).toBeLessThanOrEqual(3); // without pruning 51
    expect(family.tokenHashes).toContain(current.hash);
    expect(family.accessTokens.map((t) => t.jti)).toEqual(['jti-48', 'jti-49']); // without pruning 50
    // Revocation still reaches the live token and the live access tokens.
    await store.refreshTokens.revokeFamily(familyId, clock.ms);
    expect((await store.refreshTokens.get(current.hash))?.revokedAtMs).toBe(clock.ms);
    expect(await store.denyList.isDenied('jti-49')).toBe(true);
    await store.close();
  });

  it('reads with a rotated key set: rows written under the old key stay readable', async () => {
    const clock = new TestClock();
    const map = new Map<string, StoredValue>();
    const k1 = randomBytes(32);
    const before = createMemoryStore({ encryptionKeys: { activeKeyId: 'k1', keys: { k1 } }, now: clock.now, sweepIntervalMs: 0, map });
    const tokens = {
      provider: 'github',
      accessToken: 'a',
      refreshToken: 'r',
      expiresAtMs: 0,
      sessionExpiresAtMs: clock.ms + 60_000,
      userId: 'u',
      upstreamSubject: 's',
      clientId: 'c',
    };
    await before.upstreamTokens.store('tsid', 'github', tokens);
    const after = createMemoryStore({ encryptionKeys: { activeKeyId: 'k2', keys: { k1, k2: randomBytes(32) } }, now: clock.now, sweepIntervalMs: 0, map });
    expect((await after.upstreamTokens.get('tsid', 'github', clock.ms))?.tokens).toEqual(tokens);
    await after.upstreamTokens.store('tsid', 'github', { ...tokens, accessToken: 'a2', refreshToken: '' });
    // The binary sealed row names its key: format 0x01, key id length 2, "k2".
    expect(map.get('upstream:tsid:github')).toContain(',\x01\x02k2');
    expect((await after.upstreamTokens.get('tsid', 'github', clock.ms))?.tokens).toMatchObject({ accessToken: 'a2', refreshToken: 'r' });
    // A store without k1 any more reports the row as undecryptable instead of returning garbage.
    const retired = createMemoryStore({ encryptionKeys: { activeKeyId: 'k3', keys: { k3: randomBytes(32) } }, now: clock.now, sweepIntervalMs: 0, map });
    await expect(retired.upstreamTokens.get('tsid', 'github', clock.ms)).rejects.toMatchObject({ code: 'decrypt_failed' });
    await Promise.all([before.close(), after.close(), retired.close()]);
  });

  it('a ciphertext copied to another session row fails with decrypt_failed', async () => {
    const clock = new TestClock();
    const map = new Map<string, StoredValue>();
    const store = createMemoryStore({ encryptionKeys, now: clock.now, sweepIntervalMs: 0, map });
    const tokens = { provider: 'github', accessToken: 'a', refreshToken: 'r', expiresAtMs: 0, sessionExpiresAtMs: clock.ms + 60_000, userId: 'u', upstreamSubject: 's', clientId: 'c' };
    await store.upstreamTokens.store('victim', 'github', tokens);
    await store.upstreamTokens.store('attacker', 'github', { ...tokens, accessToken: 'mine' });
    map.set('upstream:attacker:github', map.get('upstream:victim:github')!);
    await expect(store.upstreamTokens.get('attacker', 'github', clock.ms)).rejects.toMatchObject({ code: 'decrypt_failed' });
    await store.close();
  });
});
