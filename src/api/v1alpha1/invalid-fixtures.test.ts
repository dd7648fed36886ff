// Table-driven over test/fixtures/invalid: one manifest per rule of spec §6.2 "CRDs (admission)".
// Each file's `# expect: <path> <rule>` header names the ONE problem the file must have; an
// optional `# feature-gates: MultiUpstreamIdp=true` header sets the operator gates.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validate } from './validate.ts';
import { crossValidate } from './cross-validate.ts';
import { celFailures } from './testdata/cel-eval.ts';
import { RULE_CASES } from './testdata/rule-cases.ts';

const dir = fileURLToPath(new URL('../../../test/fixtures/invalid/', import.meta.url));
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
const CEL_RULES = new Set(RULE_CASES.filter((c) => c.cel.includes(c.rule)).map((c) => c.rule));

function load(file: string) {
  const text = readFileSync(`${dir}${file}`, 'utf8');
  const expect = /^# expect: (\S+) (\S+)$/m.exec(text);
  const gates = /^# feature-gates: MultiUpstreamIdp=(true|false)$/m.exec(text);
  return {
    expected: expect ? { path: expect[1] as string, rule: expect[2] as string } : null,
    featureGates: { MultiUpstreamIdp: gates?.[1] === 'true' },
    objects: parseAllDocuments(text).map((d) => d.toJS() as { kind: string }),
  };
}

describe('test/fixtures/invalid (spec §6.2 CRDs)', () => {
  it('covers every rule of the §6.2 CRD list', () => {
    const rules = new Set(files.map((f) => load(f).expected?.rule));
    for (const rule of [
      'pattern',
      'port-differs-from-internalPort',
      'replicas-need-redis',
      'unique-upstream-idp-names',
      'multi-upstream-idp-gate',
      'oidc-iff-type-oidc',
      'scopes-include-openid',
      'minItems',
      'maxItems',
      'unique-signing-key-refs',
      'enum',
      'issuerRef-requires-caBundle',
      'caBundle-requires-issuerRef',
      'renewBefore-less-than-duration',
      'authServer-iff-type-authServer',
      'block-matches-type',
      'audience-equals-resourceUrl',
      'issuer-matches-authserver',
    ]) {
      expect(rules, rule).toContain(rule);
    }
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  it.each(files)('%s fails with exactly its expected path and rule', (file) => {
    const { expected, featureGates, objects } = load(file);
    expect(expected, 'missing "# expect: <path> <rule>" header').not.toBeNull();
    const problems = [
      ...objects.flatMap((o) => validate(o, { featureGates }).errors),
      ...crossValidate(objects).map(({ path, rule, message }) => ({ path, rule, message })),
    ];
    expect(problems.map(({ path, rule }) => ({ path, rule }))).toEqual([expected]);
    // The API server's CEL rejects the same object where the rule is expressed in CEL.
    if (CEL_RULES.has(expected!.rule)) {
      expect(objects.flatMap((o) => celFailures(o) ?? []).map((f) => f.id)).toContain(expected!.rule);
    }
  });
});
