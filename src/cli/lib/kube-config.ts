import { KubeConfig } from '@kubernetes/client-node';

/**
 * Cluster access for the `controller` and `webhook` commands: `file` (a kubeconfig), else the
 * in-cluster service account when running in a pod (`KUBERNETES_SERVICE_HOST`), else
 * `$KUBECONFIG` when `useKubeconfigEnv` (the controller, run from a workstation). Returns
 * undefined when none applies: the webhook then works without cluster access, the controller
 * refuses to start.
 *
 * `KubeConfig` is imported by name here, not through `import('@kubernetes/client-node')` in the
 * commands: a namespace import keeps every generated API client and model of the package in the
 * bundle chunk both commands load (megabytes of code evaluated at start, issue 7).
 */
export function loadKubeConfig(file: string | undefined, options: { useKubeconfigEnv?: boolean } = {}): KubeConfig | undefined {
  const fromEnv = options.useKubeconfigEnv === true && process.env.KUBECONFIG !== undefined && process.env.KUBECONFIG !== '';
  if (!file && !process.env.KUBERNETES_SERVICE_HOST && !fromEnv) return undefined;
  const kc = new KubeConfig();
  try {
    if (file) kc.loadFromFile(file);
    else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    throw new Error(`--kubeconfig ${file ?? '(in-cluster)'}: cannot load: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!kc.getCurrentCluster()) throw new Error(`--kubeconfig ${file ?? '(in-cluster)'}: no current cluster`);
  return kc;
}
