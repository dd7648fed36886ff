/**
 * MCPAuthServer cross-field rules (spec §3.1 "CEL / webhook rules", §6.2 "CRDs (admission)").
 * Each rule with a CEL twin in `schema/mcpauthserver.ts` uses the same id; the others are
 * webhook-only (feature gate, duration parsing beyond the pattern).
 */
import type { FieldError } from '../field-error.ts';
import { DNS1035_LABEL_PATTERN } from '../schema/common.ts';
import { LIFESPAN_BOUNDS, MAX_MCPAUTHSERVER_NAME_LENGTH } from '../schema/mcpauthserver.ts';
import { checkDuration, checkDurationRange } from './duration-rules.ts';
import { has, int, list, rec, str } from './lib.ts';

// Compiled once (no g/y flag, so test() keeps no state between calls).
const DNS1035_LABEL = new RegExp(DNS1035_LABEL_PATTERN);

export interface AuthServerRuleOptions {
  featureGates?: { MultiUpstreamIdp?: boolean };
}

/** Default trust domain in auto CA mode (spec §3.1). */
export const DEFAULT_TRUST_DOMAIN = 'toolhive.local';

/**
 * All semantic problems of an MCPAuthServer spec.
 *
 * @example
 * mcpAuthServerRules({ spec: { replicas: 2, issuer: 'https://a', upstreamIdps: [], signingKeys: [] } })
 * // [{ path: 'spec.replicas', rule: 'replicas-need-redis', message: '2 replicas need storage.type redis; memory storage is per-pod' }]
 */
export function mcpAuthServerRules(obj: unknown, options: AuthServerRuleOptions = {}): FieldError[] {
  const errors: FieldError[] = [];
  // The name becomes the Services {name} and {name}-internal (DNS-1035, 63 characters).
  const name = str(rec(rec(obj)?.metadata)?.name);
  if (name !== undefined && (name.length > MAX_MCPAUTHSERVER_NAME_LENGTH || !DNS1035_LABEL.test(name))) {
    errors.push({
      path: 'metadata.name',
      rule: 'name-fits-services',
      message: `"${name}" must be a DNS-1035 label of at most ${MAX_MCPAUTHSERVER_NAME_LENGTH} characters (it names the Services {name} and {name}-internal)`,
    });
  }
  const spec = rec(rec(obj)?.spec);
  if (!spec) return errors;

  // §4.5 REV h: the public and internal listeners are different sockets.
  const port = spec.port === undefined ? 8443 : int(spec.port);
  const internalPort = spec.internalPort === undefined ? 9443 : int(spec.internalPort);
  if (port !== undefined && port === internalPort) {
    errors.push({ path: 'spec.internalPort', rule: 'port-differs-from-internalPort', message: `${internalPort} must differ from port ${port}` });
  }

  // Memory storage is per pod: a second replica would not see the first one's sessions.
  const storage = rec(spec.storage);
  const replicas = int(spec.replicas);
  if (replicas !== undefined && replicas > 1 && str(storage?.type) !== 'redis') {
    errors.push({ path: 'spec.replicas', rule: 'replicas-need-redis', message: `${replicas} replicas need storage.type redis; memory storage is per-pod` });
  }

  upstreamIdpRules(list(spec.upstreamIdps), options, errors);
  signingKeyRules(list(spec.signingKeys), errors);

  const lifespans = rec(spec.tokenLifespans);
  for (const field of Object.keys(LIFESPAN_BOUNDS) as Array<keyof typeof LIFESPAN_BOUNDS>) {
    if (lifespans && lifespans[field] !== undefined) {
      const b = LIFESPAN_BOUNDS[field];
      checkDurationRange(lifespans[field], `spec.tokenLifespans.${field}`, b.min, b.max, errors);
    }
  }

  tlsRules(rec(spec.tls), errors);
  storageRules(storage, errors);
  return errors;
}

