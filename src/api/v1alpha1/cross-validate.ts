/**
 * Cross-object checks over a set of manifests (the `validate` CLI given a directory). At
 * admission these are controller conditions, never denials (GitOps apply order, spec §3.1), but
 * when the whole set is at hand they can be reported before anything is applied:
 * an MCPServer whose MCPExternalAuthConfig (type authServer) references an MCPAuthServer of the
 * same set must use that server's issuer, know one of its upstream IdPs and its trust domain.
 */
import type { FieldError } from './field-error.ts';
import { effectiveTrustDomain } from './rules/mcpauthserver-rules.ts';
import { list, rec, str, type Rec } from './rules/lib.ts';

export interface CrossValidationError extends FieldError {
  /** Index of the offending object in the input list. */
  index: number;
}

interface Meta {
  obj: Rec;
  spec: Rec;
  name: string;
  namespace: string;
  index: number;
}

/**
 * Checks references between objects of one set; objects without a namespace count as `default`;
 * a kind/namespace/name given twice is ambiguous and not followed.
 *
 * @example
 * crossValidate([authServer, extAuthConfig, mcpServerWithOtherIssuer])
 * // [{ index: 2, path: 'spec.oidcConfig.inline.issuer', rule: 'issuer-matches-authserver', message: '...' }]
 */
export function crossValidate(objects: ReadonlyArray<unknown>): CrossValidationError[] {
  const all = (kind: string): Meta[] => {
    const out: Meta[] = [];
    objects.forEach((raw, index) => {
      const obj = rec(raw);
      const spec = rec(obj?.spec);
      const md = rec(obj?.metadata);
      const name = str(md?.name);
      if (!obj || !spec || obj.kind !== kind || name === undefined) return;
      out.push({ obj, spec, name, namespace: str(md?.namespace) ?? 'default', index });
    });
    return out;
  };
  // A name given twice in one set is ambiguous: references through it are not checked.
  const byKind = (kind: string): Map<string, Meta> => {
    const out = new Map<string, Meta>();
    const dup = new Set<string>();
    for (const m of all(kind)) {
      const key = `${m.namespace}/${m.name}`;
      if (out.has(key)) dup.add(key);
      out.set(key, m);
    }
    for (const key of dup) out.delete(key);
    return out;
  };
  const authServers = byKind('MCPAuthServer');
  const configs = byKind('MCPExternalAuthConfig');
  const errors: CrossValidationError[] = [];

  for (const cfg of configs.values()) {
    const as = resolveAuthServer(cfg, authServers);
    const client = rec(cfg.spec.authServer);
    if (!as || !client) continue;
    const idp = str(client.upstreamIdp);
    const idpNames = list(as.spec.upstreamIdps).map((i) => str(rec(i)?.name));
    if (idp !== undefined && !idpNames.includes(idp)) {
      errors.push({
        index: cfg.index,
        path: 'spec.authServer.upstreamIdp',
        rule: 'upstreamIdp-exists',
        message: `"${idp}" is not an upstream IdP of MCPAuthServer ${as.namespace}/${as.name} (${idpNames.join(', ')})`,
      });
    }
    const td = str(rec(client.clientCert)?.trustDomain);
    const asTd = effectiveTrustDomain(as.spec);
    if (td !== undefined && asTd !== undefined && td !== asTd) {
      errors.push({
        index: cfg.index,
        path: 'spec.authServer.clientCert.trustDomain',
        rule: 'trustDomain-matches-authserver',
        message: `"${td}" differs from MCPAuthServer ${as.namespace}/${as.name} trust domain "${asTd}"`,
      });
    }
  }

  for (const srv of all('MCPServer')) {
    const cfgName = str(rec(srv.spec.externalAuthConfigRef)?.name);
    const cfg = cfgName === undefined ? undefined : configs.get(`${srv.namespace}/${cfgName}`);
    if (!cfg || cfg.spec.type !== 'authServer') continue;
    const oidc = rec(srv.spec.oidcConfig);
    if (!oidc) {
      errors.push({
        index: srv.index,
        path: 'spec.oidcConfig',
        rule: 'oidcConfig-required-for-authServer',
        message: `is required: MCPExternalAuthConfig ${cfg.name} is of type authServer`,
      });
      continue;
    }
    const as = resolveAuthServer(cfg, authServers);
    const issuer = str(rec(oidc.inline)?.issuer);
    const asIssuer = as ? str(as.spec.issuer) : undefined;
    if (as && issuer !== undefined && asIssuer !== undefined && issuer !== asIssuer) {
      errors.push({
        index: srv.index,
        path: 'spec.oidcConfig.inline.issuer',
        rule: 'issuer-matches-authserver',
        message: `"${issuer}" must equal the issuer "${asIssuer}" of MCPAuthServer ${as.namespace}/${as.name}`,
      });
    }
  }
  return errors.sort((a, b) => a.index - b.index);
}

function resolveAuthServer(cfg: Meta, authServers: Map<string, Meta>): Meta | undefined {
  const client = rec(cfg.spec.authServer);
  const ref = rec(client?.authServerRef);
  const name = str(ref?.name);
  if (name !== undefined) return authServers.get(`${str(ref?.namespace) ?? cfg.namespace}/${name}`);
  // RFC style: the url host is {name}-internal.{ns}...
  const url = str(client?.url);
  if (url === undefined) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const [first, ns] = host.split('.');
  if (!first?.endsWith('-internal')) return undefined;
  return authServers.get(`${ns ?? cfg.namespace}/${first.slice(0, -'-internal'.length)}`);
}
