/**
 * The overlays: dev (local image), production (3 replicas, PDB, spread, enterprise-issuer
 * placeholder) and ha (3 auth-server replicas on Redis).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Deployment, V1NetworkPolicy, V1PodDisruptionBudget, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { validate } from '../../src/api/v1alpha1/index.ts';
import { DEFAULT_SETTINGS, desired } from '../../src/controller/index.ts';
import { all, CONFIG_DIR, KUBECTL, one, render, type K8sObject } from './lib/kustomize.ts';

type Certificate = K8sObject & { spec: { issuerRef: { group?: string; kind?: string; name: string } } };

function controllerOf(objects: K8sObject[]): V1Deployment {
  return one<V1Deployment>(objects, 'Deployment', 'mcp-authserver-controller');
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

describe.skipIf(!KUBECTL)('config/default', () => {
  it('uses the placeholder image and one replica, with the self-signed webhook issuer', async () => {
    const objects = await render('config/default');
    const deployment = controllerOf(objects);
    expect(deployment.spec?.replicas).toBe(1);
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/example/mcp-authserver:latest');
    const issuerRef = one<Certificate>(objects, 'Certificate').spec.issuerRef;
    const issuer = one(objects, 'Issuer', issuerRef.name) as K8sObject & { spec: Record<string, unknown> };
    expect(issuerRef.kind).toBe('Issuer');
    expect(issuer.metadata.namespace).toBe('mcp-authserver-system');
    expect(issuer.spec).toEqual({ selfSigned: {} });
  });
});

describe.skipIf(!KUBECTL)('config/overlays/dev', () => {
  it('runs the locally loaded image mcp-authserver:dev, also for the reconciled auth servers and proxies', async () => {
    const container = controllerOf(await render('config/overlays/dev')).spec?.template.spec?.containers[0];
    expect(container?.image).toBe('mcp-authserver:dev');
    expect(container?.imagePullPolicy).toBe('IfNotPresent');
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ TOOLHIVE_AUTHSERVER_IMAGE: 'mcp-authserver:dev', TOOLHIVE_PROXY_IMAGE: 'mcp-authserver:dev' });
  });
});

describe.skipIf(!KUBECTL)('config/overlays/production', () => {
  it('runs 3 controller/webhook replicas with rolling updates that keep two up', async () => {
    const deployment = controllerOf(await render('config/overlays/production'));
    expect(deployment.spec?.replicas).toBe(3);
    expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(1);
  });

  it('has a PodDisruptionBudget with minAvailable 2 that selects the controller pods', async () => {
    const objects = await render('config/overlays/production');
    const pdb = one<V1PodDisruptionBudget>(objects, 'PodDisruptionBudget');
    expect(pdb.spec?.minAvailable).toBe(2);
    expect(pdb.metadata?.namespace).toBe('mcp-authserver-system');
    expect(matches(pdb.spec?.selector?.matchLabels, controllerOf(objects).spec?.template.metadata?.labels)).toBe(true);
  });

  it('spreads the replicas over nodes (pod anti-affinity) and zones', async () => {
    const deployment = controllerOf(await render('config/overlays/production'));
    const pod = deployment.spec?.template;
    const terms = pod?.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    const hostTerm = terms.find((t) => t.podAffinityTerm.topologyKey === 'kubernetes.io/hostname');
    expect(matches(hostTerm?.podAffinityTerm.labelSelector?.matchLabels, pod?.metadata?.labels)).toBe(true);
    const zone = pod?.spec?.topologySpreadConstraints?.find((c) => c.topologyKey === 'topology.kubernetes.io/zone');
    expect(matches(zone?.labelSelector?.matchLabels, pod?.metadata?.labels)).toBe(true);
  });

  it('points the webhook Certificate at the (placeholder) enterprise ClusterIssuer and drops the self-signed one', async () => {
    const objects = await render('config/overlays/production');
    expect(one<Certificate>(objects, 'Certificate').spec.issuerRef).toEqual({
      group: 'cert-manager.io',
      kind: 'ClusterIssuer',
      name: 'corp-issuer',
    });
    expect(all(objects, 'Issuer')).toEqual([]);
    const component = readFileSync(join(CONFIG_DIR, 'overlays/production/enterprise-issuer/kustomization.yaml'), 'utf8');
    expect(component).toMatch(/^# PLACEHOLDER/m);
  });
});

describe.skipIf(!KUBECTL)('config/overlays/ha', () => {
  type AuthServer = K8sObject & {
    spec: { replicas?: number; storage?: { type?: string; redis?: { address?: string; passwordSecretRef?: { name: string; key: string } } } };
  };

  it('runs an MCPAuthServer with 3 replicas on Redis storage', async () => {
    const server = one<AuthServer>(await render('config/overlays/ha'), 'MCPAuthServer');
    expect(server.spec.replicas).toBe(3);
    expect(server.spec.storage?.type).toBe('redis');
    // The demo Redis has no TLS: admitted, with the warning the overlay's comment announces.
    const result = validate(server);
    expect(result.errors).toEqual([]);
    expect(result.warnings.some((w) => /tls/i.test(w))).toBe(true);
  });

  it('points the auth server at the Redis Service it ships, with the password Secret Redis itself uses', async () => {
    const objects = await render('config/overlays/ha');
    const server = one<AuthServer>(objects, 'MCPAuthServer');
    const service = one<V1Service>(objects, 'Service');
    const [host, port] = (server.spec.storage?.redis?.address ?? '').split(':');
    expect(host).toBe(`${service.metadata?.name}.${service.metadata?.namespace}.svc.cluster.local`);
    expect(service.metadata?.namespace).toBe(server.metadata.namespace);
    expect(service.spec?.ports?.map((p) => p.port)).toEqual([Number(port)]);
    const redis = one<V1Deployment>(objects, 'Deployment', 'mcp-auth-redis');
    expect(matches(service.spec?.selector, redis.spec?.template.metadata?.labels)).toBe(true);
    const env = redis.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'REDIS_PASSWORD');
    expect(env?.valueFrom?.secretKeyRef).toEqual(server.spec.storage?.redis?.passwordSecretRef);
    expect(redis.spec?.template.spec?.containers[0]?.args?.join(' ')).toContain('--requirepass "$REDIS_PASSWORD"');
    expect(all(objects, 'Secret')).toEqual([]); // the password is never committed
  });

  it('lets only the pods of that MCPAuthServer reach Redis (NetworkPolicy)', async () => {
    const objects = await render('config/overlays/ha');
    const server = one<AuthServer>(objects, 'MCPAuthServer');
    const policy = one<V1NetworkPolicy>(objects, 'NetworkPolicy');
    const redis = one<V1Deployment>(objects, 'Deployment', 'mcp-auth-redis');
    expect(matches(policy.spec?.podSelector?.matchLabels, redis.spec?.template.metadata?.labels)).toBe(true);
    expect(policy.spec?.policyTypes).toEqual(['Ingress']);
    expect(policy.spec?.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mcpauthserver', 'app.kubernetes.io/instance': server.metadata.name } } }],
        ports: [{ port: 6379, protocol: 'TCP' }],
      },
    ]);
  });

  it("admits the auth-server pods the controller will actually create (its desired Deployment's labels)", async () => {
    const objects = await render('config/overlays/ha');
    // As the controller sees it: stored by the API server, so with a uid (for ownerReferences).
    const server = { ...one<AuthServer>(objects, 'MCPAuthServer') };
    server.metadata = { ...server.metadata, uid: '00000000-0000-4000-8000-000000000001' } as AuthServer['metadata'];
    const deployment = desired.authServerDeployment(server as unknown as Parameters<typeof desired.authServerDeployment>[0], DEFAULT_SETTINGS, {
      configHash: 'h',
      clientCa: { name: `${server.metadata.name}-ca-bundle`, key: 'ca.crt' },
      encryptionKey: { name: `${server.metadata.name}-encryption-key`, key: 'key' },
    }) as unknown as V1Deployment;
    // Raw manifest JSON: the field is `from` (client-node's TypeScript type calls it `_from`).
    const ingress = one<V1NetworkPolicy>(objects, 'NetworkPolicy').spec?.ingress as { from?: { podSelector?: { matchLabels?: Record<string, string> } }[] }[];
    const from = ingress[0]?.from?.[0]?.podSelector?.matchLabels;
    expect(matches(from, deployment.spec?.template.metadata?.labels)).toBe(true);
    // And the controller's own NetworkPolicy restricts ingress only, so the pods can reach Redis.
    const policy = desired.authServerNetworkPolicy(server as unknown as Parameters<typeof desired.authServerNetworkPolicy>[0]) as unknown as V1NetworkPolicy;
    expect(policy.spec?.policyTypes).toEqual(['Ingress']);
  });

  it('is a workload overlay: no operator objects in it', async () => {
    const kinds = new Set((await render('config/overlays/ha')).map((o) => o.kind));
    for (const kind of ['CustomResourceDefinition', 'ClusterRole', 'ValidatingWebhookConfiguration']) expect(kinds.has(kind)).toBe(false);
  });
});
