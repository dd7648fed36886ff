import { normalizeResource } from '../../api/v1alpha1/normalize-resource.ts';
import { InvalidTarget } from '../errors.ts';
import type { Params } from '../lib/params.ts';

/**
 * RFC 8707 + spec §2.4/§5.6: exactly one `resource`, an absolute http(s) URI with a host and no
 * query or fragment; returns its normalized form. `required` is false at the token endpoint.
 *
 * @example
 * normalizedResourceParam(parseParams('resource=https://H/mcp/'), true) // 'https://h/mcp'
 */
export function normalizedResourceParam(params: Params, required: true): string;
export function normalizedResourceParam(params: Params, required: false): string | undefined;
export function normalizedResourceParam(params: Params, required: boolean): string | undefined {
  const values = params.get('resource') ?? [];
  if (values.length > 1) throw new InvalidTarget('exactly one resource parameter is allowed; got several');
  const value = values[0];
  if (value === undefined || value === '') {
    if (required) throw new InvalidTarget('resource parameter is required (RFC 8707): the URL of the MCP server');
    return undefined;
  }
  const result = normalizeResource(value);
  if (!result.ok) throw new InvalidTarget(`resource ${result.message}`);
  return result.value;
}
