import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse as parseCel } from '@marcbachmann/cel-js';
import { Ajv } from 'ajv';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { buildCrds } from './crd.ts';
import { renderCrdFiles } from './render-crds.ts';
import { celRuleId } from './schema/common.ts';
import { validate } from './validate.ts';
import { applyDefaults } from './apply-defaults.ts';
import { celFailures, crdSchema } from './testdata/cel-eval.ts';
import { sample, SAMPLE_NAMES } from './testdata/samples.ts';
import { RULE_CASES } from './testdata/rule-cases.ts';

const crdsDir = fileURLToPath(new URL('../../../crds/', import.meta.url));

type Node = Record<string, unknown>;
/** Every schema node with its JSON path, and whether it sits under anyOf/allOf/oneOf/not. */
function nodes(schema: Node, path = '', inJunctor = false): Array<{ node: Node; path: string; inJunctor: boolean }> {
  const out = [{ node: schema, path, inJunctor }];
  for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Node>)) out.push(...nodes(sub, `${path}.${key}`, inJunctor));
  if (schema.items) out.push(...nodes(schema.items as Node, `${path}[]`, inJunctor));
  if (typeof schema.additionalProperties === 'object') out.push(...nodes(schema.additionalProperties as Node, `${path}{}`, inJunctor));
  for (const j of ['anyOf', 'allOf', 'oneOf']) for (const sub of (schema[j] ?? []) as Node[]) out.push(...nodes(sub, `${path}<${j}>`, true));
  if (schema.not) out.push(...nodes(schema.not as Node, `${path}<not>`, true));
  return out;
}

const KINDS = ['MCPAuthServer', 'MCPExternalAuthConfig', 'MCPServer'];

