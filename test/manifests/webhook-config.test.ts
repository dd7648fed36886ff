/**
 * Spec §4.5: the admission webhook configurations, field by field, in every operator install,
 * and their wiring to the Service, the controller's port and the cert-manager certificate.
 */
import type {
  V1Deployment,
  V1MutatingWebhook,
  V1MutatingWebhookConfiguration,
  V1Service,
  V1ValidatingWebhook,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { all, KUBECTL, one, OPERATOR_INSTALLS, render, type K8sObject } from './lib/kustomize.ts';

/** The seven admission paths of the webhook server (team contract, spec §4.5). */
const WEBHOOK_PATHS = new Set([
  '/validate-mcpauthserver',
  '/validate-mcpexternalauthconfig',
  '/validate-mcpserver',
  '/mutate-mcpauthserver',
  '/mutate-mcpexternalauthconfig',
  '/mutate-mcpserver',
  '/mutate-pods',
]);
const PLURAL: Record<string, string> = {
  mcpauthserver: 'mcpauthservers',
  mcpexternalauthconfig: 'mcpexternalauthconfigs',
  mcpserver: 'mcpservers',
};
const CONTROLLER_NAMESPACE = 'mcp-authserver-system';

type Hook = V1ValidatingWebhook | V1MutatingWebhook;

function hooks(objects: K8sObject[]): { validating: V1ValidatingWebhook[]; mutating: V1MutatingWebhook[] } {
  return {
    validating: one<V1ValidatingWebhookConfiguration>(objects, 'ValidatingWebhookConfiguration').webhooks ?? [],
    mutating: one<V1MutatingWebhookConfiguration>(objects, 'MutatingWebhookConfiguration').webhooks ?? [],
  };
}

describe.skipIf(!KUBECTL).each(OPERATOR_INSTALLS)('%s webhook configuration', (dir) => {
  it('serves only the seven webhook paths, each exactly once', async () => {
    const { validating, mutating } = hooks(await render(dir));
    const paths = [...validating, ...mutating].map((h) => h.clientConfig.service?.path);
    for (const path of paths) expect(WEBHOOK_PATHS).toContain(path);
    expect(paths.sort()).toEqual([...WEBHOOK_PATHS].sort());
    expect(validating.map((h) => h.clientConfig.service?.path).every((p) => p?.startsWith('/validate-'))).toBe(true);
    expect(mutating.map((h) => h.clientConfig.service?.path).every((p) => p?.startsWith('/mutate-'))).toBe(true);
  });

  it('sets the common fields of §4.5 on every webhook', async () => {
    const { validating, mutating } = hooks(await render(dir));
    for (const hook of [...validating, ...mutating] as Hook[]) {
      expect.soft(hook.sideEffects, hook.name).toBe('None');
      expect.soft(hook.admissionReviewVersions, hook.name).toEqual(['v1']);
      expect.soft(hook.timeoutSeconds, hook.name).toBe(5);
      expect.soft(hook.failurePolicy, hook.name).toBe('Fail');
      expect.soft(hook.matchPolicy, hook.name).toBe('Equivalent');
      expect.soft(hook.namespaceSelector, hook.name).toEqual({
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', CONTROLLER_NAMESPACE] },
        ],
      });
      expect.soft(hook.clientConfig.url, hook.name).toBeUndefined();
    }
    for (const hook of mutating) expect.soft(hook.reinvocationPolicy, hook.name).toBe('IfNeeded');
  });

  it('validates and defaults CREATE/UPDATE of each of our kinds, matching path and resource', async () => {
    const { validating, mutating } = hooks(await render(dir));
    const crdHooks = [...validating, ...mutating].filter((h) => h.clientConfig.service?.path !== '/mutate-pods');
    expect(crdHooks).toHaveLength(6);
    for (const hook of crdHooks) {
      const kind = /^\/(?:validate|mutate)-(.+)$/.exec(hook.clientConfig.service?.path ?? '')?.[1] ?? '';
      expect(hook.rules, hook.name).toEqual([
        {
          apiGroups: ['toolhive.stacklok.dev'],
          apiVersions: ['v1alpha1'],
          operations: ['CREATE', 'UPDATE'],
          resources: [PLURAL[kind]],
          scope: 'Namespaced',
        },
      ]);
      expect(hook.objectSelector, hook.name).toBeUndefined();
    }
  });

  it('injects into pods only at CREATE and only for pods labelled toolhive.stacklok.dev/mcpserver', async () => {
    const { mutating } = hooks(await render(dir));
    const pod = mutating.find((h) => h.clientConfig.service?.path === '/mutate-pods');
    expect(pod?.rules).toEqual([
      { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' },
    ]);
    expect(pod?.objectSelector).toEqual({
      matchExpressions: [{ key: 'toolhive.stacklok.dev/mcpserver', operator: 'Exists' }],
    });
  });

  it('has unique, fully qualified webhook names', async () => {
    const { validating, mutating } = hooks(await render(dir));
    const names = [...validating, ...mutating].map((h) => h.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/);
  });

  it('calls the webhook Service on 443, which routes to the controller container port 9443', async () => {
    const objects = await render(dir);
    const { validating, mutating } = hooks(objects);
    const service = one<V1Service>(objects, 'Service', 'mcp-authserver-webhook');
    expect(service.metadata?.namespace).toBe(CONTROLLER_NAMESPACE);
    for (const hook of [...validating, ...mutating]) {
      expect(hook.clientConfig.service).toMatchObject({ name: 'mcp-authserver-webhook', namespace: CONTROLLER_NAMESPACE, port: 443 });
    }
    const port = service.spec?.ports?.find((p) => p.port === 443);
    const deployment = one<V1Deployment>(objects, 'Deployment', 'mcp-authserver-controller');
    const container = deployment.spec?.template.spec?.containers.find((c) => c.name === 'controller');
    const target = container?.ports?.find((p) => p.name === port?.targetPort || p.containerPort === port?.targetPort);
    expect(target?.containerPort).toBe(9443);
    expect(container?.args).toContain('--webhook-listen=:9443');
    // The Service selects the controller pods.
    const podLabels = deployment.spec?.template.metadata?.labels ?? {};
    expect(Object.entries(service.spec?.selector ?? {}).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(service.spec?.selector ?? {})) expect(podLabels[k]).toBe(v);
  });

  it('gets its CA bundle from the cert-manager Certificate that serves the webhook Service', async () => {
    const objects = await render(dir);
    const certificate = one<K8sObject & { spec: { secretName: string; dnsNames: string[] } }>(
      objects,
      'Certificate',
      'mcp-authserver-webhook-cert',
    );
    const expected = `${certificate.metadata.namespace}/${certificate.metadata.name}`;
    expect(expected).toBe(`${CONTROLLER_NAMESPACE}/mcp-authserver-webhook-cert`);
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const config = one<K8sObject & { webhooks: Hook[] }>(objects, kind);
      expect(config.metadata.annotations?.['cert-manager.io/inject-ca-from'], kind).toBe(expected);
      for (const hook of config.webhooks) expect(hook.clientConfig.caBundle).toBeUndefined();
    }
    expect(certificate.spec.secretName).toBe('mcp-authserver-webhook-tls');
    expect(certificate.spec.dnsNames).toContain(`mcp-authserver-webhook.${CONTROLLER_NAMESPACE}.svc`);
    expect(all(objects, 'Certificate')).toHaveLength(1);
  });
});
