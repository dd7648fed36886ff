/**
 * Maps ajv errors to {@link FieldError}s (conventions §8): `instancePath` becomes
 * `spec.upstreamIdps[0].name`, `required`/`additionalProperties` name the missing or unknown
 * field itself, and the rule is the JSON Schema keyword (`pattern`, `enum`, `minItems`...) or
 * `unknown-field`.
 */
import type { ErrorObject } from 'ajv';
import { formatPath, type FieldError } from '../field-error.ts';
import { PATTERN_MESSAGES } from '../schema/common.ts';

/** Decodes a JSON pointer into path segments (array indexes as numbers). */
export function pointerSegments(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg) => (/^(0|[1-9][0-9]*)$/.test(seg) ? Number(seg) : seg));
}

/**
 * Converts ajv's errors, dropping the per-branch noise of `anyOf` (int-or-string) in favour of the
 * `anyOf` error itself.
 *
 * @example
 * ajvToFieldErrors([{ instancePath: '/spec/replicas', keyword: 'minimum', params: { limit: 1, comparison: '>=' }, schemaPath: '', message: '' }])
 * // [{ path: 'spec.replicas', rule: 'minimum', message: 'must be >= 1' }]
 */
export function ajvToFieldErrors(errors: ReadonlyArray<ErrorObject> | null | undefined): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors ?? []) {
    if (/\/anyOf\/\d+\//.test(e.schemaPath)) continue;
    const segments = pointerSegments(e.instancePath);
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required':
        out.push({ path: formatPath([...segments, String(p.missingProperty)]), rule: 'required', message: 'is required' });
        break;
      case 'additionalProperties':
        out.push({
          path: formatPath([...segments, String(p.additionalProperty)]),
          rule: 'unknown-field',
          message: 'is not a field of this kind (typo?)',
        });
        break;
      case 'enum':
        out.push({
          path: formatPath(segments),
          rule: 'enum',
          message: `${JSON.stringify(e.data)} is not one of: ${(p.allowedValues as unknown[]).join(', ')}`,
        });
        break;
      case 'pattern': {
        const pattern = String(p.pattern);
        out.push({
          path: formatPath(segments),
          rule: 'pattern',
          message: `${JSON.stringify(e.data)} ${PATTERN_MESSAGES[pattern] ?? `must match ${pattern}`}`,
        });
        break;
      }
      case 'type':
        out.push({ path: formatPath(segments), rule: 'type', message: `must be ${article(String(p.type))}` });
        break;
      case 'anyOf':
        out.push({ path: formatPath(segments), rule: 'type', message: 'must be an integer or a string' });
        break;
      case 'minItems':
      case 'maxItems':
        out.push({
          path: formatPath(segments),
          rule: e.keyword,
          message: `has ${Array.isArray(e.data) ? e.data.length : '?'} items; must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${p.limit}`,
        });
        break;
      case 'minLength':
      case 'maxLength':
        out.push({
          path: formatPath(segments),
          rule: e.keyword,
          message: `must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${p.limit} characters`,
        });
        break;
      case 'minimum':
      case 'maximum':
        out.push({ path: formatPath(segments), rule: e.keyword, message: `is ${JSON.stringify(e.data)}; must be ${p.comparison} ${p.limit}` });
        break;
      case 'format':
        out.push({ path: formatPath(segments), rule: 'format', message: `must be a valid ${p.format}` });
        break;
      default:
        out.push({ path: formatPath(segments), rule: e.keyword, message: e.message ?? 'is invalid' });
    }
  }
  return out;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
