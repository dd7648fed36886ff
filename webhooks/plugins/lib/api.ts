// The one API definition (spec §0): schema + cross-field rules and defaults live in src/api.
export { validate, applyDefaults, crossValidate, formatFieldError, GROUP } from '../../../src/api/v1alpha1/index.ts';
export type { FieldError } from '../../../src/api/v1alpha1/index.ts';