describe('generated CRDs', () => {
  it('crds/ matches what `npm run gen` writes (run it after changing src/api)', () => {
    const expected = renderCrdFiles();
    const onDisk = readdirSync(crdsDir).filter((f) => f.endsWith('.yaml')).sort();
    expect(onDisk).toEqual(Object.keys(expected).sort());
    for (const [name, text] of Object.entries(expected)) expect(readFileSync(`${crdsDir}${name}`, 'utf8'), name).toBe(text);
  });

  it('validates against the upstream apiextensions.k8s.io/v1 CustomResourceDefinition schema (kubernetes-models)', () => {
    for (const crd of buildCrds()) expect(() => new CustomResourceDefinition(crd as never).validate(), crd.metadata.name).not.toThrow();
    const broken = structuredClone(buildCrds()[0]) as unknown as { spec: { versions: Array<{ schema: { openAPIV3Schema: { type: unknown } } }> } };
    broken.spec.versions[0]!.schema.openAPIV3Schema.type = 42;
    expect(() => new CustomResourceDefinition(broken as never).validate()).toThrow(/must be string/);
  });

  it('is deterministic', () => {
    expect(renderCrdFiles()).toEqual(renderCrdFiles());
  });

  it('declares names, shortNames, categories, status subresource and printer columns', () => {
    const byKind = Object.fromEntries(buildCrds().map((c) => [(c.spec.names as { kind: string }).kind, c]));
    expect(Object.keys(byKind).sort()).toEqual(KINDS);
    expect(byKind.MCPAuthServer?.metadata.name).toBe('mcpauthservers.toolhive.stacklok.dev');
    expect((byKind.MCPAuthServer?.spec.names as { shortNames: string[] }).shortNames).toEqual(['mcpas']);
    expect((byKind.MCPExternalAuthConfig?.spec.names as { shortNames: string[] }).shortNames).toEqual(['extauth', 'mcpextauth']);
    expect((byKind.MCPServer?.spec.names as { shortNames: string[] }).shortNames).toEqual(['mcps']);
    const columns = (kind: string) =>
      ((byKind[kind]?.spec.versions as Array<{ additionalPrinterColumns: Array<{ name: string }> }>)[0]?.additionalPrinterColumns ?? []).map((c) => c.name);
    expect(columns('MCPAuthServer')).toEqual(['Phase', 'Issuer', 'Age']);
    expect(columns('MCPExternalAuthConfig')).toEqual(['Type', 'Ready', 'Age']);
    expect(columns('MCPServer')).toEqual(['Phase', 'URL', 'Age']);
    for (const crd of buildCrds()) {
      const [version] = crd.spec.versions as Array<Record<string, unknown>>;
      expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
      expect((crd.spec.names as { categories: string[] }).categories).toEqual(['toolhive', 'mcp']);
      expect(crd.spec.scope).toBe('Namespaced');
    }
  });

  describe.each(KINDS)('%s schema is structural', (kind) => {
    const schema = crdSchema(kind) as Node;
    const all = nodes(schema);

    it('has a type on every node outside junctors (int-or-string excepted)', () => {
      const untyped = all.filter((n) => !n.inJunctor && n.node.type === undefined && n.node['x-kubernetes-int-or-string'] !== true);
      expect(untyped.map((n) => n.path)).toEqual([]);
    });

    it('uses no keyword that structural schemas or apiextensions/v1 forbid', () => {
      const forbidden = ['$ref', '$id', '$schema', 'const', 'uniqueItems', 'patternProperties', 'definitions', 'additionalItems', 'dependencies'];
      for (const { node, path } of all) {
        for (const key of Object.keys(node)) expect(forbidden, `${path}: ${key}`).not.toContain(key);
        expect(node.additionalProperties, `${path}: additionalProperties false`).not.toBe(false);
        expect(node.properties !== undefined && node.additionalProperties !== undefined, `${path}: properties and additionalProperties`).toBe(false);
        expect(Object.getOwnPropertySymbols(node)).toEqual([]);
        if (node.type === 'array') expect(node.items, `${path}: array without items`).toBeDefined();
      }
    });

    it('keeps junctor branches free of type-shaping keywords except the int-or-string form', () => {
      for (const { node, path, inJunctor } of all) {
        if (!inJunctor) continue;
        expect(Object.keys(node).filter((k) => k !== 'type'), path).toEqual([]);
        expect(['integer', 'string'], path).toContain(node.type);
      }
    });

    it('describes every field for kubectl explain (metadata excepted)', () => {
      const undocumented: string[] = [];
      for (const { node, path } of all) {
        for (const [key, prop] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
          if (!(path === '' && key === 'metadata') && typeof prop.description !== 'string') undocumented.push(`${path}.${key}`);
        }
      }
      expect(undocumented).toEqual([]);
    });

    it('restricts metadata to type object', () => {
      expect((schema.properties as Record<string, Node>).metadata).toEqual({ type: 'object' });
    });

    it('gives list-map keys as required or defaulted fields, and set lists scalar items', () => {
      for (const { node, path } of all) {
        if (node['x-kubernetes-list-type'] === 'map') {
          const item = node.items as Node;
          for (const key of node['x-kubernetes-list-map-keys'] as string[]) {
            const prop = (item.properties as Record<string, Node>)[key];
            expect(prop, `${path}: map key ${key}`).toBeDefined();
            expect(((item.required as string[]) ?? []).includes(key) || prop?.default !== undefined, `${path}: key ${key} required`).toBe(true);
          }
        }
        if (node['x-kubernetes-list-type'] === 'set') expect(['string', 'integer', 'number', 'boolean']).toContain((node.items as Node).type);
      }
    });

    it('has defaults that validate against their own node', () => {
      const ajv = new Ajv({ strict: false });
      for (const { node, path } of all) {
        if (node.default === undefined) continue;
        const check = ajv.compile(node);
        expect(check(node.default), `${path}: ${JSON.stringify(check.errors)}`).toBe(true);
      }
    });

    it('has CEL rules that parse and carry a rule id', () => {
      for (const { node, path } of all) {
        for (const rule of (node['x-kubernetes-validations'] ?? []) as Array<{ rule: string; message: string; fieldPath?: string }>) {
          expect(() => parseCel(rule.rule), `${path}: ${rule.rule}`).not.toThrow();
          expect(celRuleId(rule.message), `${path}: ${rule.message}`).toMatch(/^[a-z][A-Za-z0-9-]+$/);
          if (rule.fieldPath) {
            // The API server rejects a fieldPath that does not name a declared property.
            expect(rule.fieldPath).toMatch(/^(\.[A-Za-z]+)+$/);
            let at: Node | undefined = node;
            for (const seg of rule.fieldPath.slice(1).split('.')) at = (at?.properties as Record<string, Node> | undefined)?.[seg];
            expect(at, `${path}: fieldPath ${rule.fieldPath}`).toBeDefined();
          }
        }
      }
    });
  });
});

