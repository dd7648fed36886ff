/**
 * MCPExternalAuthConfig cross-field rules (spec §3.2 "Webhook rules"). Same ids as the CEL rules
 * in `schema/mcpexternalauthconfig.ts`. Cross-object checks (the MCPAuthServer exists, trust
 * domains match) are controller conditions, not admission errors.
 */
import type { FieldError } from '../field-error.ts';
import { EXTERNAL_AUTH_BLOCKS, EXTERNAL_AUTH_TYPES } from '../schema/mcpexternalauthconfig.ts';
import { has, rec, str } from './lib.ts';

/**
 * All semantic problems of an MCPExternalAuthConfig spec.
 *
 * @example
 * mcpExternalAuthConfigRules({ spec: { type: 'authServer' } })
 * // [{ path: 'spec.authServer', rule: 'authServer-iff-type-authServer', message: 'is required when type is authServer' }]
 */
export function mcpExternalAuthConfigRules(obj: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const spec = rec(rec(obj)?.spec);
  if (!spec) return errors;
  const type = str(spec.type);
  // Same pattern as ToolHive: the block named like the type, and no other block. An unknown type
  // is the schema's `enum` error alone (as the API server skips CEL after such an error).
  const knownType = (EXTERNAL_AUTH_TYPES as readonly string[]).includes(type ?? '');
  for (const block of knownType ? EXTERNAL_AUTH_BLOCKS : []) {
    const rule = block === 'authServer' ? 'authServer-iff-type-authServer' : 'block-matches-type';
    if (type === block && !has(spec, block)) {
      errors.push({ path: `spec.${block}`, rule, message: `is required when type is ${block}` });
    } else if (type !== undefined && type !== block && has(spec, block)) {
      errors.push({ path: `spec.${block}`, rule, message: `must be absent when type is ${type}` });
    }
  }
  const client = rec(spec.authServer);
  if (!client) return errors;
  const byRef = has(client, 'authServerRef');
  const clientCert = rec(client.clientCert);
  if (!byRef) {
    // Without a reference nothing can be defaulted from the MCPAuthServer.
    if (!has(client, 'url')) {
      errors.push({ path: 'spec.authServer.url', rule: 'url-or-authServerRef', message: 'is required when authServerRef is not set' });
    }
    if (clientCert && !has(clientCert, 'issuerRef')) {
      errors.push({
        path: 'spec.authServer.clientCert.issuerRef',
        rule: 'issuerRef-required-without-authServerRef',
        message: 'is required when authServerRef is not set',
      });
    }
    if (clientCert && !has(clientCert, 'trustDomain')) {
      errors.push({
        path: 'spec.authServer.clientCert.trustDomain',
        rule: 'trustDomain-required-without-authServerRef',
        message: 'is required when authServerRef is not set',
      });
    }
    if (!has(client, 'caBundle')) {
      errors.push({
        path: 'spec.authServer.caBundle',
        rule: 'caBundle-required-without-authServerRef',
        message: "is required when authServerRef is not set (nothing to take the auth server's CA from)",
      });
    }
  }
  return errors;
}

/** Warnings for risky updates: a trust-domain change reissues every client certificate. */
export function mcpExternalAuthConfigWarnings(obj: unknown, oldObject?: unknown): string[] {
  const td = (o: unknown) => str(rec(rec(rec(rec(o)?.spec)?.authServer)?.clientCert)?.trustDomain);
  if (oldObject === undefined || td(oldObject) === td(obj)) return [];
  return [
    `spec.authServer.clientCert.trustDomain: changed from ${td(oldObject) ?? '(unset)'} to ${td(obj) ?? '(unset)'}; every client certificate of this config is reissued`,
  ];
}
