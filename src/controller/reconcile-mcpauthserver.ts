/**
 * MCPAuthServer reconcile, in the order of spec §4.1: deletion, validation of the spec and the
 * referenced Secrets/ConfigMaps, the auto CA, the server Certificate, the ConfigMaps, the
 * ServiceAccount/Services/NetworkPolicy, the encryption key, and — only once the certificates
 * are Ready — the Deployment. Status says what is missing at each step.
 */
import { validate } from '../api/v1alpha1/index.ts';
import { isControllerError, type ControllerError } from './lib/errors.ts';
import type { KubeObject, MCPAuthServer, MCPAuthServerStatus } from './lib/crd-types.ts';
import { configMapValue, conditionMessage, isConditionTrue, secretValue } from './lib/cluster-view.ts';
import { checkSigningKey } from './lib/check-signing-key.ts';
import { effectiveAuthServer } from './lib/effective.ts';
import { caName, FINALIZER, internalUrl, MCPAUTHSERVER_LABEL, names, type OperatorSettings } from './lib/names.ts';
import { resourceMapCandidates } from './lib/candidates.ts';
import { caBundleConfigMap, caCertificate, caClusterIssuer, selfSignedClusterIssuer } from './desired/ca.ts';
import { serverCertificate } from './desired/server-certificate.ts';
import { authServerConfigMap, renderAuthServerConfig } from './desired/authserver-config.ts';
import { buildResourceMap, resourceMapConfigMap } from './desired/resource-map.ts';
import {
  authServerDeployment,
  authServerNetworkPolicy,
  authServerServiceAccount,
  configHash,
  encryptionKeySecret,
  internalService,
  publicService,
} from './desired/authserver-workload.ts';
import { authServerSummary, cond, mergeConditions, unknown, type ConditionInput } from './status.ts';
import {
  MISSING_DEPENDENCY_REQUEUE_MS,
  PENDING_REQUEUE_MS,
  writeStatusIfChanged,
  type ReconcileContext,
} from './reconcile-context.ts';
import type { ReconcileResult } from './work-queue.ts';

const PLURAL = 'mcpauthservers';
const CERT_MANAGER_MISSING =
  'cert-manager is not installed: the API server does not serve certificates.cert-manager.io/v1; install cert-manager (https://cert-manager.io/docs/installation/)';

interface Validation {
  condition: ConditionInput;
  kids: string[];
  /** `ns/secret` → resourceVersion of every Secret the pod reads once at start (config hash). */
  secretVersions: Record<string, string>;
}

/**
 * Reconciles one MCPAuthServer from the cached cluster state.
 *
 * @example
 * await reconcileMCPAuthServer(ctx, 'toolhive-system', 'mcp-auth') // {requeueAfterMs: 10000} while certificates are pending
 */
