/**
 * MCPExternalAuthConfig (type `authServer`) reconcile, spec §4.2: resolve the auth server, one
 * client Certificate `{srv}-mtls` per referencing MCPServer (never overwriting a foreign object
 * of that name), delete certificates of servers that left, copy the public CA in auto mode,
 * and report `Valid`, `AuthServerResolved`, `ClientCertificatesReady`.
 */
import type { CertManagerIssuerReference, KubeObject, MCPAuthServer, MCPExternalAuthConfig, MCPExternalAuthConfigStatus, MCPServer, ClientCertificateStatus } from './lib/crd-types.ts';
import { isConditionTrue, secretValue } from './lib/cluster-view.ts';
import { effectiveAuthServer, DEFAULT_TRUST_DOMAIN } from './lib/effective.ts';
import { authServerKeyOf } from './lib/resolve.ts';
import { caName, EXTERNAL_AUTH_CONFIG_LABEL, MANAGED_BY, names } from './lib/names.ts';
import { sha256Hex } from './lib/stable-json.ts';
import { clientCertificate } from './desired/client-certificate.ts';
import { controllerRef } from './desired/owner.ts';
import { cond, mergeConditions, type ConditionInput } from './status.ts';
import { MISSING_DEPENDENCY_REQUEUE_MS, PENDING_REQUEUE_MS, writeStatusIfChanged, type ReconcileContext } from './reconcile-context.ts';
import type { ReconcileResult } from './work-queue.ts';

const PLURAL = 'mcpexternalauthconfigs';

/** What the MCPServer reconciler and this one agree the client side of a config resolves to. */
export interface ResolvedClientConfig {
  authServer?: MCPAuthServer;
  trustDomain?: string;
  issuerRef?: CertManagerIssuerReference;
  /** The first problem, as a condition reason + message (undefined when usable). */
  problem?: { reason: string; message: string };
}

/**
 * Resolves the auth server, trust domain and client-cert issuer of an `authServer` config.
 *
 * @example
 * resolveClientConfig(ctx, cfg).issuerRef // {name: 'thv-as-toolhive-system-mcp-auth-ca', kind: 'ClusterIssuer'}
 */
export function resolveClientConfig(ctx: ReconcileContext, cfg: MCPExternalAuthConfig): ResolvedClientConfig {
  const a = cfg.spec.authServer;
  if (!a) return { problem: { reason: 'InvalidConfig', message: 'spec.authServer is required for type authServer' } };
  const key = authServerKeyOf(cfg, ctx.settings.clusterDomain);
  const authServer = key ? ctx.view.get<MCPAuthServer>('MCPAuthServer', key.namespace, key.name) : undefined;
  if (a.authServerRef && !authServer) {
    return { problem: { reason: 'AuthServerNotFound', message: `MCPAuthServer ${key!.namespace}/${key!.name} not found` } };
  }
  const serverTd = authServer ? effectiveAuthServer(authServer).trustDomain : undefined;
  const trustDomain = a.clientCert?.trustDomain ?? serverTd ?? DEFAULT_TRUST_DOMAIN;
  if (serverTd !== undefined && serverTd !== trustDomain) {
    return {
      authServer,
      trustDomain,
      problem: { reason: 'TrustDomainMismatch', message: `spec.authServer.clientCert.trustDomain ${trustDomain} differs from the auth server's trust domain ${serverTd}` },
    };
  }
  let issuerRef = a.clientCert?.issuerRef;
  if (!issuerRef && authServer && effectiveAuthServer(authServer).autoCA) {
    issuerRef = { name: caName(authServer.metadata.namespace!, authServer.metadata.name), kind: 'ClusterIssuer', group: 'cert-manager.io' };
  }
  if (!issuerRef) {
    return {
      authServer,
      trustDomain,
      problem: { reason: 'IssuerNotSet', message: 'spec.authServer.clientCert.issuerRef is required unless authServerRef names an auto-CA MCPAuthServer' },
    };
  }
  if (!a.caBundle && authServer && !effectiveAuthServer(authServer).autoCA) {
    // Only auto mode has a CA we can publish as {cfg}-authserver-ca; the pod webhook mounts that name.
    return {
      authServer,
      trustDomain,
      issuerRef,
      problem: { reason: 'CABundleRequired', message: 'spec.authServer.caBundle is required when the MCPAuthServer uses an enterprise issuer (no generated CA to copy)' },
    };
  }
  return { authServer, trustDomain, issuerRef };
}

/** A client certificate of this name that we did not create (or that belongs to another server). */
function foreign(existing: KubeObject | undefined, srv: MCPServer): boolean {
  if (!existing) return false;
  if (existing.metadata.labels?.['app.kubernetes.io/managed-by'] !== MANAGED_BY) return true;
  return !(existing.metadata.ownerReferences ?? []).some((r) => r.uid === srv.metadata.uid);
}

/**
 * @example
 * await reconcileMCPExternalAuthConfig(ctx, 'mcp-prod', 'corp-authserver-client')
 */