function upstreamIdpRules(idps: unknown[], options: AuthServerRuleOptions, errors: FieldError[]): void {
  // REV e: more than one IdP only behind the operator's MultiUpstreamIdp gate (CEL cannot see gates).
  if (idps.length > 1 && !options.featureGates?.MultiUpstreamIdp) {
    errors.push({
      path: 'spec.upstreamIdps',
      rule: 'multi-upstream-idp-gate',
      message: `${idps.length} upstream IdPs need the MultiUpstreamIdp feature gate; without it at most 1 is allowed`,
    });
  }
  const seen = new Map<string, number>();
  idps.forEach((raw, i) => {
    const idp = rec(raw);
    if (!idp) return;
    const name = str(idp.name);
    if (name !== undefined) {
      const first = seen.get(name);
      // Names are storage keys and the exchange `audience`: they must be unique (listType=map).
      if (first !== undefined) {
        errors.push({
          path: `spec.upstreamIdps[${i}].name`,
          rule: 'unique-upstream-idp-names',
          message: `"${name}" is already used by spec.upstreamIdps[${first}]`,
        });
      } else seen.set(name, i);
    }
    const type = str(idp.type);
    if (type === 'oidc' && !has(idp, 'oidc')) {
      errors.push({ path: `spec.upstreamIdps[${i}].oidc`, rule: 'oidc-iff-type-oidc', message: 'is required when type is oidc' });
    } else if (type !== undefined && type !== 'oidc' && has(idp, 'oidc')) {
      errors.push({ path: `spec.upstreamIdps[${i}].oidc`, rule: 'oidc-iff-type-oidc', message: `must be absent when type is ${type}` });
    }
    const oidc = rec(idp.oidc);
    if (oidc && Array.isArray(oidc.scopes) && !oidc.scopes.includes('openid')) {
      errors.push({ path: `spec.upstreamIdps[${i}].oidc.scopes`, rule: 'scopes-include-openid', message: 'must contain openid' });
    }
  });
}

function signingKeyRules(keys: unknown[], errors: FieldError[]): void {
  // Two entries for one Secret key would publish the same kid twice.
  const seen = new Map<string, number>();
  keys.forEach((raw, i) => {
    const ref = rec(rec(raw)?.secretRef);
    const name = str(ref?.name);
    const key = str(ref?.key);
    if (name === undefined || key === undefined) return;
    const id = JSON.stringify([name, key]);
    const first = seen.get(id);
    if (first !== undefined) {
      errors.push({
        path: `spec.signingKeys[${i}].secretRef`,
        rule: 'unique-signing-key-refs',
        message: `secret ${name} key ${key} is already used by spec.signingKeys[${first}]`,
      });
    } else seen.set(id, i);
  });
}

function tlsRules(tls: Record<string, unknown> | undefined, errors: FieldError[]): void {
  const serverCert = rec(tls?.serverCert);
  const clientAuth = rec(tls?.clientAuth);
  const enterprise = has(serverCert, 'issuerRef');
  const hasBundle = has(clientAuth, 'caBundle');
  // REV i: enterprise mode (issuerRef) needs the CA bundle that signs client certs; auto mode has its own.
  if (enterprise && !hasBundle) {
    errors.push({
      path: 'spec.tls.clientAuth.caBundle',
      rule: 'issuerRef-requires-caBundle',
      message: 'is required when tls.serverCert.issuerRef is set (enterprise CA mode)',
    });
  }
  if (!enterprise && hasBundle) {
    errors.push({
      path: 'spec.tls.clientAuth.caBundle',
      rule: 'caBundle-requires-issuerRef',
      message: 'must be absent without tls.serverCert.issuerRef (auto CA mode provides the bundle)',
    });
  }
  if (enterprise && !has(rec(clientAuth?.allowedSubjects), 'trustDomain')) {
    errors.push({
      path: 'spec.tls.clientAuth.allowedSubjects.trustDomain',
      rule: 'trustDomain-required',
      message: 'is required when tls.serverCert.issuerRef is set (the default applies to auto CA mode only)',
    });
  }
  if (serverCert) {
    const duration = serverCert.duration ?? '8760h';
    const renewBefore = serverCert.renewBefore ?? '720h';
    const durationMs = checkDuration(duration, 'spec.tls.serverCert.duration', errors);
    const renewMs = checkDuration(renewBefore, 'spec.tls.serverCert.renewBefore', errors);
    if (durationMs !== null && renewMs !== null && renewMs >= durationMs) {
      errors.push({
        path: 'spec.tls.serverCert.renewBefore',
        rule: 'renewBefore-less-than-duration',
        message: `${String(renewBefore)} must be less than duration ${String(duration)}`,
      });
    }
  }
}

