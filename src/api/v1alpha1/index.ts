/**
 * The one definition of the `toolhive.stacklok.dev/v1alpha1` API (spec §3): types, schemas,
 * validation, defaults, resource normalization. Other contexts import only this file.
 */
export { GROUP, VERSION, API_VERSION, KINDS, isKindName, type KindName, type KindInfo } from './kinds.ts';
export type { SecretKeyRef, CABundleSource, CertManagerIssuerReference, Condition, ResourceRequirements } from './schema/common.ts';
export {
  MCPAuthServerSchema,
  MCPAuthServerSpecSchema,
  MCPAuthServerStatusSchema,
  SIGNING_ALGORITHMS,
  LIFESPAN_BOUNDS,
  MAX_UPSTREAM_IDPS,
  MAX_MCPAUTHSERVER_NAME_LENGTH,
  type MCPAuthServer,
  type MCPAuthServerSpec,
  type MCPAuthServerStatus,
} from './schema/mcpauthserver.ts';
export {
  MCPExternalAuthConfigSchema,
  MCPExternalAuthConfigSpecSchema,
  MCPExternalAuthConfigStatusSchema,
  EXTERNAL_AUTH_TYPES,
  type MCPExternalAuthConfig,
  type MCPExternalAuthConfigSpec,
  type MCPExternalAuthConfigStatus,
} from './schema/mcpexternalauthconfig.ts';
export {
  MCPServerSchema,
  MCPServerSpecSchema,
  MCPServerStatusSchema,
  MAX_MCPSERVER_NAME_LENGTH,
  type MCPServer,
  type MCPServerSpec,
  type MCPServerStatus,
} from './schema/mcpserver.ts';
export { type FieldError, formatFieldError, formatPath } from './field-error.ts';
export { validate, type ValidateOptions, type ValidationResult } from './validate.ts';
export { crossValidate, type CrossValidationError } from './cross-validate.ts';
export { applyDefaults } from './apply-defaults.ts';
export { DEFAULT_TRUST_DOMAIN, effectiveTrustDomain } from './rules/mcpauthserver-rules.ts';
export { normalizeResource, mustNormalizeResource, type NormalizeResourceResult, type NormalizeResourceProblem } from './normalize-resource.ts';
export { parseGoDuration } from './parse-go-duration.ts';
export { buildCrds, crdFileName, toStructural, type CustomResourceDefinition } from './crd.ts';
