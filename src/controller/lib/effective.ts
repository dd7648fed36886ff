/**
 * Effective values of MCPAuthServer / MCPServer specs: the defaults of spec §3 applied on read.
 * The mutating webhook normally fills them in, but the reconciler must not depend on it (the
 * webhook may be disabled, or objects may predate it), so every builder reads through here.
 */
import type { MCPAuthServer, MCPServer, CertManagerIssuerReference } from './crd-types.ts';

export const DEFAULT_TRUST_DOMAIN = 'toolhive.local';

/**
 * The MCPAuthServer spec with every default of spec §3.1 applied.
 *
 * @example
 * effectiveAuthServer(as).internalPort // 9443 unless set
 */
export function effectiveAuthServer(as: MCPAuthServer) {
  const s = as.spec;
  const tls = s.tls ?? {};
  const issuerRef = tls.serverCert?.issuerRef;
  return {
    issuer: s.issuer,
    replicas: s.replicas ?? 1,
    port: s.port ?? 8443,
    internalPort: s.internalPort ?? 9443,
    publicServiceType: s.publicService?.type ?? 'ClusterIP',
    publicServiceAnnotations: s.publicService?.annotations ?? {},
    autoCA: issuerRef === undefined,
    issuerRef: issuerRef ? withIssuerDefaults(issuerRef) : undefined,
    serverCertDuration: tls.serverCert?.duration ?? '8760h',
    serverCertRenewBefore: tls.serverCert?.renewBefore ?? '720h',
    additionalDnsNames: tls.serverCert?.additionalDnsNames ?? [],
    caBundle: tls.clientAuth?.caBundle
      ? { name: tls.clientAuth.caBundle.configMapRef.name, key: tls.clientAuth.caBundle.configMapRef.key ?? 'ca.crt' }
      : undefined,
    trustDomain: tls.clientAuth?.allowedSubjects?.trustDomain ?? DEFAULT_TRUST_DOMAIN,
    allowedNamespaces: tls.clientAuth?.allowedSubjects?.allowedNamespaces ?? [],
    allowedNames: tls.clientAuth?.allowedSubjects?.allowedNames ?? [],
    allowedServers: tls.clientAuth?.allowedSubjects?.allowedServers ?? [],
    accessTokenLifespan: s.tokenLifespans?.accessToken ?? '1h',
    refreshTokenLifespan: s.tokenLifespans?.refreshToken ?? '168h',
    authCodeLifespan: s.tokenLifespans?.authCode ?? '10m',
    storageType: s.storage?.type ?? 'memory',
    networkPolicyEnabled: s.networkPolicy?.enabled ?? true,
  };
}

export type EffectiveAuthServer = ReturnType<typeof effectiveAuthServer>;

/**
 * @example
 * withIssuerDefaults({ name: 'corp' }) // {name: 'corp', kind: 'ClusterIssuer', group: 'cert-manager.io'}
 */
export function withIssuerDefaults(ref: CertManagerIssuerReference): Required<CertManagerIssuerReference> {
  return { name: ref.name, kind: ref.kind ?? 'ClusterIssuer', group: ref.group ?? 'cert-manager.io' };
}

/**
 * @example
 * scopesOf(undefined) // ['openid', 'profile', 'email']
 */
export function scopesOf(scopes: string[] | undefined): string[] {
  return scopes ?? ['openid', 'profile', 'email'];
}

/**
 * @example
 * effectiveMCPServer(srv).proxyPort // 8000 unless set
 */
export function effectiveMCPServer(srv: MCPServer) {
  return {
    transport: srv.spec.transport ?? 'streamable-http',
    port: srv.spec.port ?? 8080,
    proxyPort: srv.spec.proxyPort ?? 8000,
  };
}

/** Subject policy of spec §2.10 step 4, minus the trust-domain part (checked by the caller). */
export function subjectAllowed(eff: EffectiveAuthServer, namespace: string, name: string): boolean {
  if (eff.allowedNamespaces.length > 0 && !eff.allowedNamespaces.includes(namespace)) return false;
  if (eff.allowedNames.length > 0 && !eff.allowedNames.includes(name)) return false;
  if (eff.allowedServers.length > 0 && !eff.allowedServers.some((p) => p.namespace === namespace && p.name === name)) return false;
  return true;
}
