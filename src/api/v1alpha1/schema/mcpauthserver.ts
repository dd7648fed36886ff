/**
 * MCPAuthServer (spec §3.1): schema, CEL rules and types, from one TypeBox definition.
 * Every CEL rule here has a TypeScript twin in `rules/mcpauthserver-rules.ts` with the same id.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  CABundleSourceSchema,
  CertManagerIssuerReferenceSchema,
  Closed,
  ConditionsSchema,
  DNS1035_LABEL_PATTERN,
  DNS1123_LABEL_PATTERN,
  DNS1123_SUBDOMAIN_PATTERN,
  Duration,
  HOST_PORT_PATTERN,
  HTTPS_URL_PATTERN,
  ISSUER_PATTERN,
  Int32,
  Int64,
  ObjectMetaSchema,
  Port,
  ResourceRequirementsSchema,
  SecretKeyRefSchema,
  StringMap,
  TRUST_DOMAIN_PATTERN,
  StringEnum,
  cel,
} from './common.ts';

/** `{name}-internal` must fit a Service name (63 characters). */
export const MAX_MCPAUTHSERVER_NAME_LENGTH = 63 - '-internal'.length;

/** Upper bound of `upstreamIdps` in the schema; the webhook allows more than 1 only with the `MultiUpstreamIdp` gate. */
export const MAX_UPSTREAM_IDPS = 10;
export const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** Token lifespan bounds (spec §3.1 / §5.2), shared by the CEL rules and the TypeScript checks. */
export const LIFESPAN_BOUNDS = {
  accessToken: { min: '1m', max: '24h', default: '1h' },
  refreshToken: { min: '1h', max: '720h', default: '168h' },
  authCode: { min: '30s', max: '10m', default: '10m' },
} as const;

const lifespan = (field: keyof typeof LIFESPAN_BOUNDS, description: string) => {
  const b = LIFESPAN_BOUNDS[field];
  return Type.Optional(
    Duration(b.default, `${description} Between ${b.min} and ${b.max}.`, [
      cel(
        'duration-range',
        `duration(self) >= duration('${b.min}') && duration(self) <= duration('${b.max}')`,
        `must be between ${b.min} and ${b.max}`,
      ),
    ]),
  );
};

const OidcUpstreamSchema = Closed(
  {
    issuer: Type.String({
      pattern: HTTPS_URL_PATTERN,
      maxLength: 2048,
      description: 'Issuer URL of the upstream IdP; discovery at <issuer>/.well-known/openid-configuration.',
    }),
    clientId: Type.String({ minLength: 1, maxLength: 1024, description: 'OAuth client id registered at the upstream IdP.' }),
    clientSecretRef: SecretKeyRefSchema,
    scopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: 64,
        default: ['openid', 'profile', 'email'],
        description: 'Scopes requested upstream; must contain openid.',
      }),
    ),
  },
  {
    description: 'OpenID Connect settings; required when type is oidc.',
    'x-kubernetes-validations': [
      cel('scopes-include-openid', "!has(self.scopes) || 'openid' in self.scopes", 'scopes must contain openid', '.scopes'),
    ],
  },
);

const UpstreamIdpSchema = Closed(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: DNS1123_LABEL_PATTERN,
      description: 'Unique name; storage key, log field and the exchange `audience`. Renaming orphans stored tokens.',
    }),
    type: StringEnum(['oidc'] as const, { description: 'Upstream protocol.' }),
    oidc: Type.Optional(OidcUpstreamSchema),
  },
  {
    'x-kubernetes-validations': [
      cel('oidc-iff-type-oidc', "self.type == 'oidc' ? has(self.oidc) : !has(self.oidc)", 'oidc must be set if and only if type is oidc', '.oidc'),
    ],
  },
);

const SigningKeySchema = Closed({
  secretRef: SecretKeyRefSchema,
  algorithm: StringEnum(SIGNING_ALGORITHMS,
    { description: 'JWS algorithm; must match the key type (checked by the controller).' },
  ),
});

