/**
 * The controller Deployment (config/manager) as the team contract and issue 2 item 5 require:
 * `controller --webhooks`, hardened pod, probes, resources, webhook certificate mount, images for
 * the reconciled workloads, in every operator install.
 */
import type { V1Container, V1Deployment, V1Namespace, V1Probe } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { all, findKustomizations, KUBECTL, one, OPERATOR_INSTALLS, render, type K8sObject } from './lib/kustomize.ts';
import { restrictedViolations } from './lib/pod-security.ts';

const NS = 'mcp-authserver-system';

async function controller(dir: string): Promise<{ objects: K8sObject[]; deployment: V1Deployment; container: V1Container }> {
  const objects = await render(dir);
  const deployment = one<V1Deployment>(objects, 'Deployment', 'mcp-authserver-controller');
  const containers = deployment.spec?.template.spec?.containers ?? [];
  expect(containers.map((c) => c.name)).toEqual(['controller']);
  return { objects, deployment, container: containers[0] as V1Container };
}

function portNumber(container: V1Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function expectHttpProbe(container: V1Container, probe: V1Probe | undefined, path: string): void {
  expect(probe?.httpGet?.path).toBe(path);
  expect(probe?.httpGet?.scheme ?? 'HTTP').toBe('HTTP');
  expect(portNumber(container, probe?.httpGet?.port as number | string | undefined)).toBe(8081);
}

describe.skipIf(!KUBECTL).each(OPERATOR_INSTALLS)('%s controller Deployment', (dir) => {
  it('runs in its own namespace, which enforces the restricted Pod Security Standard', async () => {
    const { objects, deployment } = await controller(dir);
    expect(deployment.metadata?.namespace).toBe(NS);
    const namespace = one<V1Namespace>(objects, 'Namespace', NS);
    expect(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('runs `controller --webhooks` with the webhook TLS files and the health listener of the contract', async () => {
    const { container } = await controller(dir);
    expect(container.command).toBeUndefined(); // the image entrypoint is the mcp-authserver binary
    expect(container.args?.slice(0, 2)).toEqual(['controller', '--webhooks']);
    expect(container.args).toEqual(
      expect.arrayContaining([
        '--webhook-listen=:9443',
        '--tls-cert=/etc/mcp-authserver/webhook-tls/tls.crt',
        '--tls-key=/etc/mcp-authserver/webhook-tls/tls.key',
        '--health-listen=:8081',
        '--leader-elect',
      ]),
    );
    expect(container.ports).toEqual([
      { name: 'webhook', containerPort: 9443, protocol: 'TCP' },
      { name: 'health', containerPort: 8081, protocol: 'TCP' },
    ]);
  });

  it('is hardened: non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, no escalation', async () => {
    const { deployment, container } = await controller(dir);
    const pod = deployment.spec?.template.spec;
    expect(pod && restrictedViolations(pod)).toEqual([]);
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod?.securityContext?.runAsUser).toBeGreaterThan(0);
  });

  it('has liveness /healthz and readiness /readyz over plain HTTP on 8081', async () => {
    const { container } = await controller(dir);
    expectHttpProbe(container, container.livenessProbe, '/healthz');
    expectHttpProbe(container, container.readinessProbe, '/readyz');
  });

  it('sets resource requests and a memory limit', async () => {
    const { container } = await controller(dir);
    expect(container.resources?.requests?.cpu).toBeTruthy();
    expect(container.resources?.requests?.memory).toBeTruthy();
    expect(container.resources?.limits?.memory).toBeTruthy();
  });

  it('mounts the cert-manager webhook Secret read-only at /etc/mcp-authserver/webhook-tls', async () => {
    const { objects, deployment, container } = await controller(dir);
    const mount = container.volumeMounts?.find((m) => m.mountPath === '/etc/mcp-authserver/webhook-tls');
    expect(mount?.readOnly).toBe(true);
    expect(mount?.subPath).toBeUndefined(); // a subPath mount would never see cert-manager's renewals
    const volume = deployment.spec?.template.spec?.volumes?.find((v) => v.name === mount?.name);
    expect(volume?.secret?.secretName).toBe('mcp-authserver-webhook-tls');
    const certificate = one<K8sObject & { spec: { secretName: string } }>(objects, 'Certificate', 'mcp-authserver-webhook-cert');
    expect(certificate.spec.secretName).toBe(volume?.secret?.secretName);
    // Everything writable is an explicit emptyDir (the root filesystem is read-only).
    for (const m of container.volumeMounts ?? []) {
      const v = deployment.spec?.template.spec?.volumes?.find((x) => x.name === m.name);
      expect(m.readOnly === true || v?.emptyDir !== undefined, m.mountPath).toBe(true);
    }
  });

  it('gives the reconciler the image for auth servers and proxies: the controller image itself', async () => {
    const { container } = await controller(dir);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env.TOOLHIVE_AUTHSERVER_IMAGE).toBe(container.image);
    expect(env.TOOLHIVE_PROXY_IMAGE).toBe(container.image);
  });
});

describe.skipIf(!KUBECTL)('every Deployment in config/', () => {
  it('meets the restricted Pod Security Standard and has a read-only root filesystem', async () => {
    const problems: string[] = [];
    for (const dir of findKustomizations()) {
      for (const d of all<V1Deployment>(await render(dir), 'Deployment')) {
        const pod = d.spec?.template.spec;
        for (const p of pod ? restrictedViolations(pod) : ['no pod spec']) problems.push(`${dir} ${d.metadata?.name}: ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
