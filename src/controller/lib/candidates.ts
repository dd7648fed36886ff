import type { MCPAuthServer, MCPExternalAuthConfig, MCPServer } from './crd-types.ts';
import type { ClusterView } from './cluster-view.ts';
import { matchesAuthServer } from './resolve.ts';
import type { ResourceMapCandidate } from '../desired/resource-map.ts';

/**
 * Every MCPServer whose `externalAuthConfigRef` names an MCPExternalAuthConfig (same namespace)
 * of type `authServer` that resolves to `as` (spec §4.1 step 7).
 *
 * @example
 * resourceMapCandidates(view, as, 'cluster.local').map((c) => c.server.metadata.name) // ['github-tools']
 */
export function resourceMapCandidates(view: ClusterView, as: MCPAuthServer, clusterDomain: string): ResourceMapCandidate[] {
  const out: ResourceMapCandidate[] = [];
  for (const server of view.list<MCPServer>('MCPServer')) {
    if (server.metadata.deletionTimestamp) continue;
    const ref = server.spec.externalAuthConfigRef?.name;
    if (!ref) continue;
    const config = view.get<MCPExternalAuthConfig>('MCPExternalAuthConfig', server.metadata.namespace, ref);
    if (config && matchesAuthServer(config, as, clusterDomain)) out.push({ server, config });
  }
  return out;
}
