import type { RefreshTokenRecord, Session } from '../types.ts';

/**
 * The memory store's three records that every session has (session, refresh token, refresh
 * family) as positional JSON arrays instead of objects: the field names are written here once
 * instead of into every stored record, and the record's own id, which is already in its key, is
 * left out. ~350 bytes less per session than the object JSON (issue 7: 100,000 sessions in one
 * replica). The memory store lives and dies with the process, so the order below needs no
 * migration, but a field added to `Session` or `RefreshTokenRecord` must be added here too
 * (compact-records.test.ts round-trips records with every field set).
 */

/** A refresh family: its refresh-token hashes, the access tokens issued in it, revocation. */
export interface FamilyRecord {
  tokenHashes: string[];
  accessTokens: Array<{ jti: string; expMs: number }>;
  revokedAtMs: number | null;
}

export type SessionRow = [namespace: string, name: string, resource: string, clientId: string, userId: string, familyId: string, createdAtMs: number, expiresAtMs: number, revokedAtMs: number | null];

export function sessionToRow(session: Session): SessionRow {
  const { owner } = session;
  return [owner.namespace, owner.name, session.resource, session.clientId, session.userId, session.familyId, session.createdAtMs, session.expiresAtMs, session.revokedAtMs ?? null];
}

export function sessionFromRow(tsid: string, row: SessionRow): Session {
  const [namespace, name, resource, clientId, userId, familyId, createdAtMs, expiresAtMs, revokedAtMs] = row;
  const session: Session = { tsid, owner: { namespace, name }, resource, clientId, userId, familyId, createdAtMs, expiresAtMs };
  if (revokedAtMs !== null) session.revokedAtMs = revokedAtMs;
  return session;
}

export type RefreshRow = [familyId: string, clientId: string, tsid: string, userId: string, scopes: string[], resource: string, expiresAtMs: number, usedAtMs: number | null, revokedAtMs: number | null];

export function refreshToRow(record: RefreshTokenRecord): RefreshRow {
  return [record.familyId, record.clientId, record.tsid, record.userId, record.scopes, record.resource, record.expiresAtMs, record.usedAtMs, record.revokedAtMs];
}

export function refreshFromRow(hash: string, row: RefreshRow): RefreshTokenRecord {
  const [familyId, clientId, tsid, userId, scopes, resource, expiresAtMs, usedAtMs, revokedAtMs] = row;
  return { hash, familyId, clientId, tsid, userId, scopes, resource, expiresAtMs, usedAtMs, revokedAtMs };
}

/** Access tokens flattened to `[jti, expMs, jti, expMs, ...]`. */
export type FamilyRow = [tokenHashes: string[], accessTokens: Array<string | number>, revokedAtMs: number | null];

export function familyToRow(family: FamilyRecord): FamilyRow {
  return [family.tokenHashes, family.accessTokens.flatMap((token) => [token.jti, token.expMs]), family.revokedAtMs];
}

export function familyFromRow(row: FamilyRow): FamilyRecord {
  const [tokenHashes, flat, revokedAtMs] = row;
  const accessTokens: FamilyRecord['accessTokens'] = [];
  for (let i = 0; i < flat.length; i += 2) accessTokens.push({ jti: flat[i] as string, expMs: flat[i + 1] as number });
  return { tokenHashes, accessTokens, revokedAtMs };
}