export async function reconcileMCPAuthServer(ctx: ReconcileContext, namespace: string, name: string): Promise<ReconcileResult> {
  const as = ctx.view.get<MCPAuthServer>('MCPAuthServer', namespace, name);
  if (!as) return {};
  if (as.metadata.deletionTimestamp) return finalize(ctx, as);

  const eff = effectiveAuthServer(as);
  const baseStatus: MCPAuthServerStatus = {
    issuer: eff.issuer,
    internalUrl: internalUrl(name, namespace, ctx.settings.clusterDomain),
    publicServiceName: name,
    internalServiceName: names.internalService(name),
    ...(eff.autoCA
      ? { caBundleConfigMap: names.caBundleConfigMap(name), clusterIssuer: caName(namespace, name) }
      : {}),
  };

  // Step 2: spec and referenced objects. A failure stops here (phase Failed); the Secret/ConfigMap
  // informers requeue this object when the missing piece appears.
  const validation = await validateReferences(ctx, as);
  if (validation.condition.status !== 'True') {
    const conditions = [validation.condition, ...pendingAfter('ConfigValid', 'invalid configuration')];
    await writeStatus(ctx, as, conditions, { ...baseStatus, signingKeyIds: [] }, true);
    return {};
  }
  const conditions: ConditionInput[] = [validation.condition];
  const status: MCPAuthServerStatus = { ...baseStatus, signingKeyIds: validation.kids };

  let step = 'CAReady';
  try {
    // Finalizer only for cluster-scoped / cross-namespace children (auto-CA objects).
    await syncFinalizer(ctx, as, eff.autoCA);

    // Step 3: CA.
    const certManager = ctx.view.served('Certificate');
    let caOk: boolean;
    if (!eff.autoCA) {
      conditions.push(cond('CAReady', true, 'ExternalIssuer', `client CA from ConfigMap ${eff.caBundle?.name}; server certificate issued by ${eff.issuerRef?.kind} ${eff.issuerRef?.name}`));
      caOk = true;
    } else if (!certManager) {
      conditions.push(cond('CAReady', false, 'CertManagerNotInstalled', CERT_MANAGER_MISSING));
      caOk = false;
    } else {
      caOk = await ensureAutoCA(ctx, as, conditions);
    }

    // Step 4: server certificate.
    step = 'CertificateReady';
    let certOk = false;
    if (!certManager) {
      conditions.push(cond('CertificateReady', false, 'CertManagerNotInstalled', CERT_MANAGER_MISSING));
    } else {
      const desired = serverCertificate(as, ctx.settings);
      await ctx.applier.apply(desired);
      const observed = ctx.view.get('Certificate', namespace, desired.metadata.name);
      certOk = isConditionTrue(observed, 'Ready') && ctx.view.get('Secret', namespace, names.serverCertificate(name)) !== undefined;
      conditions.push(
        certOk
          ? cond('CertificateReady', true, 'Issued', `Certificate ${desired.metadata.name} is Ready`)
          : cond('CertificateReady', false, 'CertificatePending', `waiting for cert-manager to issue Certificate ${namespace}/${desired.metadata.name}${detail(conditionMessage(observed, 'Ready'))}`),
      );
    }

    // Steps 6–7: config and resource map.
    step = 'ResourceMapSynced';
    await ctx.applier.apply(authServerConfigMap(as));
    const map = buildResourceMap(as, resourceMapCandidates(ctx.view, as, ctx.settings.clusterDomain));
    await ctx.applier.apply(resourceMapConfigMap(as, map.document));
    const registered = Object.keys(map.document.resources).length;
    status.registeredResources = registered;
    conditions.push(cond('ResourceMapSynced', true, 'Synced', `${registered} resource(s) registered`));

    // Steps 8, 10, 11: ServiceAccount, Services, NetworkPolicy; the generated encryption key.
    step = 'DeploymentAvailable';
    await ctx.applier.apply(authServerServiceAccount(as));
    await ctx.applier.apply(publicService(as));
    await ctx.applier.apply(internalService(as));
    const policy = authServerNetworkPolicy(as);
    if (policy) await ctx.applier.apply(policy);
    // Objects we made earlier that the current spec no longer wants (NetworkPolicy switched off,
    // CA bundle after a move from auto CA to an enterprise issuer). Secrets are never pruned here.
    const ours = `app.kubernetes.io/managed-by=mcp-authserver,${MCPAUTHSERVER_LABEL}=${name}`;
    await ctx.applier.prune('networking.k8s.io/v1', 'NetworkPolicy', namespace, ours, new Set(policy ? [policy.metadata.name] : []));
    const wantedConfigMaps = [names.configConfigMap(name), names.resourceMapConfigMap(name), ...(eff.autoCA ? [names.caBundleConfigMap(name)] : [])];
    await ctx.applier.prune('v1', 'ConfigMap', namespace, ours, new Set(wantedConfigMaps));
    const encryptionKey = as.spec.storage?.encryptionKeySecretRef ?? { name: names.encryptionKeySecret(name), key: 'key' };
    if (!as.spec.storage?.encryptionKeySecretRef && !ctx.view.get('Secret', namespace, encryptionKey.name)) {
      // Generated once; createIfAbsent never overwrites a key that exists (tokens at rest depend on it).
      await ctx.applier.createIfAbsent(encryptionKeySecret(as, ctx.randomKey()));
    }

    // Steps 5 and 9: the Deployment only once the CA and the server certificate are Ready.
    const configJson = renderAuthServerConfig(as);
    const encSecret = ctx.view.get('Secret', namespace, encryptionKey.name);
    const secretVersions = { ...validation.secretVersions };
    if (encSecret?.metadata.resourceVersion) secretVersions[`${namespace}/${encryptionKey.name}`] = encSecret.metadata.resourceVersion;
    status.configHash = configHash(configJson, secretVersions);
    let deploymentOk = false;
    if (caOk && certOk) {
      const clientCa = eff.caBundle ?? { name: names.caBundleConfigMap(name), key: 'ca.crt' };
      await ctx.applier.apply(authServerDeployment(as, ctx.settings, { configHash: status.configHash, clientCa, encryptionKey }));
      const dep = ctx.view.get('Deployment', namespace, name);
      const available = ((dep?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0) >= 1;
      deploymentOk = available && isConditionTrue(dep, 'Available');
      conditions.push(
        deploymentOk
          ? cond('DeploymentAvailable', true, 'Available', `Deployment ${name} is available`)
          : cond('DeploymentAvailable', false, 'DeploymentUnavailable', `Deployment ${namespace}/${name} has no available replica yet${detail(conditionMessage(dep, 'Available'))}`),
      );
    } else {
      conditions.push(cond('DeploymentAvailable', false, 'WaitingForCertificates', 'the Deployment is created once the CA and the server certificate are Ready'));
    }

    await writeStatus(ctx, as, conditions, status, true);
    if (!certManager) return { requeueAfterMs: MISSING_DEPENDENCY_REQUEUE_MS };
    return caOk && certOk && deploymentOk ? {} : { requeueAfterMs: PENDING_REQUEUE_MS };
  } catch (err) {
    const e = err as ControllerError;
    const notInstalled = isControllerError(err, 'kind_not_served') && /Certificate|ClusterIssuer/.test(e.message);
    const failed = notInstalled
      ? cond(step, false, 'CertManagerNotInstalled', CERT_MANAGER_MISSING)
      : cond(step, false, 'ApplyFailed', isControllerError(err) ? e.message : 'internal error while applying objects');
    const seen = new Set(conditions.map((c) => c.type));
    const rest = pendingAfter(step, 'not reconciled yet').filter((c) => !seen.has(c.type) && c.type !== step);
    await writeStatus(ctx, as, [...conditions.filter((c) => c.type !== step), failed, ...rest], status, false).catch(() => undefined);
    if (notInstalled) return { requeueAfterMs: MISSING_DEPENDENCY_REQUEUE_MS };
    throw err;
  }
}

const ORDER = ['ConfigValid', 'CAReady', 'CertificateReady', 'ResourceMapSynced', 'DeploymentAvailable'];

function pendingAfter(type: string, message: string): ConditionInput[] {
  return ORDER.slice(ORDER.indexOf(type) + 1).map((t) => unknown(t, 'NotReconciled', message));
}

function detail(message: string | undefined): string {
  return message ? ` (cert-manager: ${message})` : '';
}

async function writeStatus(
  ctx: ReconcileContext,
  as: MCPAuthServer,
  conditions: ConditionInput[],
  fields: MCPAuthServerStatus,
  fullPass: boolean,
): Promise<void> {
  const ordered = ORDER.map((t) => conditions.find((c) => c.type === t)).filter((c): c is ConditionInput => c !== undefined);
  const summary = authServerSummary(ordered);
  const now = ctx.now();
  await writeStatusIfChanged(ctx, as as unknown as KubeObject, PLURAL, (previous) => {
    const prev = previous as MCPAuthServerStatus | undefined;
    const status: MCPAuthServerStatus = {
      ...fields,
      observedGeneration: fullPass ? as.metadata.generation : prev?.observedGeneration,
      phase: summary.phase,
      message: summary.message,
      conditions: mergeConditions(prev?.conditions, [summary.ready, ...ordered], now, as.metadata.generation),
    };
    if (status.observedGeneration === undefined) delete status.observedGeneration;
    return status;
  });
}

/** Spec §4.1 step 2: the spec (same rules as admission) and every referenced Secret/ConfigMap. */
async function validateReferences(ctx: ReconcileContext, as: MCPAuthServer): Promise<Validation> {
  const ns = as.metadata.namespace!;
  const secretVersions: Record<string, string> = {};
  const fail = (reason: string, message: string): Validation => ({ condition: cond('ConfigValid', false, reason, message), kids: [], secretVersions });

  const specErrors = validate(structuredClone({ apiVersion: as.apiVersion, kind: as.kind, metadata: { name: as.metadata.name, namespace: ns }, spec: as.spec })).errors;
  if (specErrors.length > 0) {
    return fail('InvalidSpec', specErrors.map((e) => `${e.path}: ${e.message}`).join('; '));
  }

  const readSecret = (path: string, ref: { name: string; key: string }): { value: Buffer } | Validation => {
    const secret = ctx.view.get('Secret', ns, ref.name);
    if (!secret) return fail('SecretNotFound', `${path}: Secret ${ns}/${ref.name} not found`);
    const value = secretValue(secret, ref.key);
    if (value === undefined) return fail('SecretKeyNotFound', `${path}: Secret ${ns}/${ref.name} has no key "${ref.key}"`);
    if (secret.metadata.resourceVersion) secretVersions[`${ns}/${ref.name}`] = secret.metadata.resourceVersion;
    return { value };
  };

  const kids: string[] = [];
  for (const [i, key] of as.spec.signingKeys.entries()) {
    const path = `spec.signingKeys[${i}].secretRef`;
    const read = readSecret(path, key.secretRef);
    if ('condition' in read) return read;
    const check = await checkSigningKey(read.value.toString('utf8'), key.algorithm);
    if (!check.ok) return fail(check.reason, `spec.signingKeys[${i}]: Secret ${ns}/${key.secretRef.name} key "${key.secretRef.key}" ${check.message}`);
    if (kids.includes(check.kid)) return fail('DuplicateKeyId', `spec.signingKeys[${i}]: the same key as an earlier entry (kid ${check.kid})`);
    kids.push(check.kid);
  }
  for (const [i, idp] of as.spec.upstreamIdps.entries()) {
    if (!idp.oidc) continue;
    const read = readSecret(`spec.upstreamIdps[${i}].oidc.clientSecretRef`, idp.oidc.clientSecretRef);
    if ('condition' in read) return read;
  }
  const redis = as.spec.storage?.type === 'redis' ? as.spec.storage.redis : undefined;
  for (const [field, ref] of [['usernameSecretRef', redis?.usernameSecretRef], ['passwordSecretRef', redis?.passwordSecretRef]] as const) {
    if (!ref) continue;
    const read = readSecret(`spec.storage.redis.${field}`, ref);
    if ('condition' in read) return read;
  }
  if (redis?.sentinel) {
    return fail('Unsupported', 'spec.storage.redis.sentinel: the auth server does not support Redis Sentinel yet; use storage.redis.address');
  }
  const encRef = as.spec.storage?.encryptionKeySecretRef;
  if (encRef) {
    const read = readSecret('spec.storage.encryptionKeySecretRef', encRef);
    if ('condition' in read) return read;
    if (read.value.length !== 32) {
      return fail('InvalidEncryptionKey', `spec.storage.encryptionKeySecretRef: Secret ${ns}/${encRef.name} key "${encRef.key}" must hold exactly 32 bytes, has ${read.value.length}`);
    }
  }
  const caBundle = as.spec.tls?.clientAuth?.caBundle;
  if (caBundle) {
    const key = caBundle.configMapRef.key ?? 'ca.crt';
    const cm = ctx.view.get('ConfigMap', ns, caBundle.configMapRef.name);
    if (!cm) return fail('ConfigMapNotFound', `spec.tls.clientAuth.caBundle: ConfigMap ${ns}/${caBundle.configMapRef.name} not found`);
    const pem = configMapValue(cm, key);
    if (pem === undefined || !pem.includes('-----BEGIN CERTIFICATE-----')) {
      return fail('InvalidCABundle', `spec.tls.clientAuth.caBundle: ConfigMap ${ns}/${caBundle.configMapRef.name} key "${key}" holds no PEM certificate`);
    }
  }
  return { condition: cond('ConfigValid', true, 'Valid', `${kids.length} signing key(s), all references resolved`), kids, secretVersions };
}

/** Auto-CA objects and the public CA bundle; returns whether the CA is usable. */
async function ensureAutoCA(ctx: ReconcileContext, as: MCPAuthServer, conditions: ConditionInput[]): Promise<boolean> {
  const s: OperatorSettings = ctx.settings;
  const ca = caCertificate(as, s);
  await ctx.applier.apply(selfSignedClusterIssuer());
  await ctx.applier.apply(ca);
  await ctx.applier.apply(caClusterIssuer(as));
  const observed = ctx.view.get('Certificate', s.clusterResourceNamespace, ca.metadata.name);
  const secret = ctx.view.get('Secret', s.clusterResourceNamespace, ca.metadata.name);
  const pem = (secretValue(secret, 'ca.crt') ?? secretValue(secret, 'tls.crt'))?.toString('utf8');
  if (!isConditionTrue(observed, 'Ready') || !pem) {
    conditions.push(
      cond('CAReady', false, 'CertificatePending', `waiting for cert-manager to issue CA Certificate ${s.clusterResourceNamespace}/${ca.metadata.name}${detail(conditionMessage(observed, 'Ready'))}`),
    );
    return false;
  }
  // Only the public certificate leaves the cert-manager namespace, never tls.key.
  await ctx.applier.apply(caBundleConfigMap(as, pem));
  conditions.push(cond('CAReady', true, 'CAIssued', `CA ${ca.metadata.name} is Ready; public certificate in ConfigMap ${names.caBundleConfigMap(as.metadata.name)}`));
  return true;
}

async function syncFinalizer(ctx: ReconcileContext, as: MCPAuthServer, wanted: boolean): Promise<void> {
  const has = (as.metadata.finalizers ?? []).includes(FINALIZER);
  if (wanted && !has) {
    await ctx.applier.setFinalizers(as as unknown as KubeObject, [...(as.metadata.finalizers ?? []), FINALIZER]);
  } else if (!wanted && has) {
    // Switched from auto CA to an enterprise issuer: the cross-namespace CA objects are no longer needed.
    await deleteAutoCA(ctx, as);
    await ctx.applier.setFinalizers(as as unknown as KubeObject, (as.metadata.finalizers ?? []).filter((f) => f !== FINALIZER));
  }
}

async function deleteAutoCA(ctx: ReconcileContext, as: MCPAuthServer): Promise<void> {
  const ns = as.metadata.namespace!;
  const name = caName(ns, as.metadata.name);
  const crNs = ctx.settings.clusterResourceNamespace;
  if (ctx.view.served('Certificate')) {
    await ctx.applier.delete({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', name });
    await ctx.applier.delete({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', namespace: crNs, name });
  }
  // cert-manager leaves the Secret behind when its Certificate goes; the CA key must not linger
  // (even when cert-manager itself was uninstalled first).
  await ctx.applier.delete({ apiVersion: 'v1', kind: 'Secret', namespace: crNs, name });
}

/** Spec §4.1 step 1: Terminating, remove the cross-namespace objects, then the finalizer. */
async function finalize(ctx: ReconcileContext, as: MCPAuthServer): Promise<ReconcileResult> {
  if (!(as.metadata.finalizers ?? []).includes(FINALIZER)) return {};
  const summary = authServerSummary([], true);
  const now = ctx.now();
  await writeStatusIfChanged(ctx, as as unknown as KubeObject, PLURAL, (previous) => ({
    ...(previous ?? {}),
    phase: summary.phase,
    message: summary.message,
    conditions: mergeConditions((previous as MCPAuthServerStatus | undefined)?.conditions, [summary.ready], now, as.metadata.generation),
  })).catch(() => undefined);
  await deleteAutoCA(ctx, as);
  const fresh = await ctx.applier.get({ apiVersion: as.apiVersion, kind: as.kind, namespace: as.metadata.namespace, name: as.metadata.name });
  if (fresh && (fresh.metadata.finalizers ?? []).includes(FINALIZER)) {
    await ctx.applier.setFinalizers(fresh, (fresh.metadata.finalizers ?? []).filter((f) => f !== FINALIZER));
  }
  return {};
}
