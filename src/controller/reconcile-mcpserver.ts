/**
 * MCPServer reconcile (thin), spec §4.3: the Deployment (`proxy` + `mcp`) and Service, and the
 * auth-server conditions — config resolved, client certificate Ready, resource registered in
 * the auth server's resource map (or why not: conflict, issuer/audience/trust-domain mismatch).
 */
import { normalizeResource } from '../api/v1alpha1/index.ts';
import type { KubeObject, MCPAuthServer, MCPExternalAuthConfig, MCPServer, MCPServerStatus } from './lib/crd-types.ts';
import { conditionMessage, isConditionTrue } from './lib/cluster-view.ts';
import { effectiveAuthServer, effectiveMCPServer } from './lib/effective.ts';
import { resourceMapCandidates } from './lib/candidates.ts';
import { names } from './lib/names.ts';
import { buildResourceMap } from './desired/resource-map.ts';
import { mcpServerDeployment, mcpServerService } from './desired/mcpserver-workload.ts';
import { resolveClientConfig } from './reconcile-mcpexternalauthconfig.ts';
import { cond, mcpServerSummary, mergeConditions, type ConditionInput } from './status.ts';
import { PENDING_REQUEUE_MS, writeStatusIfChanged, type ReconcileContext } from './reconcile-context.ts';
import type { ReconcileResult } from './work-queue.ts';

const PLURAL = 'mcpservers';

/**
 * @example
 * await reconcileMCPServer(ctx, 'mcp-prod', 'github-tools')
 */
