// PKI context: test/dev certificate issuance and hot-reloaded TLS material (spec §2.0, conventions §12).
export { createCA, type CreateCAOptions } from './create-ca.ts';
export { issueServerCert, type ServerCertOptions } from './issue-server-cert.ts';
export { issueClientCert, type ClientCertOptions } from './issue-client-cert.ts';
export { FileCertSource, type CertMaterial, type FileCertSourceOptions } from './file-cert-source.ts';
export { serveTlsFromFiles, tlsServerOptions } from './serve-tls-from-files.ts';
export { ReloadingAgent, type ReloadingAgentOptions } from './reloading-agent.ts';
export { writeBundle } from './write-bundle.ts';
export { PkiError, type CertBundle, type KeyAlgorithm, type ExtKeyUsageName, type KeyUsageName, type PkiErrorCode } from './types.ts';
