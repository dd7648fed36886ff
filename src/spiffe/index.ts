// SPIFFE context: MCPServer workload identities from X.509-SVIDs (spec §2.10 steps 3–4).
export { parseSpiffeId, type McpServerIdentity } from './parse-spiffe-id.ts';
export { checkX509Svid, type SvidIdentity } from './check-x509-svid.ts';
export { checkSubjectPolicy, type AllowedSubjects } from './check-subject-policy.ts';
export { SpiffeError, type SpiffeErrorCode, type PolicyDenyReason } from './errors.ts';
