import type { DefaultingPlugin, KubeObject } from '../../framework/types.ts';
import { GROUP, applyDefaults } from '../lib/api.ts';
import { replaceContents } from '../lib/replace-contents.ts';

/**
 * `/mutate-mcpexternalauthconfig`: fills the defaults of spec §3 with the shared `applyDefaults()`, so
 * `kubectl get -o yaml` shows the effective spec. Idempotent: a defaulted object gives an empty
 * patch. CREATE and UPDATE (a field removed on update gets its default back).
 *
 * @example
 * const handler = defaulterHandler(mcpExternalAuthConfigDefaulter);
 */
export const mcpExternalAuthConfigDefaulter = {
  name: 'mcpexternalauthconfig-default',
  kind: { group: GROUP, kind: 'MCPExternalAuthConfig' },
  operations: new Set(['CREATE', 'UPDATE'] as const),
  default(obj) {
    replaceContents(obj, applyDefaults(obj) as KubeObject);
  },
} satisfies DefaultingPlugin<KubeObject>;
