/** Stable reasons an X.509-SVID or SPIFFE ID is refused (conventions §5); also the audit `reason`. */
export type SpiffeErrorCode =
  | 'not_spiffe'
  | 'too_long'
  | 'bad_trust_domain'
  | 'has_port'
  | 'has_userinfo'
  | 'has_query'
  | 'has_fragment'
  | 'bad_segment'
  | 'bad_path'
  | 'bad_namespace'
  | 'bad_name'
  | 'uri_san_count'
  | 'leaf_is_ca'
  | 'ca_key_usage'
  | 'no_client_auth_eku'
  | 'bad_certificate';

export class SpiffeError extends Error {
  constructor(
    readonly code: SpiffeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SpiffeError';
  }
}

/** Subject-policy misses (spec §2.10 step 4): all map to 403 access_denied. */
export type PolicyDenyReason = 'trust_domain_mismatch' | 'namespace_not_allowed' | 'name_not_allowed' | 'server_not_allowed';
