// Two controller replicas against the fake API server (it stands in for kube-apiserver, which
// cannot run here): only the Lease holder writes anything; when the leader dies without handing
// the Lease back, the other takes over only once the Lease has expired on its (injected) clock.
import { afterEach, describe, expect, it } from 'vitest';
import { Controller, KubeApplier, type Applier } from '../../src/controller/index.ts';
import { API, authServer, ecPem, eventually, installCrds, putSecret , startFakeApiServer } from './helpers.ts';

const LEASE_NS = 'mcp-authserver-system';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** Counts every write a replica makes. */
function countingApplier(inner: Applier): { applier: Applier; writes: () => number } {
  let writes = 0;
  const applier: Applier = {
    apply: (o, opt) => (writes++, inner.apply(o, opt)),
    createIfAbsent: (o) => (writes++, inner.createIfAbsent(o)),
    get: (r) => inner.get(r),
    list: (...a) => inner.list(...a),
    delete: (r) => (writes++, inner.delete(r)),
    prune: (...a) => inner.prune(...a),
    applyStatus: (...a) => (writes++, inner.applyStatus(...a)),
    setFinalizers: (...a) => (writes++, inner.setFinalizers(...a)),
  };
  return { applier, writes: () => writes };
}

describe('leader election', () => {
  it('one replica acts; after the leader dies the other takes over only after lease expiry', async () => {
    const server = await startFakeApiServer();
    cleanup.push(() => server.stop());
    installCrds(server);
    let clock = new Date('2026-11-28T10:00:00Z');
    const now = () => clock;
    const replica = (identity: string) => {
      const counted = countingApplier(new KubeApplier(server.kubeConfig()));
      const controller = new Controller({
        kubeConfig: server.kubeConfig(),
        applier: counted.applier,
        now,
        informerRestartDelayMs: 50,
        leaderElection: { enabled: true, namespace: LEASE_NS, identity, leaseDurationSeconds: 15, retryPeriodMs: 30 },
      });
      return { controller, writes: counted.writes };
    };
    const a = replica('replica-a');
    const b = replica('replica-b');
    await a.controller.start();
    await eventually(() => a.controller.isLeader, 'replica-a leads');
    await b.controller.start();
    cleanup.push(() => b.controller.stop());

    putSecret(server, 'toolhive-system', 'as-signing', { 'private.pem': ecPem() });
    putSecret(server, 'toolhive-system', 'okta-client', { 'client-secret': 's' });
    server.putObject(authServer('toolhive-system', 'mcp-auth'));
    await eventually(() => server.getObject(API, 'MCPAuthServer', 'toolhive-system', 'mcp-auth')?.status, 'status written by the leader');
    expect(a.writes()).toBeGreaterThan(0);
    expect(b.controller.isLeader).toBe(false);
    expect(b.writes()).toBe(0);
    expect(server.getObject('coordination.k8s.io/v1', 'Lease', LEASE_NS, 'mcp-authserver-controller')?.spec).toMatchObject({ holderIdentity: 'replica-a', leaseDurationSeconds: 15 });

    // The leader dies without releasing the Lease.
    await a.controller.stop({ releaseLease: false });
    const leaseReads = () => server.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/leases/mcp-authserver-controller')).length;
    const before = leaseReads();
    await eventually(() => leaseReads() >= before + 5, 'replica-b retries while the lease is fresh');
    expect(b.controller.isLeader).toBe(false);
    expect(b.writes()).toBe(0);

    clock = new Date(clock.getTime() + 16_000);
    await eventually(() => b.controller.isLeader, 'replica-b takes over after expiry');
    expect(server.getObject('coordination.k8s.io/v1', 'Lease', LEASE_NS, 'mcp-authserver-controller')?.spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });
    server.putObject({ apiVersion: API, kind: 'MCPServer', metadata: { name: 'srv', namespace: 'mcp-prod' }, spec: { image: 'x' } });
    await eventually(() => server.getObject('apps/v1', 'Deployment', 'mcp-prod', 'srv'), 'the new leader reconciles');
    expect(b.writes()).toBeGreaterThan(0);

    // A graceful stop hands the Lease back at once.
    await b.controller.stop();
    expect(server.getObject('coordination.k8s.io/v1', 'Lease', LEASE_NS, 'mcp-authserver-controller')?.spec).not.toHaveProperty('holderIdentity');
  });

  it('a lost race on the Lease (409) leaves the replica a follower', async () => {
    const server = await startFakeApiServer();
    cleanup.push(() => server.stop());
    installCrds(server);
    server.failNext({ method: 'POST', pathIncludes: '/leases', status: 409 });
    const c = new Controller({ kubeConfig: server.kubeConfig(), leaderElection: { enabled: true, namespace: LEASE_NS, identity: 'x', retryPeriodMs: 30 } });
    await c.start();
    cleanup.push(() => c.stop());
    await eventually(() => server.requests.some((r) => r.method === 'POST' && r.path.includes('/leases') && r.status === 409), 'the conflicting create');
    await eventually(() => c.isLeader, 'leader on the next attempt');
    const posts = server.requests.filter((r) => r.method === 'POST' && r.path.includes('/leases'));
    expect(posts[0]!.status).toBe(409);
  });
});
