import type { DefaultingPlugin, KubeObject } from '../../framework/types.ts';
import { GROUP, applyDefaults } from '../lib/api.ts';
import { replaceContents } from '../lib/replace-contents.ts';

/**
 * `/mutate-mcpserver`: fills the defaults of spec §3 with the shared `applyDefaults()`, so
 * `kubectl get -o yaml` shows the effective spec. Idempotent: a defaulted object gives an empty
 * patch. CREATE and UPDATE (a field removed on update gets its default back).
 *
 * @example
 * const handler = defaulterHandler(mcpServerDefaulter);
 */
export const mcpServerDefaulter = {
  name: 'mcpserver-default',
  kind: { group: GROUP, kind: 'MCPServer' },
  operations: new Set(['CREATE', 'UPDATE'] as const),
  default(obj) {
    replaceContents(obj, applyDefaults(obj) as KubeObject);
  },
} satisfies DefaultingPlugin<KubeObject>;
