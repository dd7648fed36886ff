import type { DefaultingPlugin, KubeObject } from '../../framework/types.ts';
import { GROUP, applyDefaults } from './api.ts';
import { replaceContents } from './replace-contents.ts';

/**
 * The defaulting plugin of one of our kinds: fills the defaults of spec §3 with the shared
 * `applyDefaults()`, so `kubectl get -o yaml` shows the effective spec. Idempotent: a defaulted
 * object gives an empty patch. CREATE and UPDATE (a field removed on update gets its default back).
 *
 * @example
 * export const mcpServerDefaulter = apiDefaulter('MCPServer'); // name 'mcpserver-default'
 */
export function apiDefaulter(kind: 'MCPAuthServer' | 'MCPExternalAuthConfig' | 'MCPServer'): DefaultingPlugin<KubeObject> {
  return {
    name: `${kind.toLowerCase()}-default`,
    kind: { group: GROUP, kind },
    operations: new Set(['CREATE', 'UPDATE'] as const),
    default(obj) {
      replaceContents(obj, applyDefaults(obj) as KubeObject);
    },
  } satisfies DefaultingPlugin<KubeObject>;
}
