import { createHash } from 'node:crypto';

/**
 * Spec §6.3: identifiers that must not appear raw in logs (tsid, upstream subject) are logged as
 * the first 16 hex characters of their SHA-256.
 *
 * @example
 * hashForLog('tsid-value') // '9f2c...' (16 hex chars)
 */
export function hashForLog(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}
