/**
 * `validate()`: the one validation of our three kinds, used by the webhooks and the `validate`
 * CLI. Schema (ajv, compiled once) plus the cross-field rules, all problems at once, in one shape.
 */
import type { FieldError } from './field-error.ts';
import { isKindName, API_VERSION, type KindName } from './kinds.ts';
import { ajvToFieldErrors } from './lib/ajv-errors.ts';
import { schemaValidator } from './lib/ajv.ts';
import { mcpAuthServerRules, mcpAuthServerWarnings } from './rules/mcpauthserver-rules.ts';
import { mcpExternalAuthConfigRules, mcpExternalAuthConfigWarnings } from './rules/mcpexternalauthconfig-rules.ts';
import { mcpServerRules, mcpServerWarnings } from './rules/mcpserver-rules.ts';

export interface ValidateOptions {
  /** The stored object on UPDATE: enables the update-time warnings. */
  oldObject?: unknown;
  /** Operator feature gates (spec §3.1: `MultiUpstreamIdp` allows up to 10 upstream IdPs). */
  featureGates?: { MultiUpstreamIdp?: boolean };
}

export interface ValidationResult {
  errors: FieldError[];
  warnings: string[];
}

const RULES: Record<KindName, { errors(obj: unknown, o: ValidateOptions): FieldError[]; warnings(obj: unknown, old?: unknown): string[] }> = {
  MCPAuthServer: { errors: (obj, o) => mcpAuthServerRules(obj, o), warnings: mcpAuthServerWarnings },
  MCPExternalAuthConfig: { errors: (obj) => mcpExternalAuthConfigRules(obj), warnings: mcpExternalAuthConfigWarnings },
  MCPServer: { errors: (obj) => mcpServerRules(obj), warnings: mcpServerWarnings },
};

/**
 * Validates one object of our kinds (dispatch on `kind`). Errors are every schema and semantic
 * problem; warnings are risky but legal choices (and, with `oldObject`, risky updates).
 *
 * @example
 * validate({ apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPAuthServer', metadata: { name: 'a' },
 *   spec: { issuer: 'http://auth.example.com', upstreamIdps: [...], signingKeys: [...] } })
 * // { errors: [{ path: 'spec.issuer', rule: 'pattern', message: '"http://auth.example.com" must be an https URL ...' }], warnings: [] }
 */
export function validate(obj: unknown, options: ValidateOptions = {}): ValidationResult {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return { errors: [{ path: '', rule: 'type', message: 'must be an object' }], warnings: [] };
  }
  const { kind, apiVersion } = obj as { kind?: unknown; apiVersion?: unknown };
  if (!isKindName(kind)) {
    return {
      errors: [{ path: 'kind', rule: 'enum', message: `${JSON.stringify(kind)} is not one of: MCPAuthServer, MCPExternalAuthConfig, MCPServer` }],
      warnings: [],
    };
  }
  const errors: FieldError[] = [];
  if (apiVersion !== undefined && apiVersion !== API_VERSION) {
    errors.push({ path: 'apiVersion', rule: 'enum', message: `${JSON.stringify(apiVersion)} must be ${API_VERSION}` });
  }
  const check = schemaValidator(kind);
  // The common case, a valid object, allocates nothing more than the two result lists.
  if (!check(obj)) errors.push(...ajvToFieldErrors(check.errors));
  const rules = RULES[kind];
  const ruleErrors = rules.errors(obj, options);
  if (ruleErrors.length > 0) errors.push(...ruleErrors);
  return { errors: errors.length > 1 ? dedupe(errors) : errors, warnings: rules.warnings(obj, options.oldObject) };
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\0${e.rule}\0${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
