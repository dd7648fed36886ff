import { describe, expect, it } from 'vitest';
import { authServerSummary, cond, mcpServerSummary, mergeConditions, unknown } from './status.ts';

const t0 = new Date('2026-11-28T10:00:00.123Z');
const t1 = new Date('2026-11-28T10:05:00Z');

describe('mergeConditions', () => {
  it('keeps lastTransitionTime while the status is unchanged, even if reason/message change', () => {
    const first = mergeConditions(undefined, [cond('CertificateReady', false, 'CertificatePending', 'waiting')], t0, 1);
    expect(first[0]).toEqual({ type: 'CertificateReady', status: 'False', reason: 'CertificatePending', message: 'waiting', lastTransitionTime: '2026-11-28T10:00:00Z', observedGeneration: 1 });
    const again = mergeConditions(first, [cond('CertificateReady', false, 'CertificatePending', 'still waiting')], t1, 2);
    expect(again[0]!.lastTransitionTime).toBe('2026-11-28T10:00:00Z');
    expect(again[0]!.message).toBe('still waiting');
    expect(again[0]!.observedGeneration).toBe(2);
    const flipped = mergeConditions(again, [cond('CertificateReady', true, 'Issued', 'ok')], t1, 2);
    expect(flipped[0]!.lastTransitionTime).toBe('2026-11-28T10:05:00Z');
  });

  it('drops conditions not in the new set and follows the new order', () => {
    const prev = mergeConditions(undefined, [cond('A', true, 'x', ''), cond('B', true, 'x', '')], t0);
    expect(mergeConditions(prev, [cond('B', true, 'x', '')], t1).map((c) => c.type)).toEqual(['B']);
  });
});

describe('authServerSummary', () => {
  it('Failed when ConfigValid is False, with its message', () => {
    const s = authServerSummary([cond('ConfigValid', false, 'SecretNotFound', 'Secret ns/x not found'), unknown('CAReady', 'NotReconciled', '')]);
    expect(s.phase).toBe('Failed');
    expect(s.ready).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
  });

  it('Pending names the first missing piece', () => {
    const s = authServerSummary([cond('ConfigValid', true, 'Valid', ''), cond('CAReady', true, 'CAIssued', ''), cond('CertificateReady', false, 'CertificatePending', 'waiting for mcp-auth-tls')]);
    expect(s.phase).toBe('Pending');
    expect(s.message).toBe('CertificateReady: waiting for mcp-auth-tls');
  });

  it('Ready only when all are True; Terminating when deleting', () => {
    expect(authServerSummary([cond('ConfigValid', true, 'Valid', ''), cond('DeploymentAvailable', true, 'Available', '')]).phase).toBe('Ready');
    expect(authServerSummary([cond('ConfigValid', true, 'Valid', '')], true).phase).toBe('Terminating');
    expect(authServerSummary([cond('ConfigValid', true, 'Valid', ''), cond('CAReady', false, 'CertManagerNotInstalled', 'x')]).phase).toBe('Failed');
  });
});

describe('mcpServerSummary', () => {
  it('Running, Pending, Failed by reason', () => {
    expect(mcpServerSummary([cond('DeploymentAvailable', true, 'Available', '')]).phase).toBe('Running');
    expect(mcpServerSummary([cond('AuthServerClientCertReady', false, 'CertificatePending', '')]).phase).toBe('Pending');
    expect(mcpServerSummary([cond('AuthServerResourceRegistered', false, 'ResourceConflict', 'taken')]).phase).toBe('Failed');
  });
});