export async function reconcileMCPServer(ctx: ReconcileContext, namespace: string, name: string): Promise<ReconcileResult> {
  const srv = ctx.view.get<MCPServer>('MCPServer', namespace, name);
  if (!srv || srv.metadata.deletionTimestamp) return {};
  const conditions: ConditionInput[] = [];

  const authConditions = checkAuthServer(ctx, srv);
  conditions.push(...authConditions);

  await ctx.applier.apply(mcpServerDeployment(srv, ctx.settings));
  await ctx.applier.apply(mcpServerService(srv));
  const dep = ctx.view.get('Deployment', namespace, name);
  const available = ((dep?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0) >= 1 && isConditionTrue(dep, 'Available');
  conditions.push(
    available
      ? cond('DeploymentAvailable', true, 'Available', `Deployment ${name} is available`)
      : cond('DeploymentAvailable', false, 'DeploymentUnavailable', `Deployment ${namespace}/${name} has no available replica yet${conditionMessage(dep, 'Available') ? ` (${conditionMessage(dep, 'Available')})` : ''}`),
  );

  const summary = mcpServerSummary(conditions);
  const now = ctx.now();
  await writeStatusIfChanged(ctx, srv as unknown as KubeObject, PLURAL, (previous): MCPServerStatus => ({
    observedGeneration: srv.metadata.generation,
    phase: summary.phase,
    message: summary.message,
    url: `http://${name}.${namespace}.svc.${ctx.settings.clusterDomain}:${effectiveMCPServer(srv).proxyPort}`,
    conditions: mergeConditions((previous as MCPServerStatus | undefined)?.conditions, [summary.ready, ...conditions], now, srv.metadata.generation),
  }));
  return summary.phase === 'Running' || summary.phase === 'Failed' ? {} : { requeueAfterMs: PENDING_REQUEUE_MS };
}

/** Spec §4.3 step 2 conditions; empty when the server references no `authServer` config. */
function checkAuthServer(ctx: ReconcileContext, srv: MCPServer): ConditionInput[] {
  const ref = srv.spec.externalAuthConfigRef?.name;
  if (!ref) return [];
  const ns = srv.metadata.namespace!;
  const cfg = ctx.view.get<MCPExternalAuthConfig>('MCPExternalAuthConfig', ns, ref);
  if (!cfg) return [cond('ExternalAuthConfigValidated', false, 'ExternalAuthConfigNotFound', `MCPExternalAuthConfig ${ns}/${ref} not found`)];
  if (cfg.spec.type !== 'authServer') return [];
  const resolved = resolveClientConfig(ctx, cfg);
  const out: ConditionInput[] = [];
  const mismatch = resolved.authServer ? configMismatch(srv, resolved.authServer) : undefined;
  if (resolved.problem) out.push(cond('ExternalAuthConfigValidated', false, resolved.problem.reason, resolved.problem.message));
  else if (mismatch) out.push(cond('ExternalAuthConfigValidated', false, mismatch.reason, mismatch.message));
  else out.push(cond('ExternalAuthConfigValidated', true, 'Valid', `MCPExternalAuthConfig ${ref} (type authServer)`));

  const certName = names.clientCertificate(srv.metadata.name);
  const cert = ctx.view.get('Certificate', ns, certName);
  out.push(
    !ctx.view.served('Certificate')
      ? cond('AuthServerClientCertReady', false, 'CertManagerNotInstalled', 'cert-manager is not installed: the API server does not serve certificates.cert-manager.io/v1')
      : isConditionTrue(cert, 'Ready')
        ? cond('AuthServerClientCertReady', true, 'Ready', `Certificate ${certName} is Ready`)
        : cond('AuthServerClientCertReady', false, 'CertificatePending', `waiting for cert-manager to issue Certificate ${ns}/${certName}`),
  );

  if (!resolved.authServer) {
    out.push(cond('AuthServerResourceRegistered', false, 'AuthServerNotFound', 'the auth server is not an MCPAuthServer in this cluster; nothing to register'));
    return out;
  }
  if (mismatch) {
    out.push(cond('AuthServerResourceRegistered', false, mismatch.reason, mismatch.message));
    return out;
  }
  const map = buildResourceMap(resolved.authServer, resourceMapCandidates(ctx.view, resolved.authServer, ctx.settings.clusterDomain));
  const outcome = map.outcomes.get(`${ns}/${srv.metadata.name}`);
  const asName = `${resolved.authServer.metadata.namespace}/${resolved.authServer.metadata.name}`;
  switch (outcome?.kind) {
    case 'registered':
      out.push(cond('AuthServerResourceRegistered', true, 'ResourceRegistered', `${outcome.resource} registered with MCPAuthServer ${asName}`));
      break;
    case 'conflict':
      out.push(cond('AuthServerResourceRegistered', false, 'ResourceConflict', `${outcome.resource} is already registered by the older MCPServer ${outcome.heldBy}`));
      break;
    case 'not_allowed':
      out.push(cond('AuthServerResourceRegistered', false, 'NotAllowed', `MCPAuthServer ${asName} does not allow ${ns}/${srv.metadata.name} (tls.clientAuth.allowedSubjects)`));
      break;
    case 'invalid_resource':
      out.push(cond('AuthServerResourceRegistered', false, 'InvalidResource', outcome.message));
      break;
    default:
      out.push(cond('AuthServerResourceRegistered', false, 'NotRegistered', `not in the resource map of MCPAuthServer ${asName}`));
  }
  return out;
}

/** Issuer and audience checks of spec §3.3 against the resolved MCPAuthServer. */
function configMismatch(srv: MCPServer, as: MCPAuthServer): { reason: string; message: string } | undefined {
  const oidc = srv.spec.oidcConfig;
  const issuer = effectiveAuthServer(as).issuer;
  if (oidc?.inline?.issuer !== undefined && oidc.inline.issuer !== issuer) {
    return { reason: 'IssuerMismatch', message: `spec.oidcConfig.inline.issuer ${oidc.inline.issuer} must equal the MCPAuthServer issuer ${issuer}` };
  }
  const resource = normalizeResource(oidc?.resourceUrl ?? '');
  if (oidc?.inline?.audience !== undefined && resource.ok && oidc.inline.audience !== resource.value) {
    return { reason: 'AudienceMismatch', message: `spec.oidcConfig.inline.audience must equal the normalized resourceUrl ${resource.value}` };
  }
  return undefined;
}
