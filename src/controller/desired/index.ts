// Every pure builder of spec §4.1–§4.3, for the reconcilers, the tests and `dev` dry runs.
export { selfSignedClusterIssuer, caCertificate, caClusterIssuer, caBundleConfigMap } from './ca.ts';
export { serverCertificate } from './server-certificate.ts';
export { clientCertificate, type ClientCertificateInputs } from './client-certificate.ts';
export { authServerConfig, renderAuthServerConfig, authServerConfigMap, configPaths } from './authserver-config.ts';
export { buildResourceMap, resourceMapConfigMap, type ResourceMap, type ResourceMapDocument, type RegistrationOutcome } from './resource-map.ts';
export {
  authServerServiceAccount,
  authServerDeployment,
  publicService,
  internalService,
  authServerNetworkPolicy,
  encryptionKeySecret,
  configHash,
  type AuthServerDeploymentInputs,
} from './authserver-workload.ts';
export { mcpServerDeployment, mcpServerService } from './mcpserver-workload.ts';
export { controllerRef } from './owner.ts';
