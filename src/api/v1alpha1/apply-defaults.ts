/**
 * `applyDefaults()`: the defaults of spec §3 on a deep copy, so the mutating webhook can patch
 * them in and `kubectl get -o yaml` shows the effective spec. Schema defaults come from the same
 * TypeBox schemas (ajv `useDefaults`); the conditional ones the schema cannot express are applied
 * after: the auto-CA trust domain, the MCPServer JWKS URL and the authServerRef namespace.
 */
import { isKindName } from './kinds.ts';
import { schemaDefaulter } from './lib/ajv.ts';
import { DEFAULT_TRUST_DOMAIN } from './rules/mcpauthserver-rules.ts';
import { has, rec, str, type Rec } from './rules/lib.ts';

/**
 * Returns a deep copy of `obj` with every default filled in. Idempotent; objects of other kinds
 * come back as plain copies.
 *
 * @example
 * applyDefaults({ kind: 'MCPServer', spec: { image: 'ghcr.io/x/y:1' } }).spec
 * // { image: 'ghcr.io/x/y:1', transport: 'streamable-http', port: 8080, proxyPort: 8000 }
 */
export function applyDefaults<T>(obj: T): T {
  const copy = structuredClone(obj);
  const kind = rec(copy)?.kind;
  if (!isKindName(kind)) return copy;
  schemaDefaulter(kind)(copy);
  const spec = rec(rec(copy)?.spec);
  if (!spec) return copy;
  if (kind === 'MCPAuthServer') {
    defaultTrustDomain(spec);
    // The trust-domain default may create `tls` (e.g. from `tls: null`); its nested schema
    // defaults must follow in the same call, or a second call would add them (not idempotent).
    schemaDefaulter(kind)(copy);
  }
  if (kind === 'MCPServer') defaultJwksUrl(spec);
  if (kind === 'MCPExternalAuthConfig') defaultAuthServerRefNamespace(spec, str(rec(rec(copy)?.metadata)?.namespace));
  return copy;
}

// Spec §3.2: authServerRef without namespace means the config's own namespace; spelled out so the
// effective reference shows in `kubectl get -o yaml`.
function defaultAuthServerRefNamespace(spec: Rec, namespace: string | undefined): void {
  const ref = rec(rec(spec.authServer)?.authServerRef);
  if (ref && namespace !== undefined && !has(ref, 'namespace')) ref.namespace = namespace;
}

// Spec §3.1: trustDomain defaults to toolhive.local in auto CA mode only (enterprise mode requires it).
function defaultTrustDomain(spec: Rec): void {
  const tls = (spec.tls ??= {}) as Rec;
  if (!rec(tls) || has(rec(tls.serverCert), 'issuerRef')) return;
  const clientAuth = (tls.clientAuth ??= {}) as Rec;
  if (!rec(clientAuth)) return;
  const subjects = (clientAuth.allowedSubjects ??= {}) as Rec;
  if (!rec(subjects)) return;
  subjects.trustDomain ??= DEFAULT_TRUST_DOMAIN;
}

// Spec §3.3: jwksUrl defaults to <issuer>/.well-known/jwks.json.
function defaultJwksUrl(spec: Rec): void {
  const inline = rec(rec(spec.oidcConfig)?.inline);
  const issuer = str(inline?.issuer);
  if (inline && issuer !== undefined && !has(inline, 'jwksUrl')) inline.jwksUrl = `${issuer}/.well-known/jwks.json`;
}