const AllowedServerSchema = Closed({
  namespace: Type.String({ minLength: 1, maxLength: 63, pattern: DNS1123_LABEL_PATTERN, description: 'Namespace of the MCPServer.' }),
  name: Type.String({ minLength: 1, maxLength: 63, pattern: DNS1123_SUBDOMAIN_PATTERN, description: 'Name of the MCPServer.' }),
});

const AllowedSubjectsSchema = Closed(
  {
    trustDomain: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: TRUST_DOMAIN_PATTERN,
        description: 'SPIFFE trust domain (no scheme). Defaults to toolhive.local in auto CA mode; required with issuerRef.',
      }),
    ),
    allowedNamespaces: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63, pattern: DNS1123_LABEL_PATTERN }), {
        maxItems: 256,
        'x-kubernetes-list-type': 'set',
        description: 'Namespaces whose MCPServers may call the internal endpoint; empty = all.',
      }),
    ),
    allowedNames: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63, pattern: DNS1123_SUBDOMAIN_PATTERN }), {
        maxItems: 256,
        'x-kubernetes-list-type': 'set',
        description: 'MCPServer names allowed; empty = all.',
      }),
    ),
    allowedServers: Type.Optional(
      Type.Array(AllowedServerSchema, {
        maxItems: 1024,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['namespace', 'name'],
        description: 'Exact namespace/name pairs allowed.',
      }),
    ),
  },
  { description: 'SPIFFE identities (spiffe://<trustDomain>/ns/<ns>/mcpserver/<name>) allowed to call the internal endpoint.' },
);

const TlsSchema = Closed(
  {
    serverCert: Type.Optional(
      Closed(
        {
          issuerRef: Type.Optional(CertManagerIssuerReferenceSchema),
          duration: Type.Optional(Duration('8760h', 'Server certificate lifetime; greater than renewBefore.')),
          renewBefore: Type.Optional(Duration('720h', 'Renew this long before expiry; less than duration.')),
          additionalDnsNames: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: DNS1123_SUBDOMAIN_PATTERN }), {
              maxItems: 64,
              description: 'Extra DNS SANs, e.g. the public host behind a re-encrypting ingress.',
            }),
          ),
        },
        {
          default: {},
          description: 'Server certificate; without issuerRef the operator runs its own CA (auto CA mode).',
          'x-kubernetes-validations': [
            cel(
              'renewBefore-less-than-duration',
              "duration(has(self.renewBefore) ? self.renewBefore : '720h') < duration(has(self.duration) ? self.duration : '8760h')",
              'renewBefore must be less than duration',
              '.renewBefore',
            ),
          ],
        },
      ),
    ),
    clientAuth: Type.Optional(
      Closed(
        {
          caBundle: Type.Optional(CABundleSourceSchema),
          allowedSubjects: Type.Optional(AllowedSubjectsSchema),
        },
        { default: {}, description: 'Client certificates accepted on the internal listener.' },
      ),
    ),
  },
  {
    default: {},
    description: 'Certificates: the server certificate and the client certificates accepted on the internal listener.',
    'x-kubernetes-validations': [
      cel(
        'issuerRef-requires-caBundle',
        '!(has(self.serverCert) && has(self.serverCert.issuerRef)) || (has(self.clientAuth) && has(self.clientAuth.caBundle))',
        'clientAuth.caBundle is required when serverCert.issuerRef is set (enterprise CA mode)',
        '.clientAuth.caBundle',
      ),
      cel(
        'caBundle-requires-issuerRef',
        '!(has(self.clientAuth) && has(self.clientAuth.caBundle)) || (has(self.serverCert) && has(self.serverCert.issuerRef))',
        'clientAuth.caBundle must be absent without serverCert.issuerRef (auto CA mode provides the bundle)',
        '.clientAuth.caBundle',
      ),
      cel(
        'trustDomain-required',
        '!(has(self.serverCert) && has(self.serverCert.issuerRef)) || (has(self.clientAuth) && has(self.clientAuth.allowedSubjects) && has(self.clientAuth.allowedSubjects.trustDomain))',
        'clientAuth.allowedSubjects.trustDomain is required when serverCert.issuerRef is set',
        '.clientAuth.allowedSubjects.trustDomain',
      ),
    ],
  },
);

