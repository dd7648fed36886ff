/**
 * The ajv instances of the API: one validator and one defaulter, each schema compiled once, on
 * first use. The `x-kubernetes-*` keywords are declared so ajv's strict mode accepts them; they
 * constrain nothing here (the CEL rules have TypeScript twins in `rules/`).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { KINDS, type KindName } from '../kinds.ts';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;

const K8S_KEYWORDS = [
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-validations',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-map-type',
];

function newAjv(useDefaults: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, useDefaults, verbose: true });
  addFormats(ajv, ['date-time', 'int32', 'int64']);
  for (const keyword of K8S_KEYWORDS) ajv.addKeyword({ keyword, schemaType: ['string', 'array', 'boolean', 'object'] });
  return ajv;
}

let validator: Ajv | undefined;
let defaulter: Ajv | undefined;
const validateFns = new Map<KindName, ValidateFunction>();
const defaultFns = new Map<KindName, ValidateFunction>();

/** The schema validator of a kind (compiled once). */
export function schemaValidator(kind: KindName): ValidateFunction {
  let fn = validateFns.get(kind);
  if (!fn) {
    validator ??= newAjv(false);
    fn = validator.compile(KINDS[kind].schema);
    validateFns.set(kind, fn);
  }
  return fn;
}

/** A validator that fills schema defaults into the object it checks (compiled once). */
export function schemaDefaulter(kind: KindName): ValidateFunction {
  let fn = defaultFns.get(kind);
  if (!fn) {
    defaulter ??= newAjv(true);
    fn = defaulter.compile(KINDS[kind].schema);
    defaultFns.set(kind, fn);
  }
  return fn;
}
