/**
 * Strict field check for Kubernetes objects. `kubernetes-models` validates types, enums and
 * required fields, but its schemas accept unknown properties, so a typo such as
 * `readOnlyRootFileSystem` would pass and silently do nothing. This walks an object along the
 * attribute type maps of `@kubernetes/client-node`'s generated models (the same OpenAPI source)
 * and reports every field that the model does not define.
 */
import * as k8s from '@kubernetes/client-node';

type Attribute = { baseName: string; type: string };
type ModelClass = { getAttributeTypeMap(): Attribute[] };

// Fields typed `any` in the generated models that are really nested models.
const OVERRIDES: Record<string, string> = {
  'V1JSONSchemaProps.items': 'V1JSONSchemaProps',
};

function modelClass(typeName: string): ModelClass | null {
  const candidate = (k8s as unknown as Record<string, unknown>)[typeName];
  if (typeof candidate === 'function' && 'getAttributeTypeMap' in candidate) return candidate as unknown as ModelClass;
  return null;
}

/**
 * Paths of every field of `value` that the client-node model `typeName` does not define.
 *
 * @example
 * findUnknownFields({ spec: { replica: 3 } }, 'V1Deployment') // ['spec.replica']
 */
export function findUnknownFields(value: unknown, typeName: string, path = ''): string[] {
  const arrayItem = /^Array<(.+)>$/.exec(typeName);
  if (arrayItem) {
    if (!Array.isArray(value)) return [];
    return value.flatMap((item, i) => findUnknownFields(item, arrayItem[1] as string, `${path}[${i}]`));
  }
  const mapValue = /^\{ \[key: string\]: (.+); \}$/.exec(typeName);
  if (mapValue) {
    if (value === null || typeof value !== 'object') return [];
    return Object.entries(value).flatMap(([k, v]) => findUnknownFields(v, mapValue[1] as string, `${path}[${JSON.stringify(k)}]`));
  }
  const model = modelClass(typeName);
  if (!model || value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    const childType = OVERRIDES[`${typeName}.${key}`] ?? attributes.get(key);
    if (childType === undefined) problems.push(childPath);
    else problems.push(...findUnknownFields(child, childType, childPath));
  }
  return problems;
}

/** Whether client-node has a model class of this name. */
export function hasModel(typeName: string): boolean {
  return modelClass(typeName) !== null;
}
