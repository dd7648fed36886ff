/**
 * Status computation of spec §3 and §4.1 step 12 as pure functions: conditions are merged so
 * `lastTransitionTime` changes only when a condition's status changes, and phases are derived
 * from conditions. The clock is an argument.
 */
import type { Condition } from './lib/crd-types.ts';

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * Merges `next` into `previous`: a condition keeps its old `lastTransitionTime` when its status
 * did not change (reason/message may still be updated). Output follows the order of `next`.
 *
 * @example
 * mergeConditions(old, [{type: 'Ready', status: 'True', reason: 'Ready', message: ''}], now, 3)
 */
export function mergeConditions(previous: Condition[] | undefined, next: ConditionInput[], now: Date, generation?: number): Condition[] {
  const byType = new Map((previous ?? []).map((c) => [c.type, c]));
  return next.map((c) => {
    const old = byType.get(c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { ...c, lastTransitionTime, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
  });
}

/**
 * @example
 * cond('CAReady', true, 'CAIssued', 'CA is Ready') // {type: 'CAReady', status: 'True', ...}
 */
export function cond(type: string, ok: boolean, reason: string, message: string): ConditionInput {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/** A condition whose outcome is not known yet (an earlier step stopped the pass). */
export function unknown(type: string, reason: string, message: string): ConditionInput {
  return { type, status: 'Unknown', reason, message };
}

/** Condition types of MCPAuthServer, in the order they are reported (spec §3.1 status). */
export const AUTHSERVER_CONDITIONS = ['ConfigValid', 'CAReady', 'CertificateReady', 'ResourceMapSynced', 'DeploymentAvailable'] as const;

/**
 * `Ready` and the phase of an MCPAuthServer from its other conditions (spec §4.1 step 12):
 * `Failed` if `ConfigValid=False`, `Ready` when every other condition is True, else `Pending`.
 * The first non-True condition becomes the summary message, so the user sees what is missing.
 *
 * @example
 * authServerSummary([cond('ConfigValid', true, 'Valid', ''), cond('CAReady', false, 'CertificatePending', 'waiting')])
 * // {phase: 'Pending', ready: {type: 'Ready', status: 'False', reason: 'CertificatePending', ...}}
 */
export function authServerSummary(conditions: ConditionInput[], deleting = false): {
  phase: 'Pending' | 'Ready' | 'Failed' | 'Terminating';
  ready: ConditionInput;
  message: string;
} {
  if (deleting) {
    return { phase: 'Terminating', ready: cond('Ready', false, 'Terminating', 'deleting'), message: 'deleting' };
  }
  const configValid = conditions.find((c) => c.type === 'ConfigValid');
  // An apply error is what the user must see first; otherwise the first missing piece, in order.
  const failing = conditions.find((c) => c.reason === 'ApplyFailed') ?? conditions.find((c) => c.status !== 'True');
  if (configValid && configValid.status === 'False') {
    return { phase: 'Failed', ready: cond('Ready', false, configValid.reason, configValid.message), message: configValid.message };
  }
  if (failing) {
    const message = `${failing.type}: ${failing.message}`;
    const failed = failing.reason === 'ApplyFailed' || failing.reason === 'CertManagerNotInstalled';
    return { phase: failed ? 'Failed' : 'Pending', ready: cond('Ready', false, failing.reason, message), message };
  }
  return { phase: 'Ready', ready: cond('Ready', true, 'Ready', 'all components are ready'), message: 'all components are ready' };
}

/**
 * Phase of an MCPServer (spec §3.3): `Failed` for configuration problems that need a user
 * change, `Running` when everything is True, else `Pending`.
 *
 * @example
 * mcpServerSummary([cond('DeploymentAvailable', true, 'Available', '')]).phase // 'Running'
 */
export function mcpServerSummary(conditions: ConditionInput[], deleting = false): {
  phase: 'Pending' | 'Running' | 'Failed' | 'Terminating';
  ready: ConditionInput;
  message: string;
} {
  if (deleting) return { phase: 'Terminating', ready: cond('Ready', false, 'Terminating', 'deleting'), message: 'deleting' };
  // A problem that needs the user wins over things that are merely not ready yet.
  const blocking = conditions.find((c) => c.status !== 'True' && FAILED_REASONS.has(c.reason));
  const failing = blocking ?? conditions.find((c) => c.status !== 'True');
  if (!failing) return { phase: 'Running', ready: cond('Ready', true, 'Ready', 'running'), message: 'running' };
  const message = `${failing.type}: ${failing.message}`;
  return { phase: blocking ? 'Failed' : 'Pending', ready: cond('Ready', false, failing.reason, message), message };
}

/** Reasons that will not resolve without a change by the user. */
const FAILED_REASONS = new Set([
  'ResourceConflict',
  'TrustDomainMismatch',
  'IssuerMismatch',
  'AudienceMismatch',
  'NameConflict',
  'NotAllowed',
  'InvalidResource',
  'ApplyFailed',
  'CertManagerNotInstalled',
  'InvalidConfig',
  'CABundleRequired',
  'IssuerNotSet',
  'AuthServerNotFound',
]);
