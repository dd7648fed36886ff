/**
 * MCPExternalAuthConfig (spec §3.2) with the new `authServer` type. The other ToolHive types
 * (`tokenExchange`, `headerInjection`, `bearerToken`) are not implemented by this project; their
 * blocks are kept as opaque objects (`x-kubernetes-preserve-unknown-fields`) so ToolHive manifests
 * still load, and the type/block rule applies to them too.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  CABundleSourceSchema,
  CertManagerIssuerReferenceSchema,
  Closed,
  ConditionsSchema,
  DNS1123_LABEL_PATTERN,
  DNS1123_SUBDOMAIN_PATTERN,
  HTTPS_URL_PATTERN,
  Int64,
  ObjectMetaSchema,
  TRUST_DOMAIN_PATTERN,
  StringEnum,
  cel,
} from './common.ts';

export const EXTERNAL_AUTH_TYPES = ['tokenExchange', 'headerInjection', 'bearerToken', 'unauthenticated', 'authServer'] as const;
/** Types that carry a block of the same name. */
export const EXTERNAL_AUTH_BLOCKS = ['tokenExchange', 'headerInjection', 'bearerToken', 'authServer'] as const;

const OpaqueBlock = (description: string) =>
  Type.Optional(
    Type.Unsafe<Record<string, unknown>>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description }),
  );

const AuthServerClientSchema = Closed(
  {
    authServerRef: Type.Optional(
      Closed(
        {
          name: Type.String({ minLength: 1, maxLength: 253, pattern: DNS1123_SUBDOMAIN_PATTERN, description: 'Name of the MCPAuthServer.' }),
          namespace: Type.Optional(
            Type.String({ minLength: 1, maxLength: 63, pattern: DNS1123_LABEL_PATTERN, description: 'Defaults to this namespace.' }),
          ),
        },
        { description: 'The MCPAuthServer; enables automatic URL, CA, issuer and resource registration.' },
      ),
    ),
    url: Type.Optional(
      Type.String({
        pattern: HTTPS_URL_PATTERN,
        maxLength: 2048,
        description: 'Internal Service URL of the auth server; required without authServerRef.',
      }),
    ),
    upstreamIdp: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        pattern: DNS1123_LABEL_PATTERN,
        description: 'Upstream IdP name sent as audience; defaults to the first upstreamIdps entry.',
      }),
    ),
    clientCert: Closed(
      {
        issuerRef: Type.Optional(CertManagerIssuerReferenceSchema),
        trustDomain: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 255,
            pattern: TRUST_DOMAIN_PATTERN,
            description: "SPIFFE trust domain; defaults to the referenced MCPAuthServer's.",
          }),
        ),
      },
      {
        description: 'Client certificate of each referencing MCPServer (mTLS to the internal endpoint).',
      },
    ),
    caBundle: Type.Optional(CABundleSourceSchema),
  },
  {
    description: 'Client side of the standalone auth server; required when type is authServer.',
    'x-kubernetes-validations': [
      cel('url-or-authServerRef', 'has(self.authServerRef) || has(self.url)', 'url is required when authServerRef is not set', '.url'),
      cel(
        'issuerRef-required-without-authServerRef',
        'has(self.authServerRef) || has(self.clientCert.issuerRef)',
        'clientCert.issuerRef is required when authServerRef is not set',
        '.clientCert.issuerRef',
      ),
      cel(
        'trustDomain-required-without-authServerRef',
        'has(self.authServerRef) || has(self.clientCert.trustDomain)',
        'clientCert.trustDomain is required when authServerRef is not set',
        '.clientCert.trustDomain',
      ),
      cel(
        'caBundle-required-without-authServerRef',
        'has(self.authServerRef) || has(self.caBundle)',
        'caBundle is required when authServerRef is not set (nothing to take the CA from)',
        '.caBundle',
      ),
    ],
  },
);

export const MCPExternalAuthConfigSpecSchema = Closed(
  {
    type: StringEnum(EXTERNAL_AUTH_TYPES,
      { description: 'Authentication type; authServer is the standalone auth server with mTLS token exchange.' },
    ),
    authServer: Type.Optional(AuthServerClientSchema),
    tokenExchange: OpaqueBlock('ToolHive tokenExchange configuration (not implemented here).'),
    headerInjection: OpaqueBlock('ToolHive headerInjection configuration (not implemented here).'),
    bearerToken: OpaqueBlock('ToolHive bearerToken configuration (not implemented here).'),
  },
  {
    description: 'Desired authentication configuration.',
    'x-kubernetes-validations': EXTERNAL_AUTH_BLOCKS.map((block) =>
      cel(
        block === 'authServer' ? 'authServer-iff-type-authServer' : 'block-matches-type',
        `self.type == '${block}' ? has(self.${block}) : !has(self.${block})`,
        `${block} must be set if and only if type is ${block}`,
        `.${block}`,
      ),
    ),
  },
);
export type MCPExternalAuthConfigSpec = Static<typeof MCPExternalAuthConfigSpecSchema>;

export const MCPExternalAuthConfigStatusSchema = Closed(
  {
    observedGeneration: Type.Optional(Int64({ minimum: 0, description: 'Last metadata.generation fully reconciled.' })),
    configHash: Type.Optional(Type.String({ description: 'Hash of the effective configuration.' })),
    referencingServers: Type.Optional(Type.Array(Type.String(), { description: 'MCPServers that reference this config.' })),
    conditions: Type.Optional(ConditionsSchema),
    clientCertificates: Type.Optional(
      Type.Array(
        Closed({
          server: Type.String({ description: 'Name of the MCPServer.' }),
          certificateName: Type.String({ description: 'cert-manager Certificate name.' }),
          secretName: Type.String({ description: 'Secret holding the client certificate.' }),
          ready: Type.Boolean({ description: 'Whether the Certificate is Ready.' }),
          notAfter: Type.Optional(Type.String({ format: 'date-time', description: 'Expiry of the current certificate.' })),
        }),
        {
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['server'],
          description: 'Client certificate of each referencing MCPServer.',
        },
      ),
    ),
  },
  { description: 'Observed state, written by the controller.' },
);
export type MCPExternalAuthConfigStatus = Static<typeof MCPExternalAuthConfigStatusSchema>;

export const MCPExternalAuthConfigSchema = Type.Object(
  {
    apiVersion: Type.Optional(Type.String({ description: 'toolhive.stacklok.dev/v1alpha1' })),
    kind: Type.Optional(Type.String({ description: 'MCPExternalAuthConfig' })),
    metadata: Type.Optional(ObjectMetaSchema),
    spec: MCPExternalAuthConfigSpecSchema,
    status: Type.Optional(MCPExternalAuthConfigStatusSchema),
  },
  { description: 'How MCPServers authenticate to their backends; type authServer uses the standalone auth server.' },
);
export type MCPExternalAuthConfig = Static<typeof MCPExternalAuthConfigSchema>;
