/**
 * Contract with the controller (spec §4.3): the pods of the Deployment it builds for an MCPServer
 * carry the label and the `proxy` container this webhook injects into.
 */
import { describe, expect, it } from 'vitest';
import { applyJsonPatch } from '../../testing/apply-patch.ts';
import { Pod } from 'kubernetes-models/v1/Pod';
import { desired, DEFAULT_SETTINGS } from '../../../src/controller/index.ts';
import { defaulterHandler } from '../../framework/defaulter-handler.ts';
import type { AdmissionRequest, KubeObject } from '../../framework/types.ts';
import { createMemoryLookup } from '../../lookup/memory-lookup.ts';
import { validExternalAuthConfig, validMCPServer } from '../../testing/crd-objects.ts';
import { buildReview } from '../../testing/reviews.ts';
import { podInjector } from './inject.ts';

describe('pods of the controller-built MCPServer Deployment', () => {
  it('get the mTLS material injected into their proxy container; a second pass changes nothing', async () => {
    const server = validMCPServer();
    server.metadata = { ...server.metadata, uid: '059fe525-c9d5-48f2-8546-2b8e828f0926' };
    const config = validExternalAuthConfig();
    const handler = defaulterHandler(podInjector({ lookup: createMemoryLookup([server, config]) }));
    const deployment = desired.mcpServerDeployment(server as unknown as Parameters<typeof desired.mcpServerDeployment>[0], DEFAULT_SETTINGS) as unknown as {
      spec: { template: { metadata: KubeObject['metadata']; spec: unknown } };
    };
    // What the ReplicaSet controller sends: the template as a Pod, generateName, no namespace.
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { ...deployment.spec.template.metadata, generateName: 'github-tools-5d8f-' }, spec: deployment.spec.template.spec };
    const request = (obj: KubeObject) => buildReview({ operation: 'CREATE', object: obj, namespace: 'mcp-prod' }).request as unknown as AdmissionRequest;
    const first = await handler(request(pod));
    expect(first.allowed, first.status?.message).toBe(true);
    const injected = applyJsonPatch(pod, first.patch);
    expect(() => new Pod(injected as never).validate()).not.toThrow();
    const proxy = (injected.spec as { containers: Array<{ name: string; env?: Array<{ name: string; value: string }>; volumeMounts?: Array<{ name: string }> }> }).containers.find((c) => c.name === 'proxy');
    expect(proxy?.env?.map((e) => e.name)).toContain('TOOLHIVE_AUTHSERVER_CONFIG');
    expect(proxy?.volumeMounts?.map((m) => m.name)).toEqual(expect.arrayContaining(['authserver-client-cert', 'authserver-ca-bundle']));
    expect(await handler(request(injected))).toEqual({ allowed: true });
  });
});