function storageRules(storage: Record<string, unknown> | undefined, errors: FieldError[]): void {
  if (!storage) return;
  const isRedis = str(storage.type) === 'redis';
  if (isRedis && !has(storage, 'redis')) {
    errors.push({ path: 'spec.storage.redis', rule: 'redis-iff-type-redis', message: 'is required when storage.type is redis' });
  } else if (!isRedis && has(storage, 'redis')) {
    errors.push({ path: 'spec.storage.redis', rule: 'redis-iff-type-redis', message: 'must be absent unless storage.type is redis' });
  }
  const redis = rec(storage.redis);
  if (!redis) return;
  if (has(redis, 'address') === has(redis, 'sentinel')) {
    errors.push({ path: 'spec.storage.redis', rule: 'redis-address-or-sentinel', message: 'exactly one of address and sentinel must be set' });
  }
  if (has(redis, 'caBundle') && redis.tls !== true) {
    errors.push({ path: 'spec.storage.redis.caBundle', rule: 'redis-caBundle-needs-tls', message: 'needs tls: true' });
  }
}

/**
 * Warnings for risky but legal specs and updates (spec §3.1 "Update-time", §4.5).
 *
 * @example
 * mcpAuthServerWarnings(newObj, oldObj) // ['spec.upstreamIdps: upstream IdP "okta" was removed or renamed; ...']
 */
export function mcpAuthServerWarnings(obj: unknown, oldObject?: unknown): string[] {
  const warnings: string[] = [];
  const spec = rec(rec(obj)?.spec);
  if (!spec) return warnings;
  const storage = rec(spec.storage);
  const replicas = int(spec.replicas) ?? 1;
  if (replicas > 1 && str(storage?.type) === 'redis' && rec(storage?.redis)?.tls !== true) {
    warnings.push(
      `spec.storage.redis.tls: ${replicas} replicas share Redis without TLS; sessions and (encrypted) upstream tokens cross the network in clear`,
    );
  }
  const oldSpec = rec(rec(oldObject)?.spec);
  if (!oldSpec) return warnings;
  const names = (s: Record<string, unknown>) => list(s.upstreamIdps).map((i) => str(rec(i)?.name)).filter((n): n is string => n !== undefined);
  const newNames = new Set(names(spec));
  for (const name of names(oldSpec)) {
    if (!newNames.has(name)) {
      warnings.push(`spec.upstreamIdps: upstream IdP "${name}" was removed or renamed; tokens stored under it are orphaned and its users must log in again`);
    }
  }
  const oldTd = effectiveTrustDomain(oldSpec);
  const newTd = effectiveTrustDomain(spec);
  if (oldTd !== newTd) {
    warnings.push(
      `spec.tls.clientAuth.allowedSubjects.trustDomain: changed from ${oldTd ?? '(unset)'} to ${newTd ?? '(unset)'}; every MCPServer client certificate must be reissued`,
    );
  }
  if (str(oldSpec.issuer) !== undefined && str(spec.issuer) !== str(oldSpec.issuer)) {
    warnings.push(`spec.issuer: changed from ${str(oldSpec.issuer)} to ${str(spec.issuer)}; every issued token becomes invalid and MCPServers must be updated`);
  }
  return warnings;
}

/**
 * The trust domain in force: the explicit one, else the auto-CA default (undefined when an
 * enterprise-mode spec lacks it, which validation rejects).
 *
 * @example
 * effectiveTrustDomain({ issuer: 'https://a' }) // 'toolhive.local'
 */
export function effectiveTrustDomain(spec: Record<string, unknown>): string | undefined {
  const tls = rec(spec.tls);
  const explicit = str(rec(rec(tls?.clientAuth)?.allowedSubjects)?.trustDomain);
  if (explicit !== undefined) return explicit;
  return has(rec(tls?.serverCert), 'issuerRef') ? undefined : DEFAULT_TRUST_DOMAIN;
}
