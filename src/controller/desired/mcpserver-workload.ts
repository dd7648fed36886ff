/**
 * The MCPServer's workload of spec §4.3 step 1: a Deployment with the `proxy` (this project's
 * image) and `mcp` (the user's image) containers, and the Service `{srv}` → `proxyPort`.
 * The mTLS material is added to the `proxy` container by the pod webhook, not here.
 */
import type { KubeObject, MCPServer } from '../lib/crd-types.ts';
import { effectiveMCPServer } from '../lib/effective.ts';
import { mcpServerLabels, mcpServerSelector, type OperatorSettings } from '../lib/names.ts';
import { controllerRef } from './owner.ts';

function meta(srv: MCPServer) {
  return {
    name: srv.metadata.name,
    namespace: srv.metadata.namespace!,
    labels: mcpServerLabels(srv.metadata.name),
    ownerReferences: [controllerRef(srv)],
  };
}

/**
 * Deployment `{srv}`; its pods carry `toolhive.stacklok.dev/mcpserver={srv}`.
 *
 * @example
 * mcpServerDeployment(srv, settings).spec.template.spec.containers.map((c) => c.name) // ['proxy', 'mcp']
 */
export function mcpServerDeployment(srv: MCPServer, settings: OperatorSettings): KubeObject {
  const eff = effectiveMCPServer(srv);
  const oidc = srv.spec.oidcConfig;
  const proxyArgs = ['proxy', '--listen', `:${eff.proxyPort}`, '--upstream', `http://127.0.0.1:${eff.port}`];
  if (oidc?.resourceUrl) proxyArgs.push('--resource-url', oidc.resourceUrl);
  if (oidc?.inline?.issuer) {
    proxyArgs.push('--issuer', oidc.inline.issuer);
    proxyArgs.push('--jwks-url', oidc.inline.jwksUrl ?? `${oidc.inline.issuer}/.well-known/jwks.json`);
  }
  const mcp: Record<string, unknown> = {
    name: 'mcp',
    image: srv.spec.image,
    ports: [{ name: 'mcp', containerPort: eff.port, protocol: 'TCP' }],
    env: [{ name: 'MCP_TRANSPORT', value: eff.transport }, { name: 'MCP_PORT', value: String(eff.port) }, ...(srv.spec.env ?? [])],
  };
  if (srv.spec.args) mcp.args = [...srv.spec.args];
  if (srv.spec.resources) mcp.resources = srv.spec.resources;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(srv),
    spec: {
      replicas: 1,
      selector: { matchLabels: mcpServerSelector(srv.metadata.name) },
      template: {
        metadata: { labels: mcpServerLabels(srv.metadata.name) },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'proxy',
              image: settings.proxyImage,
              args: proxyArgs,
              ports: [{ name: 'http', containerPort: eff.proxyPort, protocol: 'TCP' }],
              readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 10 },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                runAsUser: 65532,
              },
            },
            mcp,
          ],
        },
      },
    },
  };
}

/**
 * Service `{srv}` → the proxy port.
 *
 * @example
 * mcpServerService(srv).spec.ports[0].targetPort // 'http'
 */
export function mcpServerService(srv: MCPServer): KubeObject {
  const eff = effectiveMCPServer(srv);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(srv),
    spec: {
      type: 'ClusterIP',
      selector: mcpServerSelector(srv.metadata.name),
      ports: [{ name: 'http', port: eff.proxyPort, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}
