/**
 * The parts of the three CRDs (spec §3) that the reconciler reads, as plain structural types.
 *
 * The API engineer's `src/api/v1alpha1/index.ts` is the one API definition; these types are the
 * controller's read-only view of it (field names exactly as spec §3), kept structural so that
 * objects from the informer caches, from `applyDefaults` and from test fixtures all fit.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface SecretKeyRef {
  name: string;
  key: string;
}

export interface CABundleSource {
  configMapRef: { name: string; key?: string };
}

export interface CertManagerIssuerReference {
  name: string;
  kind?: 'Issuer' | 'ClusterIssuer';
  group?: string;
}

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface UpstreamIdp {
  name: string;
  type: 'oidc';
  oidc?: { issuer: string; clientId: string; clientSecretRef: SecretKeyRef; scopes?: string[] };
}

export interface MCPAuthServerSpec {
  issuer: string;
  replicas?: number;
  port?: number;
  internalPort?: number;
  publicService?: { type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; annotations?: Record<string, string> };
  upstreamIdps: UpstreamIdp[];
  signingKeys: { secretRef: SecretKeyRef; algorithm: string }[];
  tokenLifespans?: { accessToken?: string; refreshToken?: string; authCode?: string };
  tls?: {
    serverCert?: {
      issuerRef?: CertManagerIssuerReference;
      duration?: string;
      renewBefore?: string;
      additionalDnsNames?: string[];
    };
    clientAuth?: {
      caBundle?: CABundleSource;
      allowedSubjects?: {
        trustDomain?: string;
        allowedNamespaces?: string[];
        allowedNames?: string[];
        allowedServers?: { namespace: string; name: string }[];
      };
    };
  };
  storage?: {
    type?: 'memory' | 'redis';
    redis?: {
      address?: string;
      sentinel?: { masterName: string; addresses: string[] };
      passwordSecretRef?: SecretKeyRef;
      usernameSecretRef?: SecretKeyRef;
      tls?: boolean | { enabled?: boolean; caBundle?: CABundleSource };
      caBundle?: CABundleSource;
    };
    encryptionKeySecretRef?: SecretKeyRef;
  };
  networkPolicy?: { enabled?: boolean };
  resources?: Record<string, unknown>;
}

export interface MCPAuthServerStatus {
  observedGeneration?: number;
  phase?: 'Pending' | 'Ready' | 'Failed' | 'Terminating';
  message?: string;
  conditions?: Condition[];
  issuer?: string;
  internalUrl?: string;
  publicServiceName?: string;
  internalServiceName?: string;
  caBundleConfigMap?: string;
  clusterIssuer?: string;
  signingKeyIds?: string[];
  registeredResources?: number;
  configHash?: string;
}

export interface MCPAuthServer {
  apiVersion: string;
  kind: 'MCPAuthServer';
  metadata: ObjectMeta;
  spec: MCPAuthServerSpec;
  status?: MCPAuthServerStatus;
}

export interface MCPExternalAuthConfigSpec {
  type: string;
  authServer?: {
    authServerRef?: { name: string; namespace?: string };
    url?: string;
    upstreamIdp?: string;
    clientCert?: { issuerRef?: CertManagerIssuerReference; trustDomain?: string };
    caBundle?: CABundleSource;
  };
  [other: string]: unknown;
}

export interface ClientCertificateStatus {
  server: string;
  certificateName: string;
  secretName: string;
  ready: boolean;
  notAfter?: string;
}

export interface MCPExternalAuthConfigStatus {
  observedGeneration?: number;
  configHash?: string;
  referencingServers?: string[];
  conditions?: Condition[];
  clientCertificates?: ClientCertificateStatus[];
}

export interface MCPExternalAuthConfig {
  apiVersion: string;
  kind: 'MCPExternalAuthConfig';
  metadata: ObjectMeta;
  spec: MCPExternalAuthConfigSpec;
  status?: MCPExternalAuthConfigStatus;
}

export interface MCPServerSpec {
  image: string;
  transport?: 'streamable-http' | 'sse';
  port?: number;
  proxyPort?: number;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  resources?: Record<string, unknown>;
  oidcConfig?: {
    type?: 'inline';
    resourceUrl?: string;
    inline?: { issuer?: string; audience?: string; jwksUrl?: string };
  };
  externalAuthConfigRef?: { name: string };
}

export interface MCPServerStatus {
  observedGeneration?: number;
  phase?: 'Pending' | 'Running' | 'Failed' | 'Terminating';
  conditions?: Condition[];
  url?: string;
  message?: string;
}

export interface MCPServer {
  apiVersion: string;
  kind: 'MCPServer';
  metadata: ObjectMeta;
  spec: MCPServerSpec;
  status?: MCPServerStatus;
}

/** Any object as the API server returns it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

// Compile-time drift check against the one API definition (conventions §9): every spec and status
// the API accepts must fit the controller's view, so a field renamed or retyped in src/api fails
// `tsc` here instead of silently reading `undefined`.
type Fits<A, B extends A> = B;
export type _SpecsFitTheApi = [
  Fits<MCPAuthServerSpec, import('../../api/v1alpha1/index.ts').MCPAuthServerSpec>,
  Fits<MCPExternalAuthConfigSpec, import('../../api/v1alpha1/index.ts').MCPExternalAuthConfigSpec>,
  Fits<MCPServerSpec, import('../../api/v1alpha1/index.ts').MCPServerSpec>,
  Fits<MCPAuthServerStatus, import('../../api/v1alpha1/index.ts').MCPAuthServerStatus>,
  Fits<MCPExternalAuthConfigStatus, import('../../api/v1alpha1/index.ts').MCPExternalAuthConfigStatus>,
  Fits<MCPServerStatus, import('../../api/v1alpha1/index.ts').MCPServerStatus>,
];
