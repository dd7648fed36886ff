/**
 * MCPServer (spec §3.3): the part of ToolHive's MCPServer this system needs, same field names.
 * `env` is a faithful subset of core/v1 EnvVar (`valueFrom` kept opaque); `resources` is the
 * limits/requests subset of ResourceRequirements.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  Closed,
  ConditionsSchema,
  DNS1035_LABEL_PATTERN,
  HTTPS_URL_PATTERN,
  HTTP_URL_PATTERN,
  ISSUER_PATTERN,
  Int32,
  Int64,
  ObjectMetaSchema,
  ResourceRequirementsSchema,
  StringEnum,
  cel,
} from './common.ts';

/** MCPServer names must fit the SPIFFE path and `{name}-mtls` (spec §3.3). */
export const MAX_MCPSERVER_NAME_LENGTH = 63;

const EnvVarSchema = Closed({
  name: Type.String({ minLength: 1, maxLength: 1024, description: 'Variable name.' }),
  value: Type.Optional(Type.String({ description: 'Literal value.' })),
  valueFrom: Type.Optional(
    Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      description: 'core/v1 EnvVarSource (secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef).',
    }),
  ),
});

const OidcConfigSchema = Closed(
  {
    type: StringEnum(['inline'] as const, { description: 'Only inline is supported.' }),
    resourceUrl: Type.Optional(
      Type.String({
        pattern: HTTP_URL_PATTERN,
        maxLength: 2048,
        description: 'RFC 9728 resource of this server; the key in the auth server resource map.',
      }),
    ),
    inline: Type.Optional(
      Closed(
        {
          issuer: Type.String({
            pattern: ISSUER_PATTERN,
            maxLength: 2048,
            description: "Must equal the MCPAuthServer's spec.issuer.",
          }),
          audience: Type.String({ minLength: 1, maxLength: 2048, description: 'Must equal the normalized resourceUrl.' }),
          jwksUrl: Type.Optional(
            Type.String({ pattern: HTTPS_URL_PATTERN, maxLength: 2048, description: 'Defaults to <issuer>/.well-known/jwks.json.' }),
          ),
        },
        { description: 'How the proxy validates client JWTs.' },
      ),
    ),
  },
  {
    description: 'Validation of incoming client tokens (RFC 9728 resource and issuer).',
    'x-kubernetes-validations': [
      cel('inline-required', "self.type != 'inline' || has(self.inline)", 'inline is required when type is inline', '.inline'),
      cel('resourceUrl-required', "self.type != 'inline' || has(self.resourceUrl)", 'resourceUrl is required when type is inline', '.resourceUrl'),
    ],
  },
);

export const MCPServerSpecSchema = Closed(
  {
    image: Type.String({ minLength: 1, maxLength: 1024, description: "The MCP server's container image." }),
    transport: Type.Optional(StringEnum(['streamable-http', 'sse'] as const, { default: 'streamable-http', description: 'MCP transport.' })),
    port: Type.Optional(Int32({ minimum: 1, maximum: 65535, default: 8080, description: "The MCP server container's port." })),
    proxyPort: Type.Optional(Int32({ minimum: 1, maximum: 65535, default: 8000, description: "The proxy's port; the Service targets it." })),
    args: Type.Optional(Type.Array(Type.String(), { description: 'Arguments of the MCP server container.' })),
    env: Type.Optional(
      Type.Array(EnvVarSchema, {
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        description: 'Environment of the MCP server container.',
      }),
    ),
    resources: Type.Optional(ResourceRequirementsSchema),
    oidcConfig: Type.Optional(OidcConfigSchema),
    externalAuthConfigRef: Type.Optional(
      Closed(
        { name: Type.String({ minLength: 1, maxLength: 253, description: 'Name of the MCPExternalAuthConfig.' }) },
        { description: 'An MCPExternalAuthConfig in the same namespace.' },
      ),
    ),
  },
  {
    description: 'Desired state of the MCP server.',
    'x-kubernetes-validations': [
      cel(
        'port-differs-from-proxyPort',
        '(has(self.port) ? self.port : 8080) != (has(self.proxyPort) ? self.proxyPort : 8000)',
        'proxyPort must differ from port (both containers share the pod network)',
        '.proxyPort',
      ),
    ],
  },
);
export type MCPServerSpec = Static<typeof MCPServerSpecSchema>;

export const MCPServerStatusSchema = Closed(
  {
    observedGeneration: Type.Optional(Int64({ minimum: 0, description: 'Last metadata.generation fully reconciled.' })),
    phase: Type.Optional(StringEnum(['Pending', 'Running', 'Failed', 'Terminating'] as const, { description: 'Summary of the conditions.' })),
    message: Type.Optional(Type.String({ description: 'Human summary.' })),
    url: Type.Optional(Type.String({ description: 'In-cluster URL of the proxy Service.' })),
    conditions: Type.Optional(ConditionsSchema),
    externalAuthConfigHash: Type.Optional(Type.String({ description: 'configHash of the referenced MCPExternalAuthConfig last rendered.' })),
  },
  { description: 'Observed state, written by the controller.' },
);
export type MCPServerStatus = Static<typeof MCPServerStatusSchema>;

export const MCPServerSchema = Type.Object(
  {
    apiVersion: Type.Optional(Type.String({ description: 'toolhive.stacklok.dev/v1alpha1' })),
    kind: Type.Optional(Type.String({ description: 'MCPServer' })),
    metadata: Type.Optional(ObjectMetaSchema),
    spec: MCPServerSpecSchema,
    status: Type.Optional(MCPServerStatusSchema),
  },
  {
    description: 'An MCP server behind the proxy.',
    'x-kubernetes-validations': [
      cel(
        'name-length',
        `!has(self.metadata.name) || size(self.metadata.name) <= ${MAX_MCPSERVER_NAME_LENGTH}`,
        `metadata.name must be at most ${MAX_MCPSERVER_NAME_LENGTH} characters (it must fit the SPIFFE ID and {name}-mtls)`,
      ),
      cel(
        'name-dns1035',
        `!has(self.metadata.name) || self.metadata.name.matches('${DNS1035_LABEL_PATTERN}')`,
        'metadata.name must be a DNS-1035 label (it names the Service {name})',
      ),
    ],
  },
);
export type MCPServer = Static<typeof MCPServerSchema>;
