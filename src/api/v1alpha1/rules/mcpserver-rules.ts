/**
 * MCPServer single-object rules (spec §3.3, §6.2). The issuer equality with the MCPAuthServer is
 * cross-object: see `cross-validate.ts` (CLI over a set of manifests) and the controller's
 * `IssuerMismatch` condition.
 */
import type { FieldError } from '../field-error.ts';
import { normalizeResource } from '../normalize-resource.ts';
import { DNS1035_LABEL_PATTERN, HTTP_URL_PATTERN } from '../schema/common.ts';
import { MAX_MCPSERVER_NAME_LENGTH } from '../schema/mcpserver.ts';
import { has, int, rec, str } from './lib.ts';

// Compiled once (no g/y flag, so test() keeps no state between calls).
const DNS1035_LABEL = new RegExp(DNS1035_LABEL_PATTERN);
const HTTP_URL = new RegExp(HTTP_URL_PATTERN, 'u');

/**
 * All semantic problems of an MCPServer.
 *
 * @example
 * mcpServerRules({ spec: { image: 'x', oidcConfig: { type: 'inline', resourceUrl: 'https://h/mcp',
 *   inline: { issuer: 'https://a', audience: 'github-tools' } } } })
 * // [{ path: 'spec.oidcConfig.inline.audience', rule: 'audience-equals-resourceUrl', ... }]
 */
export function mcpServerRules(obj: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const name = str(rec(rec(obj)?.metadata)?.name);
  if (name !== undefined && name.length > MAX_MCPSERVER_NAME_LENGTH) {
    errors.push({
      path: 'metadata.name',
      rule: 'name-length',
      message: `has ${name.length} characters; at most ${MAX_MCPSERVER_NAME_LENGTH} (it must fit the SPIFFE ID and {name}-mtls)`,
    });
  }
  if (name !== undefined && !DNS1035_LABEL.test(name)) {
    errors.push({ path: 'metadata.name', rule: 'name-dns1035', message: `"${name}" must be a DNS-1035 label (it names the Service {name})` });
  }
  const spec = rec(rec(obj)?.spec);
  if (!spec) return errors;
  // Proxy and MCP server containers share the pod's network namespace.
  const port = spec.port === undefined ? 8080 : int(spec.port);
  const proxyPort = spec.proxyPort === undefined ? 8000 : int(spec.proxyPort);
  if (port !== undefined && port === proxyPort) {
    errors.push({ path: 'spec.proxyPort', rule: 'port-differs-from-proxyPort', message: `${proxyPort} must differ from port ${port}` });
  }
  const oidc = rec(spec.oidcConfig);
  if (!oidc) return errors;
  if (str(oidc.type) === 'inline') {
    if (!has(oidc, 'inline')) errors.push({ path: 'spec.oidcConfig.inline', rule: 'inline-required', message: 'is required when type is inline' });
    if (!has(oidc, 'resourceUrl')) {
      errors.push({ path: 'spec.oidcConfig.resourceUrl', rule: 'resourceUrl-required', message: 'is required when type is inline' });
    }
  }
  const resourceUrl = str(oidc.resourceUrl);
  // A value that fails the schema pattern is already reported there.
  if (resourceUrl === undefined || !HTTP_URL.test(resourceUrl)) return errors;
  // §5.6: the resource-map key is the normalized URL; reject what cannot be normalized.
  const normalized = normalizeResource(resourceUrl);
  if (!normalized.ok) {
    errors.push({ path: 'spec.oidcConfig.resourceUrl', rule: 'resource-url', message: normalized.message });
    return errors;
  }
  // Tokens carry aud=<normalized resource>; any other audience makes every token fail at the proxy.
  const audience = str(rec(oidc.inline)?.audience);
  if (audience !== undefined && audience !== normalized.value) {
    errors.push({
      path: 'spec.oidcConfig.inline.audience',
      rule: 'audience-equals-resourceUrl',
      message: `"${audience}" must equal the normalized resourceUrl "${normalized.value}" (tokens carry aud=<resource>)`,
    });
  }
  return errors;
}

/** Warnings for risky updates: a new resource URL strands sessions bound to the old one. */
export function mcpServerWarnings(obj: unknown, oldObject?: unknown): string[] {
  const url = (o: unknown) => str(rec(rec(rec(o)?.spec)?.oidcConfig)?.resourceUrl);
  if (oldObject === undefined || url(oldObject) === undefined || url(oldObject) === url(obj)) return [];
  return [`spec.oidcConfig.resourceUrl: changed from ${url(oldObject)} to ${url(obj) ?? '(unset)'}; clients must re-authorize for the new resource`];
}
