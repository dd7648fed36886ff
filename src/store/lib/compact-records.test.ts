import { describe, expect, it } from 'vitest';
import type { RefreshTokenRecord, Session } from '../types.ts';
import { familyFromRow, familyToRow, refreshFromRow, refreshToRow, sessionFromRow, sessionToRow, type FamilyRecord } from './compact-records.ts';

/** Through JSON, as the memory store keeps them. */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

// Every field set: a field added to the type but not to the row would be lost here.
const session: Required<Session> = {
  tsid: 'tsid-1',
  owner: { namespace: 'mcp-prod', name: 'github-tools' },
  resource: 'https://github-tools.mcp.example.com/mcp',
  clientId: 'client-1',
  userId: 'user-1',
  familyId: 'family-1',
  createdAtMs: 1_000,
  expiresAtMs: 2_000,
  revokedAtMs: 1_500,
};
const refresh: Required<RefreshTokenRecord> = {
  hash: 'hash-1',
  familyId: 'family-1',
  clientId: 'client-1',
  tsid: 'tsid-1',
  userId: 'user-1',
  scopes: ['openid', 'profile'],
  resource: 'https://github-tools.mcp.example.com/mcp',
  expiresAtMs: 2_000,
  usedAtMs: 1_200,
  revokedAtMs: 1_300,
};

describe('compact records (the memory store rows)', () => {
  it('round-trips a session with every field, and one that was never revoked without revokedAtMs', () => {
    expect(sessionFromRow('tsid-1', viaJson(sessionToRow(session)))).toStrictEqual(session);
    const { revokedAtMs: _, ...live } = session;
    const back = sessionFromRow('tsid-1', viaJson(sessionToRow(live)));
    expect(back).toStrictEqual(live);
    expect('revokedAtMs' in back).toBe(false);
  });

  it('round-trips a refresh-token record with every field, and with nulls', () => {
    expect(refreshFromRow('hash-1', viaJson(refreshToRow(refresh)))).toStrictEqual(refresh);
    const fresh = { ...refresh, usedAtMs: null, revokedAtMs: null };
    expect(refreshFromRow('hash-1', viaJson(refreshToRow(fresh)))).toStrictEqual(fresh);
  });

  it('round-trips a family, its access tokens in order', () => {
    const family: FamilyRecord = { tokenHashes: ['h1', 'h2'], accessTokens: [{ jti: 'j1', expMs: 10 }, { jti: 'j2', expMs: 20 }], revokedAtMs: 5 };
    expect(familyFromRow(viaJson(familyToRow(family)))).toStrictEqual(family);
    const empty: FamilyRecord = { tokenHashes: [], accessTokens: [], revokedAtMs: null };
    expect(familyFromRow(viaJson(familyToRow(empty)))).toStrictEqual(empty);
  });

  it('leaves out the field names and the id the key already holds', () => {
    const text = JSON.stringify(sessionToRow(session)) + JSON.stringify(refreshToRow(refresh));
    for (const name of ['tsid', 'owner', 'familyId', 'expiresAtMs', 'hash']) expect(text).not.toContain(`"${name}"`);
    expect(JSON.stringify(refreshToRow(refresh))).not.toContain('hash-1');
    expect(JSON.stringify(sessionToRow(session)).length).toBeLessThan(JSON.stringify(session).length * 0.65);
  });
});
