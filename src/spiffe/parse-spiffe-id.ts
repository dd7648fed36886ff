import { SpiffeError } from './errors.ts';

/** A validated MCPServer workload identity `spiffe://{trustDomain}/ns/{namespace}/mcpserver/{name}`. */
export interface McpServerIdentity {
  /** The id exactly as presented (already canonical: parsing accepts no alternative spellings). */
  id: string;
  trustDomain: string;
  namespace: string;
  name: string;
}

const MAX_ID_LENGTH = 2048;
/** Same pattern as `allowedSubjects.trustDomain` (spec §3.1), ≤255. */
const TRUST_DOMAIN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
/** SPIFFE-ID spec §2.2: path segments use [a-zA-Z0-9.-_] only (so no percent-encoding). */
const SEGMENT_CHARS = /^[A-Za-z0-9._-]+$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Parses and validates the SPIFFE ID of an MCPServer proxy (spec §2.10 step 3). Strict: no
 * normalisation is applied (a WHATWG URL parser would resolve `..` and decode `%2F`), so one
 * identity has exactly one accepted spelling. Throws {@link SpiffeError} with a stable code.
 *
 * @example
 * parseSpiffeId('spiffe://cluster.local/ns/tools/mcpserver/github');
 * // → { id: 'spiffe://cluster.local/ns/tools/mcpserver/github', trustDomain: 'cluster.local', namespace: 'tools', name: 'github' }
 * parseSpiffeId('spiffe://Cluster.local/ns/tools/mcpserver/github'); // throws SpiffeError code 'bad_trust_domain'
 */
export function parseSpiffeId(id: string): McpServerIdentity {
  if (typeof id !== 'string' || !id.startsWith('spiffe://')) {
    throw new SpiffeError('not_spiffe', 'URI SAN is not a spiffe:// id');
  }
  if (id.length > MAX_ID_LENGTH) throw new SpiffeError('too_long', `SPIFFE ID longer than ${MAX_ID_LENGTH} characters`);
  if (id.includes('#')) throw new SpiffeError('has_fragment', 'SPIFFE ID must not contain a fragment');
  if (id.includes('?')) throw new SpiffeError('has_query', 'SPIFFE ID must not contain a query');
  const rest = id.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (authority.includes('@')) throw new SpiffeError('has_userinfo', 'SPIFFE ID must not contain userinfo');
  if (authority.includes(':')) throw new SpiffeError('has_port', 'SPIFFE trust domain must not contain a port');
  if (authority.length === 0 || authority.length > 255 || !TRUST_DOMAIN.test(authority)) {
    throw new SpiffeError('bad_trust_domain', 'SPIFFE trust domain must be lowercase letters, digits, dots and dashes (≤255)');
  }
  if (path === '' || path === '/') throw new SpiffeError('bad_path', 'SPIFFE ID path must be /ns/{namespace}/mcpserver/{name}');
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || !SEGMENT_CHARS.test(segment)) {
      throw new SpiffeError('bad_segment', 'SPIFFE ID path segments must be non-empty, not "." or "..", and use [A-Za-z0-9._-] only');
    }
  }
  const [ns, namespace, kind, name] = segments;
  if (segments.length !== 4 || ns !== 'ns' || kind !== 'mcpserver' || namespace === undefined || name === undefined) {
    throw new SpiffeError('bad_path', 'SPIFFE ID path must be exactly /ns/{namespace}/mcpserver/{name}');
  }
  if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
    throw new SpiffeError('bad_namespace', 'SPIFFE ID namespace must be a DNS-1123 label (≤63)');
  }
  if (name.length > 63 || !DNS1123_SUBDOMAIN.test(name)) {
    throw new SpiffeError('bad_name', 'SPIFFE ID MCPServer name must be a lowercase DNS-1123 name (≤63)');
  }
  return { id, trustDomain: authority, namespace, name };
}
