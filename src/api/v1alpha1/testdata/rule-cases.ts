/**
 * One negative case per cross-field rule and per kind of schema error: a valid sample, one
 * mutation, and the single error `validate()` must report. `cel` lists the CEL rule ids the
 * generated CRD must fail on for the same object (empty: the API server's OpenAPI checks or the
 * webhook alone catch it).
 */
import type { SampleName } from './samples.ts';

export interface RuleCase {
  name: string;
  base: SampleName;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  mutate(o: any): void;
  path: string;
  rule: string;
  cel: string[];
  gates?: { MultiUpstreamIdp?: boolean };
}

const idp = (name: string) => ({
  name,
  type: 'oidc',
  oidc: { issuer: 'https://idp.example.com', clientId: 'c', clientSecretRef: { name: `s-${name}`, key: 'k' } },
});

export const RULE_CASES: RuleCase[] = [
  // MCPAuthServer: cross-field rules (CEL + webhook)
  { name: 'port == internalPort', base: 'authServerAuto', mutate: (o) => (o.spec.port = 9443), path: 'spec.internalPort', rule: 'port-differs-from-internalPort', cel: ['port-differs-from-internalPort'] },
  { name: 'internalPort == default port', base: 'authServerAuto', mutate: (o) => (o.spec.internalPort = 8443), path: 'spec.internalPort', rule: 'port-differs-from-internalPort', cel: ['port-differs-from-internalPort'] },
  { name: '2 replicas, default storage', base: 'authServerAuto', mutate: (o) => (o.spec.replicas = 2), path: 'spec.replicas', rule: 'replicas-need-redis', cel: ['replicas-need-redis'] },
  { name: '3 replicas, memory storage', base: 'authServerAuto', mutate: (o) => Object.assign(o.spec, { replicas: 3, storage: { type: 'memory' } }), path: 'spec.replicas', rule: 'replicas-need-redis', cel: ['replicas-need-redis'] },
  { name: 'duplicate IdP names (gate on)', base: 'authServerAuto', gates: { MultiUpstreamIdp: true }, mutate: (o) => (o.spec.upstreamIdps = [idp('a'), idp('a')]), path: 'spec.upstreamIdps[1].name', rule: 'unique-upstream-idp-names', cel: [] },
  { name: '2 IdPs without gate', base: 'authServerAuto', mutate: (o) => (o.spec.upstreamIdps = [idp('a'), idp('b')]), path: 'spec.upstreamIdps', rule: 'multi-upstream-idp-gate', cel: [] },
  { name: 'type oidc without oidc', base: 'authServerAuto', mutate: (o) => delete o.spec.upstreamIdps[0].oidc, path: 'spec.upstreamIdps[0].oidc', rule: 'oidc-iff-type-oidc', cel: ['oidc-iff-type-oidc'] },
  { name: 'scopes without openid', base: 'authServerAuto', mutate: (o) => (o.spec.upstreamIdps[0].oidc.scopes = ['email']), path: 'spec.upstreamIdps[0].oidc.scopes', rule: 'scopes-include-openid', cel: ['scopes-include-openid'] },
  { name: 'duplicate signing key refs', base: 'authServerEnterprise', mutate: (o) => (o.spec.signingKeys[1].secretRef = { ...o.spec.signingKeys[0].secretRef }), path: 'spec.signingKeys[1].secretRef', rule: 'unique-signing-key-refs', cel: ['unique-signing-key-refs'] },
  { name: 'issuerRef without caBundle', base: 'authServerEnterprise', mutate: (o) => delete o.spec.tls.clientAuth.caBundle, path: 'spec.tls.clientAuth.caBundle', rule: 'issuerRef-requires-caBundle', cel: ['issuerRef-requires-caBundle'] },
  { name: 'caBundle without issuerRef', base: 'authServerEnterprise', mutate: (o) => delete o.spec.tls.serverCert.issuerRef, path: 'spec.tls.clientAuth.caBundle', rule: 'caBundle-requires-issuerRef', cel: ['caBundle-requires-issuerRef'] },
  { name: 'enterprise without trustDomain', base: 'authServerEnterprise', mutate: (o) => delete o.spec.tls.clientAuth.allowedSubjects.trustDomain, path: 'spec.tls.clientAuth.allowedSubjects.trustDomain', rule: 'trustDomain-required', cel: ['trustDomain-required'] },
  { name: 'renewBefore > duration', base: 'authServerEnterprise', mutate: (o) => (o.spec.tls.serverCert.renewBefore = '3000h'), path: 'spec.tls.serverCert.renewBefore', rule: 'renewBefore-less-than-duration', cel: ['renewBefore-less-than-duration'] },
  { name: 'duration below default renewBefore', base: 'authServerAuto', mutate: (o) => (o.spec.tls.serverCert = { duration: '500h' }), path: 'spec.tls.serverCert.renewBefore', rule: 'renewBefore-less-than-duration', cel: ['renewBefore-less-than-duration'] },
  { name: 'renewBefore 1.5h vs duration 90m', base: 'authServerAuto', mutate: (o) => (o.spec.tls.serverCert = { duration: '90m', renewBefore: '1.5h' }), path: 'spec.tls.serverCert.renewBefore', rule: 'renewBefore-less-than-duration', cel: ['renewBefore-less-than-duration'] },
  { name: 'access token 30s', base: 'authServerAuto', mutate: (o) => (o.spec.tokenLifespans = { accessToken: '30s' }), path: 'spec.tokenLifespans.accessToken', rule: 'duration-range', cel: ['duration-range'] },
  { name: 'refresh token 721h', base: 'authServerAuto', mutate: (o) => (o.spec.tokenLifespans = { refreshToken: '721h' }), path: 'spec.tokenLifespans.refreshToken', rule: 'duration-range', cel: ['duration-range'] },
  { name: 'auth code 10m1s', base: 'authServerAuto', mutate: (o) => (o.spec.tokenLifespans = { authCode: '10m1s' }), path: 'spec.tokenLifespans.authCode', rule: 'duration-range', cel: ['duration-range'] },
  { name: 'auth code 29s', base: 'authServerAuto', mutate: (o) => (o.spec.tokenLifespans = { authCode: '29s' }), path: 'spec.tokenLifespans.authCode', rule: 'duration-range', cel: ['duration-range'] },
  // Beyond Go's int64 nanoseconds. cel-go's duration() fails on it, so the API server rejects it through
  // renewBefore-less-than-duration; cel-js (the stand-in evaluator here) does not overflow, hence cel: [].
  { name: 'duration overflow', base: 'authServerAuto', mutate: (o) => (o.spec.tls.serverCert = { duration: '9999999999h' }), path: 'spec.tls.serverCert.duration', rule: 'duration', cel: [] },
  { name: 'redis type without redis', base: 'authServerAuto', mutate: (o) => (o.spec.storage = { type: 'redis' }), path: 'spec.storage.redis', rule: 'redis-iff-type-redis', cel: ['redis-iff-type-redis'] },
  { name: 'redis block on memory', base: 'authServerAuto', mutate: (o) => (o.spec.storage = { type: 'memory', redis: { address: 'r:6379' } }), path: 'spec.storage.redis', rule: 'redis-iff-type-redis', cel: ['redis-iff-type-redis'] },
  { name: 'redis address and sentinel', base: 'authServerHa', mutate: (o) => (o.spec.storage.redis.sentinel = { masterName: 'm', addresses: ['s:26379'] }), path: 'spec.storage.redis', rule: 'redis-address-or-sentinel', cel: ['redis-address-or-sentinel'] },
  { name: 'redis neither address nor sentinel', base: 'authServerHa', mutate: (o) => delete o.spec.storage.redis.address, path: 'spec.storage.redis', rule: 'redis-address-or-sentinel', cel: ['redis-address-or-sentinel'] },
  { name: 'redis caBundle without tls', base: 'authServerHa', mutate: (o) => (o.spec.storage.redis.tls = false), path: 'spec.storage.redis.caBundle', rule: 'redis-caBundle-needs-tls', cel: ['redis-caBundle-needs-tls'] },
  { name: 'auth server name of 55 characters', base: 'authServerAuto', mutate: (o) => (o.metadata.name = 'a'.repeat(55)), path: 'metadata.name', rule: 'name-fits-services', cel: ['name-fits-services'] },
  { name: 'auth server name starting with a digit', base: 'authServerAuto', mutate: (o) => (o.metadata.name = '1auth'), path: 'metadata.name', rule: 'name-fits-services', cel: ['name-fits-services'] },
  // MCPAuthServer: schema errors, mapped to field paths
  { name: 'unknown field', base: 'authServerAuto', mutate: (o) => (o.spec.replica = 1), path: 'spec.replica', rule: 'unknown-field', cel: [] },
  { name: 'missing issuer', base: 'authServerAuto', mutate: (o) => delete o.spec.issuer, path: 'spec.issuer', rule: 'required', cel: [] },
  { name: 'missing spec', base: 'authServerAuto', mutate: (o) => delete o.spec, path: 'spec', rule: 'required', cel: [] },
  { name: 'replicas is a string', base: 'authServerAuto', mutate: (o) => (o.spec.replicas = 'two'), path: 'spec.replicas', rule: 'type', cel: [] },
  { name: 'replicas 0', base: 'authServerAuto', mutate: (o) => (o.spec.replicas = 0), path: 'spec.replicas', rule: 'minimum', cel: [] },
  { name: 'port 70000', base: 'authServerAuto', mutate: (o) => (o.spec.port = 70000), path: 'spec.port', rule: 'maximum', cel: [] },
  { name: 'port 80', base: 'authServerAuto', mutate: (o) => (o.spec.port = 80), path: 'spec.port', rule: 'minimum', cel: [] },
  { name: 'replicas 2^31', base: 'authServerHa', mutate: (o) => (o.spec.replicas = 2 ** 31), path: 'spec.replicas', rule: 'format', cel: [] },
  { name: 'storage type sql', base: 'authServerAuto', mutate: (o) => (o.spec.storage = { type: 'sql' }), path: 'spec.storage.type', rule: 'enum', cel: [] },
  { name: 'oidc issuer http', base: 'authServerAuto', mutate: (o) => (o.spec.upstreamIdps[0].oidc.issuer = 'http://accounts.google.com'), path: 'spec.upstreamIdps[0].oidc.issuer', rule: 'pattern', cel: [] },
  { name: 'empty clientId', base: 'authServerAuto', mutate: (o) => (o.spec.upstreamIdps[0].oidc.clientId = ''), path: 'spec.upstreamIdps[0].oidc.clientId', rule: 'minLength', cel: [] },
  { name: 'idp name 64 chars', base: 'authServerAuto', mutate: (o) => (o.spec.upstreamIdps[0].name = 'a'.repeat(64)), path: 'spec.upstreamIdps[0].name', rule: 'maxLength', cel: [] },
  { name: 'quantity not a quantity', base: 'authServerHa', mutate: (o) => (o.spec.resources.limits.cpu = 'lots'), path: 'spec.resources.limits.cpu', rule: 'pattern', cel: [] },
  { name: 'quantity is an object', base: 'authServerHa', mutate: (o) => (o.spec.resources.limits.cpu = { v: 1 }), path: 'spec.resources.limits.cpu', rule: 'type', cel: [] },
  { name: 'allowedServers entry without name', base: 'authServerEnterprise', mutate: (o) => delete o.spec.tls.clientAuth.allowedSubjects.allowedServers[0].name, path: 'spec.tls.clientAuth.allowedSubjects.allowedServers[0].name', rule: 'required', cel: [] },
  { name: 'allowedNamespaces entry not a label', base: 'authServerEnterprise', mutate: (o) => (o.spec.tls.clientAuth.allowedSubjects.allowedNamespaces = ['Prod']), path: 'spec.tls.clientAuth.allowedSubjects.allowedNamespaces[0]', rule: 'pattern', cel: [] },
  { name: 'issuerRef kind Foo', base: 'authServerEnterprise', mutate: (o) => (o.spec.tls.serverCert.issuerRef.kind = 'Foo'), path: 'spec.tls.serverCert.issuerRef.kind', rule: 'enum', cel: [] },
  { name: 'annotation key with dots and slash', base: 'authServerHa', mutate: (o) => (o.spec.publicService.annotations['example.com/x'] = 1), path: 'spec.publicService.annotations[example.com/x]', rule: 'type', cel: [] },
  { name: 'redis address without port', base: 'authServerHa', mutate: (o) => (o.spec.storage.redis.address = 'redis'), path: 'spec.storage.redis.address', rule: 'pattern', cel: [] },
  { name: 'wrong apiVersion', base: 'authServerAuto', mutate: (o) => (o.apiVersion = 'toolhive.stacklok.dev/v1beta1'), path: 'apiVersion', rule: 'enum', cel: [] },
  // MCPExternalAuthConfig
  { name: 'authServer block on another type', base: 'extAuthRef', mutate: (o) => (o.spec.type = 'unauthenticated'), path: 'spec.authServer', rule: 'authServer-iff-type-authServer', cel: ['authServer-iff-type-authServer'] },
  { name: 'tokenExchange type without block', base: 'extAuthTokenExchange', mutate: (o) => delete o.spec.tokenExchange, path: 'spec.tokenExchange', rule: 'block-matches-type', cel: ['block-matches-type'] },
  { name: 'headerInjection block on authServer', base: 'extAuthRef', mutate: (o) => (o.spec.headerInjection = { headerName: 'X' }), path: 'spec.headerInjection', rule: 'block-matches-type', cel: ['block-matches-type'] },
  { name: 'neither url nor authServerRef', base: 'extAuthUrl', mutate: (o) => delete o.spec.authServer.url, path: 'spec.authServer.url', rule: 'url-or-authServerRef', cel: ['url-or-authServerRef'] },
  { name: 'url mode without issuerRef', base: 'extAuthUrl', mutate: (o) => delete o.spec.authServer.clientCert.issuerRef, path: 'spec.authServer.clientCert.issuerRef', rule: 'issuerRef-required-without-authServerRef', cel: ['issuerRef-required-without-authServerRef'] },
  { name: 'url mode without trustDomain', base: 'extAuthUrl', mutate: (o) => delete o.spec.authServer.clientCert.trustDomain, path: 'spec.authServer.clientCert.trustDomain', rule: 'trustDomain-required-without-authServerRef', cel: ['trustDomain-required-without-authServerRef'] },
  { name: 'url mode without caBundle', base: 'extAuthUrl', mutate: (o) => delete o.spec.authServer.caBundle, path: 'spec.authServer.caBundle', rule: 'caBundle-required-without-authServerRef', cel: ['caBundle-required-without-authServerRef'] },
  { name: 'url with query', base: 'extAuthUrl', mutate: (o) => (o.spec.authServer.url += '?x=1'), path: 'spec.authServer.url', rule: 'pattern', cel: [] },
  { name: 'no clientCert', base: 'extAuthRef', mutate: (o) => delete o.spec.authServer.clientCert, path: 'spec.authServer.clientCert', rule: 'required', cel: [] },
  { name: 'client trust domain with scheme', base: 'extAuthRef', mutate: (o) => (o.spec.authServer.clientCert.trustDomain = 'spiffe://mcp.example.com'), path: 'spec.authServer.clientCert.trustDomain', rule: 'pattern', cel: [] },
  { name: 'type unknown', base: 'extAuthRef', mutate: (o) => (o.spec.type = 'magic'), path: 'spec.type', rule: 'enum', cel: [] },
  // MCPServer
  { name: 'port == proxyPort', base: 'server', mutate: (o) => (o.spec.port = 8000), path: 'spec.proxyPort', rule: 'port-differs-from-proxyPort', cel: ['port-differs-from-proxyPort'] },
  { name: 'inline type without inline', base: 'server', mutate: (o) => delete o.spec.oidcConfig.inline, path: 'spec.oidcConfig.inline', rule: 'inline-required', cel: ['inline-required'] },
  { name: 'inline type without resourceUrl', base: 'server', mutate: (o) => delete o.spec.oidcConfig.resourceUrl, path: 'spec.oidcConfig.resourceUrl', rule: 'resourceUrl-required', cel: ['resourceUrl-required'] },
  { name: 'resourceUrl with userinfo', base: 'server', mutate: (o) => (o.spec.oidcConfig.resourceUrl = 'https://u:p@github-tools.mcp.example.com/mcp'), path: 'spec.oidcConfig.resourceUrl', rule: 'resource-url', cel: [] },
  { name: 'resourceUrl with fragment', base: 'server', mutate: (o) => (o.spec.oidcConfig.resourceUrl = 'https://h/mcp#x'), path: 'spec.oidcConfig.resourceUrl', rule: 'pattern', cel: [] },
  { name: 'audience is the server name', base: 'server', mutate: (o) => (o.spec.oidcConfig.inline.audience = 'github-tools'), path: 'spec.oidcConfig.inline.audience', rule: 'audience-equals-resourceUrl', cel: [] },
  { name: 'audience with default port kept', base: 'server', mutate: (o) => (o.spec.oidcConfig.inline.audience = 'https://github-tools.mcp.example.com:443/mcp'), path: 'spec.oidcConfig.inline.audience', rule: 'audience-equals-resourceUrl', cel: [] },
  { name: 'jwksUrl http', base: 'server', mutate: (o) => (o.spec.oidcConfig.inline.jwksUrl = 'http://auth.mcp.example.com/jwks'), path: 'spec.oidcConfig.inline.jwksUrl', rule: 'pattern', cel: [] },
  { name: 'name of 64 characters', base: 'server', mutate: (o) => (o.metadata.name = 'a'.repeat(64)), path: 'metadata.name', rule: 'name-length', cel: ['name-length'] },
  { name: 'name with a dot', base: 'server', mutate: (o) => (o.metadata.name = 'github.tools'), path: 'metadata.name', rule: 'name-dns1035', cel: ['name-dns1035'] },
  { name: 'transport stdio', base: 'server', mutate: (o) => (o.spec.transport = 'stdio'), path: 'spec.transport', rule: 'enum', cel: [] },
  { name: 'no image', base: 'serverMinimal', mutate: (o) => delete o.spec.image, path: 'spec.image', rule: 'required', cel: [] },
  { name: 'env without name', base: 'server', mutate: (o) => delete o.spec.env[0].name, path: 'spec.env[0].name', rule: 'required', cel: [] },
];
