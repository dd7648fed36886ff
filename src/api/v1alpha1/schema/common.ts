/**
 * Shared building blocks of the v1alpha1 schemas (spec §3 "Shared types"). The TypeBox schemas are
 * the one definition of the API: `Static<>` gives the TypeScript types, ajv validates with them
 * (webhooks, `validate` CLI), and `hack/gen-crds.ts` turns them into the CRDs' structural schemas.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** Go-style duration (spec §3): `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`. */
export const GO_DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';
/** `spec.issuer` (spec §3.1): https, no query/fragment/trailing slash; a path is allowed. */
export const ISSUER_PATTERN = '^https://[^\\s?#]+[^/\\s?#]$';
/** An https URL without query or fragment. */
export const HTTPS_URL_PATTERN = '^https://[^\\s?#]+$';
/** An absolute http(s) URL without query or fragment (RFC 9728 `resource`). */
export const HTTP_URL_PATTERN = '^https?://[^\\s?#]+$';
/** DNS-1123 label (namespaces, upstream IdP names). */
export const DNS1123_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** DNS-1123 subdomain (object names, DNS names). */
export const DNS1123_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** DNS-1035 label: what Service names must be. */
export const DNS1035_LABEL_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
/** SPIFFE trust domain (spec §3.1): lowercase, no scheme, no port, no underscore. */
export const TRUST_DOMAIN_PATTERN = '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$';
/** Key of a Secret or ConfigMap data entry (Kubernetes `IsConfigMapKey`). */
export const DATA_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';
/** Kubernetes resource.Quantity (as in the core OpenAPI). */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
export const HOST_PORT_PATTERN = '^(\\[[0-9a-fA-F:.]+\\]|[^\\s:\\[\\]/]+):[0-9]{1,5}$';

/** Human wording of each pattern, used by `validate()` instead of the raw regex. */
export const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  [GO_DURATION_PATTERN]: 'must be a Go duration such as 90s, 30m or 1h30m',
  [ISSUER_PATTERN]: 'must be an https URL without query, fragment or trailing slash',
  [HTTPS_URL_PATTERN]: 'must be an https URL without query or fragment',
  [HTTP_URL_PATTERN]: 'must be an absolute http(s) URL without query or fragment',
  [DNS1123_LABEL_PATTERN]: 'must be a DNS-1123 label (lowercase letters, digits and -, starting and ending alphanumeric)',
  [DNS1035_LABEL_PATTERN]: 'must be a DNS-1035 label (lowercase letters, digits and -, starting with a letter)',
  [DNS1123_SUBDOMAIN_PATTERN]: 'must be a DNS-1123 subdomain (lowercase letters, digits, - and .)',
  [TRUST_DOMAIN_PATTERN]: 'must be a lowercase SPIFFE trust domain without scheme or port (letters, digits, . and -)',
  [DATA_KEY_PATTERN]: 'must be a valid Secret/ConfigMap key (letters, digits, -, _ and .)',
  [QUANTITY_PATTERN]: 'must be a resource quantity such as 500m or 128Mi',
  [HOST_PORT_PATTERN]: 'must be host:port',
};

/** One `x-kubernetes-validations` entry. The rule id ends the message so CEL and webhook denials read alike. */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/**
 * Builds one CEL rule; `id` is the same stable rule id the TypeScript check reports.
 *
 * @example
 * cel('port-differs-from-internalPort', 'self.port != self.internalPort', 'internalPort must differ from port', '.internalPort')
 */
export function cel(id: string, rule: string, message: string, fieldPath?: string): CelRule {
  return { rule, message: `${message} (${id})`, ...(fieldPath ? { fieldPath } : {}) };
}

/** Reads the rule id back from a CEL message built by {@link cel}. */
export function celRuleId(message: string): string | null {
  return /\(([A-Za-z0-9-]+)\)$/.exec(message)?.[1] ?? null;
}

/** A string enum in the structural form the CRDs need (`enum`, not TypeBox's `anyOf` of `const`). */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const Int32 = (options: Record<string, unknown> = {}) => Type.Integer({ format: 'int32', ...options });
export const Int64 = (options: Record<string, unknown> = {}) => Type.Integer({ format: 'int64', ...options });
export const Port = (defaultPort: number, description: string) =>
  Int32({ minimum: 1024, maximum: 65535, default: defaultPort, description });
export const Duration = (defaultValue: string | undefined, description: string, validations?: CelRule[]) =>
  Type.String({
    pattern: GO_DURATION_PATTERN,
    maxLength: 64,
    description,
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
    ...(validations ? { 'x-kubernetes-validations': validations } : {}),
  });

