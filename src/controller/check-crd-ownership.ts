/**
 * Spec §0: our CRD names clash with ToolHive's own operator. At start-up the controller reads
 * the three CRDs and refuses to run when one is missing or was installed by someone else
 * (no `app.kubernetes.io/part-of=mcp-authserver`, the label config/crd puts on ours), instead of
 * silently reconciling objects of a foreign API.
 */
import type { Applier } from './apply.ts';
import { ControllerError } from './lib/errors.ts';
import { GROUP } from './lib/names.ts';

export const CRD_NAMES = [`mcpauthservers.${GROUP}`, `mcpexternalauthconfigs.${GROUP}`, `mcpservers.${GROUP}`] as const;
export const OWNERSHIP_LABEL = 'app.kubernetes.io/part-of';
export const OWNERSHIP_VALUE = 'mcp-authserver';

/**
 * Throws {@link ControllerError} `foreign_crd` (or `not_found`) with a message that says what to do.
 *
 * @example
 * await checkCrdOwnership(applier) // resolves when all three CRDs are ours
 */
export async function checkCrdOwnership(applier: Applier): Promise<void> {
  for (const name of CRD_NAMES) {
    const crd = await applier.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
    if (!crd) {
      throw new ControllerError('not_found', `CRD ${name} is not installed; install the CRDs first (kubectl apply -k config/crd)`);
    }
    const owner = crd.metadata.labels?.[OWNERSHIP_LABEL];
    if (owner !== OWNERSHIP_VALUE) {
      throw new ControllerError(
        'foreign_crd',
        `CRD ${name} exists but is not owned by mcp-authserver (label ${OWNERSHIP_LABEL}=${owner ?? '<none>'}; probably ToolHive's own operator); refusing to reconcile a foreign API. Remove the other operator and its CRDs first, see docs/install.md`,
      );
    }
  }
}
