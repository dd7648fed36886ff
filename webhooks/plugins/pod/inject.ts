import type { AdmissionRequest, DefaultingPatchResult, DefaultingPlugin, DefaultingResult, KubeObject } from '../../framework/types.ts';
import type { InjectionLookup } from '../../lookup/injection-lookup.ts';
import { frozenPatchValue } from '../../framework/responses.ts';
import { applyInjection, injectionPatch } from './apply-injection.ts';
import { asRecord, desiredInjection, MCPSERVER_LABEL, type DesiredInjectionResult, type InjectionMaterial } from './desired-injection.ts';

export interface PodInjectorOptions {
  /** Cluster objects; undefined when the webhook runs without cluster access. */
  lookup: InjectionLookup | undefined;
  /** For the default internal URL `https://{ref}-internal.{ns}.svc.{clusterDomain}`. */
  clusterDomain?: string;
}

/**
 * `/mutate-pods` (spec §4.3, §4.5): for a pod labelled `toolhive.stacklok.dev/mcpserver={srv}`,
 * looks up MCPServer `{srv}` and its MCPExternalAuthConfig in the pod's namespace and, when the
 * config is `type: authServer`, injects the mTLS client material into the client container.
 * - no label, no `externalAuthConfigRef`, or another config type: the pod passes unchanged;
 * - MCPServer or config missing: denial naming what is missing (failurePolicy Fail; the pod's
 *   controller retries);
 * - caches not synced or no cluster access: 503, so the apiserver retries rather than admitting a
 *   proxy without its material.
 *
 * @example
 * const handler = defaulterHandler(podInjector({ lookup }));
 */
export function podInjector(options: PodInjectorOptions) {
  const clusterDomain = options.clusterDomain ?? 'cluster.local';
  // desiredInjection is pure in (config, serverName): computed once per cached config object.
  // Informer caches replace an object on every change, so a new version is a new key.
  const desiredByConfig = new WeakMap<KubeObject, Map<string, DesiredInjectionResult>>();
  const desiredFor = (serverName: string, config: KubeObject): DesiredInjectionResult => {
    let byServer = desiredByConfig.get(config);
    if (!byServer) {
      byServer = new Map();
      desiredByConfig.set(config, byServer);
    }
    let desired = byServer.get(serverName);
    if (!desired) {
      // Frozen: `patch` puts these objects in the answer as they are (no copy per review), and
      // their JSON text is encoded once.
      desired = frozenPatchValue(desiredInjection({ serverName, config, clusterDomain }));
      byServer.set(serverName, desired);
    }
    return desired;
  };
  /** What to inject into `pod`, or the answer when there is nothing to inject. Reads `pod` only. */
  const resolve = (pod: KubeObject, req: AdmissionRequest): { material: InjectionMaterial } | { answer: DefaultingResult | undefined } => {
    const serverName = pod.metadata?.labels?.[MCPSERVER_LABEL];
    if (serverName === undefined) return { answer: undefined };
    const { lookup } = options;
    if (!lookup) {
      return { answer: { error: { code: 503, message: 'pod injection unavailable: the webhook runs without cluster access (no kubeconfig and not in a cluster)' } } };
    }
    if (!lookup.synced()) return { answer: { error: { code: 503, message: 'pod injection not ready: MCPServer/MCPExternalAuthConfig caches are not synced yet; retry' } } };
    // Pods from a ReplicaSet have no metadata.namespace yet: the request carries it.
    const namespace = req.namespace || pod.metadata?.namespace || '';
    const labelPath = `metadata.labels[${MCPSERVER_LABEL}]`;
    const server = lookup.getMCPServer(namespace, serverName);
    if (!server) {
      return { answer: { errors: [{ path: labelPath, rule: 'mcpserver-exists', message: `MCPServer ${namespace}/${serverName} not found` }] } };
    }
    const refName = asRecord(asRecord(server.spec)?.externalAuthConfigRef)?.name;
    if (typeof refName !== 'string' || refName === '') return { answer: undefined };
    const config = lookup.getExternalAuthConfig(namespace, refName);
    if (!config) {
      return {
        answer: {
          errors: [
            {
              path: labelPath,
              rule: 'external-auth-config-exists',
              message: `MCPExternalAuthConfig ${namespace}/${refName} (referenced by MCPServer ${namespace}/${serverName} spec.externalAuthConfigRef.name) not found`,
            },
          ],
        },
      };
    }
    if (asRecord(config.spec)?.type !== 'authServer') return { answer: undefined };
    const desired = desiredFor(serverName, config);
    if (!desired.ok) return { answer: { errors: [desired.error] } };
    return { material: desired.material };
  };
  return {
    name: 'pod-inject',
    kind: { group: '', kind: 'Pod' },
    operations: new Set(['CREATE'] as const),
    // Only the pod spec changes; metadata (with managedFields) is read, never copied or diffed.
    patchScope: ['spec'],
    default(pod, req): DefaultingResult | undefined {
      const resolved = resolve(pod, req);
      if ('answer' in resolved) return resolved.answer;
      const errors = applyInjection(pod, resolved.material);
      return errors.length > 0 ? { errors } : undefined;
    },
    // What the server runs: the same decisions, the patch straight from the injected entries
    // (no copy of the pod spec, no diff); `default` + diff is the test oracle.
    patch(pod, req): DefaultingPatchResult | undefined {
      const resolved = resolve(pod, req);
      if ('answer' in resolved) return resolved.answer;
      const result = injectionPatch(pod, resolved.material);
      return result.ok ? { patch: result.ops } : { errors: result.errors };
    },
  } satisfies DefaultingPlugin<KubeObject>;
}
