/**
 * Which MCPAuthServer an MCPExternalAuthConfig (type `authServer`) points at (spec §4.1 step 7,
 * §4.2 step 1): through `authServerRef`, or through a `url` whose host is one of the internal
 * Service's DNS names.
 */
import type { MCPAuthServer, MCPExternalAuthConfig } from './crd-types.ts';
import { names, serviceDnsNames } from './names.ts';

export interface AuthServerKey {
  namespace: string;
  name: string;
}

/**
 * The `{namespace, name}` of the MCPAuthServer a config targets, or null when it targets none
 * (other config type, or a URL that is not an in-cluster internal Service).
 *
 * @example
 * authServerKeyOf(cfg, 'cluster.local') // {namespace: 'toolhive-system', name: 'mcp-auth'}
 */
export function authServerKeyOf(cfg: MCPExternalAuthConfig, clusterDomain: string): AuthServerKey | null {
  if (cfg.spec.type !== 'authServer' || !cfg.spec.authServer) return null;
  const a = cfg.spec.authServer;
  if (a.authServerRef) return { namespace: a.authServerRef.namespace ?? cfg.metadata.namespace!, name: a.authServerRef.name };
  if (!a.url) return null;
  let host: string;
  try {
    host = new URL(a.url).hostname;
  } catch {
    return null;
  }
  // `{name}-internal.{ns}.svc[.{domain}]`; the two short forms carry no namespace but the config's.
  const parts = host.split('.');
  const service = parts[0] ?? '';
  if (!service.endsWith('-internal')) return null;
  const name = service.slice(0, -'-internal'.length);
  const namespace = parts[1] ?? cfg.metadata.namespace!;
  if (!serviceDnsNames(names.internalService(name), namespace, clusterDomain).includes(host)) return null;
  return { namespace, name };
}

/**
 * @example
 * matchesAuthServer(cfg, as, 'cluster.local') // true when cfg's ref or URL names `as`
 */
export function matchesAuthServer(cfg: MCPExternalAuthConfig, as: MCPAuthServer, clusterDomain: string): boolean {
  const key = authServerKeyOf(cfg, clusterDomain);
  return key !== null && key.namespace === as.metadata.namespace && key.name === as.metadata.name;
}