describe('CEL rules agree with the TypeScript rules (cel-js stands in for the API server)', () => {
  it.each(SAMPLE_NAMES)('sample %s passes every CEL rule, raw and defaulted', (name) => {
    expect(celFailures(sample(name))).toEqual([]);
    expect(celFailures(applyDefaults(sample(name)))).toEqual([]);
  });

  it.each(RULE_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const o = sample(c.base);
    c.mutate(o);
    for (const obj of [o, applyDefaults(o)]) {
      const failures = celFailures(obj) ?? [];
      expect(failures.map((f) => f.id).sort()).toEqual([...c.cel].sort());
      // Where CEL names the field (fieldPath), it is the same field the webhook names.
      for (const f of failures) if (f.id === c.rule && f.path !== '' && c.rule !== 'unique-signing-key-refs') expect(f.path).toBe(c.path);
    }
  });

  it('every CEL rule id is exercised by a case where TypeScript reports the same id', () => {
    const ids = new Set<string>();
    for (const kind of KINDS) {
      for (const { node } of nodes(crdSchema(kind) as Node)) {
        for (const rule of (node['x-kubernetes-validations'] ?? []) as Array<{ message: string }>) ids.add(celRuleId(rule.message) as string);
      }
    }
    const covered = new Set(RULE_CASES.filter((c) => c.cel.includes(c.rule)).map((c) => c.rule));
    expect([...ids].filter((id) => !covered.has(id))).toEqual([]);
  });

  it('agrees on ports, replicas, storage and certificate durations for random specs (property)', () => {
    const dur = fc.constantFrom('30m', '1h', '90m', '1.5h', '360h', '720h', '721h', '2160h', '8760h');
    const spec = fc.record(
      {
        port: fc.integer({ min: 8440, max: 8446 }),
        internalPort: fc.constantFrom(8443, 8444, 9443),
        replicas: fc.integer({ min: 1, max: 3 }),
        storage: fc.constantFrom(undefined, 'memory', 'redis'),
        duration: dur,
        renewBefore: dur,
        accessToken: fc.constantFrom('30s', '1m', '59m', '24h', '24h1s', '1h30m'),
      },
      { requiredKeys: ['storage'] },
    );
    const ids = ['port-differs-from-internalPort', 'replicas-need-redis', 'renewBefore-less-than-duration', 'duration-range', 'redis-iff-type-redis'];
    fc.assert(
      fc.property(spec, (s) => {
        const o = sample('authServerAuto');
        for (const k of ['port', 'internalPort', 'replicas'] as const) if (s[k] !== undefined) o.spec[k] = s[k];
        if (s.storage) o.spec.storage = s.storage === 'redis' ? { type: 'redis', redis: { address: 'r:6379', tls: true } } : { type: s.storage };
        o.spec.tls.serverCert = { ...(s.duration && { duration: s.duration }), ...(s.renewBefore && { renewBefore: s.renewBefore }) };
        if (s.accessToken) o.spec.tokenLifespans = { accessToken: s.accessToken };
        const ts = validate(o).errors.map((e) => e.rule).filter((r) => ids.includes(r)).sort();
        const cel = (celFailures(o) ?? []).map((f) => f.id).sort();
        expect(cel).toEqual(ts);
      }),
      { numRuns: 200 },
    );
  });
});
