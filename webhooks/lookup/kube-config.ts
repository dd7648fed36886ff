import { KubeConfig } from '@kubernetes/client-node';

/**
 * Cluster access for the informers: `file` (a kubeconfig), else the in-cluster service account
 * when running in a pod (`KUBERNETES_SERVICE_HOST`), else undefined (no cluster access).
 *
 * `KubeConfig` is imported by name here, not through `import('@kubernetes/client-node')` in the
 * CLI: a namespace import keeps every generated API client and model of the package in the
 * bundle the webhook loads (megabytes of code evaluated at start, issue 7).
 */
export function loadKubeConfig(file: string | undefined): KubeConfig | undefined {
  if (!file && !process.env.KUBERNETES_SERVICE_HOST) return undefined;
  const kc = new KubeConfig();
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromCluster();
  } catch (err) {
    throw new Error(`--kubeconfig ${file ?? '(in-cluster)'}: cannot load: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!kc.getCurrentCluster()) throw new Error(`--kubeconfig ${file ?? '(in-cluster)'}: no current cluster`);
  return kc;
}
