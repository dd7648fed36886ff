/**
 * The resource map of spec §4.1 step 7 [REV b]: normalized `resourceUrl` → owning MCPServer.
 * The oldest MCPServer (creationTimestamp, then namespace/name) keeps a contested resource;
 * the others are reported as `ResourceConflict`.
 */
import { normalizeResource } from '../../api/v1alpha1/index.ts';
import type { KubeObject, MCPAuthServer, MCPExternalAuthConfig, MCPServer } from '../lib/crd-types.ts';
import { effectiveAuthServer, subjectAllowed } from '../lib/effective.ts';
import { authServerLabels, names } from '../lib/names.ts';
import { controllerRef } from './owner.ts';

export interface ResourceMapCandidate {
  server: MCPServer;
  /** The MCPExternalAuthConfig (type authServer) the server references, already resolved to this auth server. */
  config: MCPExternalAuthConfig;
}

export type RegistrationOutcome =
  | { kind: 'registered'; resource: string }
  | { kind: 'conflict'; resource: string; heldBy: string }
  | { kind: 'not_allowed' }
  | { kind: 'invalid_resource'; message: string };

export interface ResourceMapDocument {
  version: 1;
  resources: Record<string, { namespace: string; name: string; upstreamIdp: string }>;
}

export interface ResourceMap {
  document: ResourceMapDocument;
  /** Keyed by `{ns}/{srv}`. */
  outcomes: Map<string, RegistrationOutcome>;
}

/** Creation order of spec §4.1 step 7: creationTimestamp, then `ns/name`. */
function olderFirst(a: MCPServer, b: MCPServer): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  const byTime = Date.parse(ta) - Date.parse(tb);
  if (Number.isFinite(byTime) && byTime !== 0) return byTime;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Computes the resource map and the outcome for every candidate server.
 *
 * @example
 * buildResourceMap(as, [{server, config}]).document.resources
 * // {'https://github-tools.mcp.example.com/mcp': {namespace: 'mcp-prod', name: 'github-tools', upstreamIdp: 'corp-okta'}}
 */
export function buildResourceMap(as: MCPAuthServer, candidates: ResourceMapCandidate[]): ResourceMap {
  const eff = effectiveAuthServer(as);
  const defaultIdp = as.spec.upstreamIdps[0]?.name ?? '';
  const outcomes = new Map<string, RegistrationOutcome>();
  const entries: [string, { namespace: string; name: string; upstreamIdp: string }][] = [];
  const taken = new Map<string, string>();
  for (const { server, config } of [...candidates].sort((a, b) => olderFirst(a.server, b.server))) {
    const key = `${server.metadata.namespace}/${server.metadata.name}`;
    if (!subjectAllowed(eff, server.metadata.namespace!, server.metadata.name)) {
      outcomes.set(key, { kind: 'not_allowed' });
      continue;
    }
    const normalized = normalizeResource(server.spec.oidcConfig?.resourceUrl ?? '');
    if (!normalized.ok) {
      outcomes.set(key, { kind: 'invalid_resource', message: `spec.oidcConfig.resourceUrl ${normalized.message}` });
      continue;
    }
    const holder = taken.get(normalized.value);
    if (holder !== undefined) {
      outcomes.set(key, { kind: 'conflict', resource: normalized.value, heldBy: holder });
      continue;
    }
    taken.set(normalized.value, key);
    entries.push([
      normalized.value,
      {
        namespace: server.metadata.namespace!,
        name: server.metadata.name,
        upstreamIdp: config.spec.authServer?.upstreamIdp ?? defaultIdp,
      },
    ]);
    outcomes.set(key, { kind: 'registered', resource: normalized.value });
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { document: { version: 1, resources: Object.fromEntries(entries) }, outcomes };
}

/**
 * ConfigMap `{name}-resource-map`, key `resources.json`.
 *
 * @example
 * resourceMapConfigMap(as, map.document).data['resources.json'] // '{"version":1,"resources":{...}}'
 */
export function resourceMapConfigMap(as: MCPAuthServer, document: ResourceMapDocument): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: names.resourceMapConfigMap(as.metadata.name),
      namespace: as.metadata.namespace!,
      labels: authServerLabels(as.metadata.name),
      ownerReferences: [controllerRef(as)],
    },
    data: { 'resources.json': `${JSON.stringify(document, null, 2)}\n` },
  };
}
