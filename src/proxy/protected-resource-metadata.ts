/** RFC 9728 §2 metadata served by the proxy (spec §2.11). */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: ['header'];
  jwks_uri: string;
  scopes_supported?: string[];
}

/**
 * RFC 9728 §3.1: the metadata URL inserts `/.well-known/oauth-protected-resource` between the
 * host and the path of the resource identifier; returns that absolute URL and both paths the proxy
 * serves (bare and path-suffixed).
 *
 * @example
 * metadataLocation('https://tools.example.com/mcp')
 * // → { url: 'https://tools.example.com/.well-known/oauth-protected-resource/mcp',
 * //     paths: ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'] }
 */
export function metadataLocation(resource: string): { url: string; paths: string[] } {
  const u = new URL(resource);
  const base = '/.well-known/oauth-protected-resource';
  const suffix = u.pathname === '/' ? '' : u.pathname;
  return { url: `${u.origin}${base}${suffix}`, paths: suffix ? [base, `${base}${suffix}`] : [base] };
}

export function buildMetadata(options: { resource: string; issuer: string; jwksUrl: string; scopes?: string[] }): ProtectedResourceMetadata {
  return {
    resource: options.resource,
    authorization_servers: [options.issuer],
    bearer_methods_supported: ['header'],
    jwks_uri: options.jwksUrl,
    ...(options.scopes?.length ? { scopes_supported: options.scopes } : {}),
  };
}