export async function reconcileMCPExternalAuthConfig(ctx: ReconcileContext, namespace: string, name: string): Promise<ReconcileResult> {
  const cfg = ctx.view.get<MCPExternalAuthConfig>('MCPExternalAuthConfig', namespace, name);
  if (!cfg || cfg.metadata.deletionTimestamp) return {};
  // Other config types belong to ToolHive's own controllers; we do not touch them.
  if (cfg.spec.type !== 'authServer') return {};

  const servers = ctx.view
    .list<MCPServer>('MCPServer', namespace)
    .filter((s) => s.spec.externalAuthConfigRef?.name === name && !s.metadata.deletionTimestamp)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const resolved = resolveClientConfig(ctx, cfg);
  const conditions: ConditionInput[] = [];
  const certificates: ClientCertificateStatus[] = [];
  const certManager = ctx.view.served('Certificate');

  conditions.push(
    resolved.authServer
      ? cond('AuthServerResolved', true, 'Resolved', `MCPAuthServer ${resolved.authServer.metadata.namespace}/${resolved.authServer.metadata.name}`)
      : cfg.spec.authServer?.authServerRef
        ? cond('AuthServerResolved', false, 'AuthServerNotFound', resolved.problem?.message ?? 'not found')
        : cond('AuthServerResolved', true, 'URL', `auth server at ${cfg.spec.authServer?.url}`),
  );
  conditions.push(resolved.problem ? cond('Valid', false, resolved.problem.reason, resolved.problem.message) : cond('Valid', true, 'Valid', 'configuration is usable'));

  let allReady = servers.length > 0;
  let conflictMessage: string | undefined;
  if (!certManager) {
    allReady = false;
    conditions.push(cond('ClientCertificatesReady', false, 'CertManagerNotInstalled', 'cert-manager is not installed: the API server does not serve certificates.cert-manager.io/v1'));
  } else if (!resolved.problem) {
    const keep = new Set<string>();
    for (const srv of servers) {
      const certName = names.clientCertificate(srv.metadata.name);
      const existingCert = ctx.view.get('Certificate', namespace, certName);
      const existingSecret = ctx.view.get('Secret', namespace, certName);
      const secretForeign = existingSecret !== undefined && existingSecret.metadata.annotations?.['cert-manager.io/certificate-name'] !== certName;
      if (foreign(existingCert, srv) || (!existingCert && secretForeign)) {
        conflictMessage = `Certificate or Secret ${namespace}/${certName} exists and is not managed by mcp-authserver for MCPServer ${srv.metadata.name}; not overwritten`;
        certificates.push({ server: srv.metadata.name, certificateName: certName, secretName: certName, ready: false });
        allReady = false;
        continue;
      }
      keep.add(certName);
      await ctx.applier.apply(clientCertificate(srv, { externalAuthConfig: name, trustDomain: resolved.trustDomain!, issuerRef: resolved.issuerRef! }));
      const ready = isConditionTrue(existingCert, 'Ready');
      const notAfter = (existingCert?.status as { notAfter?: string } | undefined)?.notAfter;
      certificates.push({ server: srv.metadata.name, certificateName: certName, secretName: certName, ready, ...(notAfter ? { notAfter } : {}) });
      if (!ready) allReady = false;
    }
    // Spec §4.2 step 4: certificates (and their Secrets) of servers that no longer reference us.
    const removed = await ctx.applier.prune('cert-manager.io/v1', 'Certificate', namespace, `${EXTERNAL_AUTH_CONFIG_LABEL}=${name}`, keep);
    for (const certName of removed) {
      const secret = ctx.view.get('Secret', namespace, certName);
      if (secret?.metadata.annotations?.['cert-manager.io/certificate-name'] === certName) {
        await ctx.applier.delete({ apiVersion: 'v1', kind: 'Secret', namespace, name: certName });
      }
    }
    conditions.push(
      conflictMessage
        ? cond('ClientCertificatesReady', false, 'NameConflict', conflictMessage)
        : servers.length === 0
          ? cond('ClientCertificatesReady', false, 'NoReferencingServers', 'no MCPServer references this configuration')
          : allReady
            ? cond('ClientCertificatesReady', true, 'Ready', `${servers.length} client certificate(s) Ready`)
            : cond('ClientCertificatesReady', false, 'CertificatePending', `waiting for cert-manager to issue ${certificates.filter((c) => !c.ready).map((c) => c.certificateName).join(', ')}`),
    );
  } else {
    conditions.push(cond('ClientCertificatesReady', false, resolved.problem.reason, resolved.problem.message));
  }

  // Spec §4.2 step 5: the public CA for verifying the auth server, in auto mode without caBundle.
  if (!cfg.spec.authServer?.caBundle && resolved.authServer && effectiveAuthServer(resolved.authServer).autoCA) {
    const crNs = ctx.settings.clusterResourceNamespace;
    const caSecret = ctx.view.get('Secret', crNs, caName(resolved.authServer.metadata.namespace!, resolved.authServer.metadata.name));
    const pem = (secretValue(caSecret, 'ca.crt') ?? secretValue(caSecret, 'tls.crt'))?.toString('utf8');
    if (pem) {
      await ctx.applier.apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: names.authServerCaConfigMap(name),
          namespace,
          labels: { 'app.kubernetes.io/managed-by': MANAGED_BY, [EXTERNAL_AUTH_CONFIG_LABEL]: name },
          ownerReferences: [controllerRef(cfg as unknown as KubeObject)],
        },
        data: { 'ca.crt': pem },
      });
    }
  }

  const now = ctx.now();
  await writeStatusIfChanged(ctx, cfg as unknown as KubeObject, PLURAL, (previous): MCPExternalAuthConfigStatus => ({
    ...(previous ?? {}),
    observedGeneration: cfg.metadata.generation,
    configHash: sha256Hex(cfg.spec).slice(0, 16),
    referencingServers: servers.map((s) => s.metadata.name),
    clientCertificates: certificates,
    conditions: mergeConditions((previous as MCPExternalAuthConfigStatus | undefined)?.conditions, conditions, now, cfg.metadata.generation),
  }));
  if (!certManager) return { requeueAfterMs: MISSING_DEPENDENCY_REQUEUE_MS };
  return allReady || servers.length === 0 ? {} : { requeueAfterMs: PENDING_REQUEUE_MS };
}