/** map[string]string, in the structural form (`additionalProperties`, not `patternProperties`). */
export const StringMap = (description: string): TUnsafe<Record<string, string>> =>
  Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' }, description });

/** Closed object: unknown fields are reported by `validate()`; the CRD generator drops the flag (pruning does it). */
export function Closed<T extends Record<string, TSchema>>(properties: T, options: Record<string, unknown> = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

export const SecretKeyRefSchema = Closed(
  {
    name: Type.String({ minLength: 1, maxLength: 253, description: 'Name of the Secret, in the same namespace.' }),
    key: Type.String({ minLength: 1, maxLength: 253, pattern: DATA_KEY_PATTERN, description: 'Key in the Secret.' }),
  },
  { description: 'A key of a Secret in the same namespace.' },
);
export type SecretKeyRef = Static<typeof SecretKeyRefSchema>;

export const CABundleSourceSchema = Closed(
  {
    configMapRef: Closed(
      {
        name: Type.String({ minLength: 1, maxLength: 253, description: 'Name of the ConfigMap.' }),
        key: Type.Optional(
          Type.String({ minLength: 1, maxLength: 253, pattern: DATA_KEY_PATTERN, default: 'ca.crt', description: 'Key holding the PEM bundle.' }),
        ),
      },
      { description: 'ConfigMap in the same namespace holding the PEM bundle.' },
    ),
  },
  { description: 'PEM CA bundle taken from a ConfigMap in the same namespace.' },
);
export type CABundleSource = Static<typeof CABundleSourceSchema>;

export const CertManagerIssuerReferenceSchema = Closed(
  {
    name: Type.String({ minLength: 1, maxLength: 253, description: 'Name of the cert-manager issuer.' }),
    kind: Type.Optional(
      StringEnum(['Issuer', 'ClusterIssuer'] as const, {
        default: 'ClusterIssuer',
        description: 'An Issuer must live in the namespace where the Certificate is created.',
      }),
    ),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 253, default: 'cert-manager.io', description: 'API group of the issuer.' })),
  },
  { description: 'A cert-manager Issuer or ClusterIssuer.' },
);
export type CertManagerIssuerReference = Static<typeof CertManagerIssuerReferenceSchema>;

/** metav1.Condition, with the validations of the upstream type. */
export const ConditionSchema = Closed({
  type: Type.String({
    description: 'Type of condition in CamelCase.',
    maxLength: 316,
    pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
  }),
  status: StringEnum(['True', 'False', 'Unknown'] as const, { description: 'Status of the condition.' }),
  observedGeneration: Type.Optional(Int64({ minimum: 0, description: 'metadata.generation the condition was set for.' })),
  lastTransitionTime: Type.String({ format: 'date-time', description: 'Last time the status changed.' }),
  reason: Type.String({
    minLength: 1,
    maxLength: 1024,
    pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    description: 'Machine-readable reason in CamelCase.',
  }),
  message: Type.String({ maxLength: 32768, description: 'Human-readable details.' }),
});
export type Condition = Static<typeof ConditionSchema>;

export const ConditionsSchema = Type.Array(ConditionSchema, {
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  description: 'Current state, in the metav1.Condition shape.',
});

/** A resource quantity: integer or string (`500m`, `128Mi`). */
export const QuantitySchema = Type.Unsafe<string | number>({
  'x-kubernetes-int-or-string': true,
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  pattern: QUANTITY_PATTERN,
});

/** Faithful subset of core/v1 ResourceRequirements (limits and requests; `claims` is not used here). */
export const ResourceRequirementsSchema = Closed(
  {
    limits: Type.Optional(
      Type.Unsafe<Record<string, string | number>>({ type: 'object', additionalProperties: QuantitySchema, description: 'Maximum resources.' }),
    ),
    requests: Type.Optional(
      Type.Unsafe<Record<string, string | number>>({ type: 'object', additionalProperties: QuantitySchema, description: 'Minimum resources.' }),
    ),
  },
  { description: 'Container resources (core/v1 ResourceRequirements: limits and requests).' },
);
export type ResourceRequirements = Static<typeof ResourceRequirementsSchema>;

/** Kubernetes object metadata: free-form here (the API server owns it). */
export const ObjectMetaSchema = Type.Unsafe<{ name?: string; namespace?: string; generation?: number; [key: string]: unknown }>({
  type: 'object',
});