const RedisSchema = Closed(
  {
    address: Type.Optional(
      Type.String({
        maxLength: 512,
        pattern: HOST_PORT_PATTERN,
        description: 'host:port of the Redis server.',
      }),
    ),
    sentinel: Type.Optional(
      Closed(
        {
          masterName: Type.String({ minLength: 1, maxLength: 256, description: 'Name of the Sentinel master set.' }),
          addresses: Type.Array(Type.String({ maxLength: 512, pattern: HOST_PORT_PATTERN }), {
            minItems: 1,
            maxItems: 16,
            description: 'host:port of each Sentinel.',
          }),
        },
        { description: 'Redis Sentinel; exclusive with address.' },
      ),
    ),
    usernameSecretRef: Type.Optional(SecretKeyRefSchema),
    passwordSecretRef: Type.Optional(SecretKeyRefSchema),
    tls: Type.Optional(Type.Boolean({ default: false, description: 'Connect with TLS.' })),
    caBundle: Type.Optional(CABundleSourceSchema),
  },
  {
    description: 'Redis connection; required when storage.type is redis.',
    'x-kubernetes-validations': [
      cel('redis-address-or-sentinel', 'has(self.address) != has(self.sentinel)', 'exactly one of address and sentinel must be set'),
      cel('redis-caBundle-needs-tls', '!has(self.caBundle) || (has(self.tls) && self.tls)', 'caBundle needs tls: true', '.caBundle'),
    ],
  },
);

const StorageSchema = Closed(
  {
    type: Type.Optional(
      StringEnum(['memory', 'redis'] as const, { default: 'memory', description: 'memory is per pod; redis for several replicas.' }),
    ),
    redis: Type.Optional(RedisSchema),
    encryptionKeySecretRef: Type.Optional(SecretKeyRefSchema),
  },
  {
    default: {},
    description: 'Where sessions and upstream tokens are kept.',
    'x-kubernetes-validations': [
      cel(
        'redis-iff-type-redis',
        "(has(self.type) && self.type == 'redis') == has(self.redis)",
        'redis must be set if and only if type is redis',
        '.redis',
      ),
    ],
  },
);

export const MCPAuthServerSpecSchema = Closed(
  {
    issuer: Type.String({
      pattern: ISSUER_PATTERN,
      maxLength: 2048,
      description: 'Public issuer URL: https, no query, fragment or trailing slash. JWT iss and base of all endpoints.',
    }),
    replicas: Type.Optional(Int32({ minimum: 1, default: 1, description: 'More than 1 only with storage.type redis.' })),
    port: Type.Optional(Port(8443, 'Public HTTPS port.')),
    internalPort: Type.Optional(Port(9443, 'Internal mTLS port; must differ from port.')),
    publicService: Type.Optional(
      Closed(
        {
          type: Type.Optional(
            StringEnum(['ClusterIP', 'NodePort', 'LoadBalancer'] as const, { default: 'ClusterIP', description: 'Type of the public Service.' }),
          ),
          annotations: Type.Optional(StringMap('Annotations of the public Service.')),
        },
        { default: {}, description: 'The public Service; the internal one is always ClusterIP.' },
      ),
    ),
    upstreamIdps: Type.Array(UpstreamIdpSchema, {
      minItems: 1,
      maxItems: MAX_UPSTREAM_IDPS,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      description: 'Upstream identity providers. More than one needs the MultiUpstreamIdp feature gate.',
    }),
    signingKeys: Type.Array(SigningKeySchema, {
      minItems: 1,
      maxItems: 5,
      description: 'JWT signing keys; the first signs, the others are published on JWKS only.',
      'x-kubernetes-validations': [
        cel(
          'unique-signing-key-refs',
          'self.all(a, self.exists_one(b, b.secretRef.name == a.secretRef.name && b.secretRef.key == a.secretRef.key))',
          'entries must not reference the same secret name and key',
        ),
      ],
    }),
    tokenLifespans: Type.Optional(
      Closed(
        {
          accessToken: lifespan('accessToken', 'Access token lifetime.'),
          refreshToken: lifespan('refreshToken', 'Refresh token lifetime.'),
          authCode: lifespan('authCode', 'Authorization code lifetime.'),
        },
        { default: {}, description: 'Token lifetimes (Go durations).' },
      ),
    ),
    tls: Type.Optional(TlsSchema),
    storage: Type.Optional(StorageSchema),
    networkPolicy: Type.Optional(
      Closed(
        { enabled: Type.Optional(Type.Boolean({ default: true, description: 'Create the NetworkPolicy.' })) },
        { default: {}, description: 'NetworkPolicy limiting the internal port to MCPServer pods of the allowed namespaces.' },
      ),
    ),
    resources: Type.Optional(ResourceRequirementsSchema),
  },
  {
    description: 'Desired state of the auth server.',
    'x-kubernetes-validations': [
      cel(
        'port-differs-from-internalPort',
        '(has(self.port) ? self.port : 8443) != (has(self.internalPort) ? self.internalPort : 9443)',
        'internalPort must differ from port',
        '.internalPort',
      ),
      cel(
        'replicas-need-redis',
        "!has(self.replicas) || self.replicas <= 1 || (has(self.storage) && has(self.storage.type) && self.storage.type == 'redis')",
        'more than 1 replica needs storage.type redis; memory storage is per-pod',
        '.replicas',
      ),
    ],
  },
);
export type MCPAuthServerSpec = Static<typeof MCPAuthServerSpecSchema>;

