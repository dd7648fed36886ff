/**
 * CustomResourceDefinitions from the TypeBox schemas (issue 2 item 3): apiextensions.k8s.io/v1,
 * structural schemas, status subresource, shortNames, categories, printer columns. Pure and
 * deterministic (keys sorted), so `hack/gen-crds.ts` output only changes with the API.
 */
import type { TSchema } from '@sinclair/typebox';
import { GROUP, KINDS, VERSION, type KindName } from './kinds.ts';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: Record<string, unknown>;
}

const CATEGORIES = ['toolhive', 'mcp'];
const AGE = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const PRINTER_COLUMNS: Record<KindName, Array<Record<string, string>>> = {
  MCPAuthServer: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Issuer', type: 'string', jsonPath: '.spec.issuer' },
    AGE,
  ],
  MCPExternalAuthConfig: [
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="ClientCertificatesReady")].status' },
    AGE,
  ],
  MCPServer: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'URL', type: 'string', jsonPath: '.status.url' },
    AGE,
  ],
};

/**
 * Converts a TypeBox schema into a structural OpenAPI v3 schema: drops `$id`, TypeBox symbols,
 * validator-only keys and `additionalProperties: false` (pruning already removes unknown fields),
 * and sorts keys.
 *
 * @example
 * toStructural(Type.Object({ a: Type.String() }, { additionalProperties: false }))
 * // { properties: { a: { type: 'string' } }, required: ['a'], type: 'object' }
 */
export function toStructural(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toStructural);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema).sort()) {
    const value = (schema as Record<string, unknown>)[key];
    if (key === '$id' || key === '$schema') continue;
    if (key === 'additionalProperties' && value === false) continue;
    if (key.startsWith('x-') && !key.startsWith('x-kubernetes-')) continue;
    // Values of these keys are data, not schemas: copy them as they are.
    out[key] = key === 'default' || key === 'enum' || key === 'x-kubernetes-validations' ? structuredClone(value) : toStructural(value);
  }
  return out;
}

/**
 * The three CRDs, in a stable order.
 *
 * @example
 * buildCrds().map((c) => c.metadata.name)
 * // ['mcpauthservers.toolhive.stacklok.dev', 'mcpexternalauthconfigs.toolhive.stacklok.dev', 'mcpservers.toolhive.stacklok.dev']
 */
export function buildCrds(): CustomResourceDefinition[] {
  return (Object.keys(KINDS) as KindName[]).sort().map((kind) => {
    const info = KINDS[kind];
    const schema = toStructural(info.schema as TSchema) as Record<string, unknown>;
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: {
        name: `${info.plural}.${GROUP}`,
        labels: { 'app.kubernetes.io/name': 'mcp-authserver', 'app.kubernetes.io/part-of': 'mcp-authserver' },
        annotations: { 'toolhive.stacklok.dev/generated-by': 'mcp-authserver hack/gen-crds.ts' },
      },
      spec: {
        group: GROUP,
        names: {
          kind,
          listKind: info.listKind,
          plural: info.plural,
          singular: info.singular,
          shortNames: info.shortNames,
          categories: CATEGORIES,
        },
        scope: 'Namespaced',
        versions: [
          {
            name: VERSION,
            served: true,
            storage: true,
            subresources: { status: {} },
            additionalPrinterColumns: PRINTER_COLUMNS[kind],
            schema: { openAPIV3Schema: schema },
          },
        ],
      },
    };
  });
}

/**
 * File name of a CRD under `crds/`, as kubebuilder names them.
 *
 * @example
 * crdFileName(buildCrds()[0]) // 'toolhive.stacklok.dev_mcpauthservers.yaml'
 */
export function crdFileName(crd: CustomResourceDefinition): string {
  return `${GROUP}_${crd.metadata.name.split('.')[0]}.yaml`;
}
