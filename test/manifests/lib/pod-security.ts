/**
 * The Kubernetes "restricted" Pod Security Standard (the parts that apply to a pod spec), as a
 * pure check, so every Deployment that config/ renders can be held to it.
 */
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';

/**
 * Every way a pod spec breaks the restricted standard or our extra rule (read-only root
 * filesystem); [] when it complies.
 *
 * @example
 * restrictedViolations({ containers: [{ name: 'c' }] }) // ['c: runAsNonRoot not true', ...]
 */
export function restrictedViolations(pod: V1PodSpec): string[] {
  const problems: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push('pod: host namespaces');
  for (const volume of pod.volumes ?? []) if (volume.hostPath) problems.push(`volume ${volume.name}: hostPath`);
  const podSc = pod.securityContext ?? {};
  const containers: V1Container[] = [...(pod.initContainers ?? []), ...pod.containers];
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const where = c.name;
    if (!(sc.runAsNonRoot ?? podSc.runAsNonRoot)) problems.push(`${where}: runAsNonRoot not true`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) problems.push(`${where}: runAsUser 0`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation not false`);
    if (sc.privileged) problems.push(`${where}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
    if ((sc.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) problems.push(`${where}: adds capabilities`);
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${where}: seccompProfile not RuntimeDefault`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem not true`);
    for (const port of c.ports ?? []) if (port.hostPort) problems.push(`${where}: hostPort ${port.hostPort}`);
  }
  return problems;
}
