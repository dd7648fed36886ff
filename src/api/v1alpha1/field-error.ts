/**
 * Field-level problems (conventions §8): schema and semantic errors share one shape, with paths
 * like `spec.upstreamIdps[0].name`, and are reported all at once.
 */
export type FieldError = { path: string; rule: string; message: string };

/**
 * Path segment list → `spec.upstreamIdps[0].name`; keys that are not identifiers go in brackets.
 *
 * @example
 * formatPath(['spec', 'upstreamIdps', 0, 'name']) // 'spec.upstreamIdps[0].name'
 * formatPath(['spec', 'publicService', 'annotations', 'example.com/x']) // 'spec.publicService.annotations[example.com/x]'
 */
export function formatPath(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${seg}]`;
  }
  return out;
}

/**
 * One line for a denial or CLI output.
 *
 * @example
 * formatFieldError({ path: 'spec.replicas', rule: 'replicas-need-redis', message: '2 replicas need storage.type redis' })
 * // 'spec.replicas: 2 replicas need storage.type redis (replicas-need-redis)'
 */
export function formatFieldError(error: FieldError): string {
  return `${error.path}: ${error.message} (${error.rule})`;
}
