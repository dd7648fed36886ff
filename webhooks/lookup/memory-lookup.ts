import type { KubeObject } from '../framework/types.ts';
import type { InjectionLookup } from './injection-lookup.ts';

export interface MemoryLookup extends InjectionLookup {
  /** Adds or replaces an object, keyed by its kind, metadata.namespace and metadata.name. */
  put(obj: KubeObject): void;
  remove(kind: string, namespace: string, name: string): void;
  setSynced(value: boolean): void;
}

/**
 * In-memory {@link InjectionLookup} for tests and for running without a cluster: objects are put
 * in directly instead of arriving from a watch.
 *
 * @example
 * const lookup = createMemoryLookup([mcpServer, externalAuthConfig]);
 * lookup.getMCPServer('mcp-prod', 'github-tools')
 */
export function createMemoryLookup(objects: KubeObject[] = [], options: { synced?: boolean } = {}): MemoryLookup {
  const byKey = new Map<string, KubeObject>();
  let isSynced = options.synced ?? true;
  const key = (kind: string, namespace: string, name: string) => `${kind}\u0000${namespace}\u0000${name}`;
  const lookup: MemoryLookup = {
    put(obj) {
      const { kind } = obj;
      const ns = obj.metadata?.namespace;
      const name = obj.metadata?.name;
      if (!kind || !ns || !name) throw new Error('createMemoryLookup: objects need kind, metadata.namespace and metadata.name');
      byKey.set(key(kind, ns, name), structuredClone(obj));
    },
    remove(kind, namespace, name) {
      byKey.delete(key(kind, namespace, name));
    },
    setSynced(value) {
      isSynced = value;
    },
    getMCPServer: (ns, name) => byKey.get(key('MCPServer', ns, name)),
    getExternalAuthConfig: (ns, name) => byKey.get(key('MCPExternalAuthConfig', ns, name)),
    getMCPAuthServer: (ns, name) => byKey.get(key('MCPAuthServer', ns, name)),
    synced: () => isSynced,
  };
  for (const obj of objects) lookup.put(obj);
  return lookup;
}