export const MCPAuthServerStatusSchema = Closed(
  {
    observedGeneration: Type.Optional(Int64({ minimum: 0, description: 'Last metadata.generation fully reconciled.' })),
    phase: Type.Optional(StringEnum(['Pending', 'Ready', 'Failed', 'Terminating'] as const, { description: 'Summary of the conditions.' })),
    message: Type.Optional(Type.String({ description: 'Human summary.' })),
    conditions: Type.Optional(ConditionsSchema),
    issuer: Type.Optional(Type.String({ description: 'Effective issuer.' })),
    internalUrl: Type.Optional(Type.String({ description: 'URL of the internal token-exchange Service.' })),
    publicServiceName: Type.Optional(Type.String({ description: 'Name of the public Service.' })),
    internalServiceName: Type.Optional(Type.String({ description: 'Name of the internal Service.' })),
    caBundleConfigMap: Type.Optional(Type.String({ description: 'ConfigMap holding the CA bundle in auto CA mode.' })),
    clusterIssuer: Type.Optional(Type.String({ description: 'ClusterIssuer used for client certificates in auto CA mode.' })),
    signingKeyIds: Type.Optional(Type.Array(Type.String(), { description: 'kids on JWKS, active first.' })),
    registeredResources: Type.Optional(Int32({ minimum: 0, description: 'Entries in the resource map.' })),
    configHash: Type.Optional(Type.String({ description: 'Hash of the rendered auth-server config.' })),
  },
  { description: 'Observed state, written by the controller.' },
);
export type MCPAuthServerStatus = Static<typeof MCPAuthServerStatusSchema>;

export const MCPAuthServerSchema = Type.Object(
  {
    apiVersion: Type.Optional(Type.String({ description: 'toolhive.stacklok.dev/v1alpha1' })),
    kind: Type.Optional(Type.String({ description: 'MCPAuthServer' })),
    metadata: Type.Optional(ObjectMetaSchema),
    spec: MCPAuthServerSpecSchema,
    status: Type.Optional(MCPAuthServerStatusSchema),
  },
  {
    description: 'A standalone OAuth 2.1 authorization server for MCP servers.',
    'x-kubernetes-validations': [
      cel(
        'name-fits-services',
        `!has(self.metadata.name) || (size(self.metadata.name) <= ${MAX_MCPAUTHSERVER_NAME_LENGTH} && self.metadata.name.matches('${DNS1035_LABEL_PATTERN}'))`,
        `metadata.name must be a DNS-1035 label of at most ${MAX_MCPAUTHSERVER_NAME_LENGTH} characters (it names the Services {name} and {name}-internal)`,
      ),
    ],
  },
);
export type MCPAuthServer = Static<typeof MCPAuthServerSchema>;
