/**
 * docs/install.md is executable knowledge: its preflight refuses a foreign CRD (spec §0), every
 * config/ path it names exists, and every Secret, ConfigMap and issuer the samples and the HA
 * overlay reference is explained there (they are not committed).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { KUBECTL, REPO_ROOT, render, type K8sObject } from './lib/kustomize.ts';

const run = promisify(execFile);
const DOC = readFileSync(join(REPO_ROOT, 'docs/install.md'), 'utf8');

/** The first ```sh block after a heading that contains `heading`. */
function shellBlockAfter(heading: string): string {
  const start = DOC.indexOf(heading);
  const block = /```sh\n([\s\S]*?)```/.exec(DOC.slice(start));
  if (start < 0 || !block?.[1]) throw new Error(`no sh block after "${heading}" in docs/install.md`);
  return block[1];
}

describe('docs/install.md preflight (CRD name clash, spec §0)', () => {
  // There is no API server here, so `kubectl get crd` is answered by a stand-in script: it knows
  // the CRDs listed in FAKE_CRDS (name=owner-label, empty owner = no label) and answers NotFound
  // (exit 1) for any other, like the real kubectl. The preflight itself runs unchanged in bash.
  const dir = mkdtempSync(join(tmpdir(), 'install-doc-'));
  const fakeKubectl = join(dir, 'kubectl');
  writeFileSync(
    fakeKubectl,
    `#!/bin/bash
[ "$1 $2" = "get crd" ] || { echo "unexpected: kubectl $*" >&2; exit 2; }
IFS=';' read -ra entries <<< "$FAKE_CRDS"
for entry in "\${entries[@]}"; do
  if [ "\${entry%%=*}" = "$3" ]; then printf '%s' "\${entry#*=}"; exit 0; fi
done
echo "Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io \\"$3\\" not found" >&2
exit 1
`,
  );
  chmodSync(fakeKubectl, 0o755);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const preflight = shellBlockAfter('## 2. Preflight');

  async function runPreflight(crds: string): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run('bash', ['-c', preflight], {
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_CRDS: crds },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('passes on a cluster without the CRDs', async () => {
    expect(await runPreflight('')).toMatchObject({ code: 0, stdout: 'preflight ok\n' });
  });

  it('passes when the CRDs are ours (upgrade)', async () => {
    const ours = ['mcpauthservers', 'mcpexternalauthconfigs', 'mcpservers'].map((p) => `${p}.toolhive.stacklok.dev=mcp-authserver`);
    expect(await runPreflight(ours.join(';'))).toMatchObject({ code: 0, stdout: 'preflight ok\n' });
  });

  it("refuses, naming the CRD and its owner, when ToolHive's CRD exists", async () => {
    const result = await runPreflight('mcpservers.toolhive.stacklok.dev=toolhive');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      "refusing to install: CRD mcpservers.toolhive.stacklok.dev exists and belongs to another operator (app.kubernetes.io/part-of='toolhive')",
    );
  });

  it('refuses a same-named CRD without any owner label', async () => {
    const result = await runPreflight('mcpauthservers.toolhive.stacklok.dev=mcp-authserver;mcpexternalauthconfigs.toolhive.stacklok.dev=');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CRD mcpexternalauthconfigs.toolhive.stacklok.dev exists');
  });
});

describe('docs/install.md references', () => {
  it('names only config/ paths that exist', () => {
    const paths = [...new Set(DOC.match(/config\/[a-z0-9/_.-]*[a-z0-9]/g) ?? [])];
    expect(paths.length).toBeGreaterThan(5);
    expect(paths.filter((p) => !existsSync(join(REPO_ROOT, p)))).toEqual([]);
  });
});

/** Names of every Secret, ConfigMap and issuer an object refers to. */
function referencedNames(value: unknown, key = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => referencedNames(v, key));
  if (value === null || typeof value !== 'object') return [];
  const record = value as Record<string, unknown>;
  const here = /(secretref|configmapref|issuerref)$/i.test(key) && typeof record.name === 'string' ? [record.name] : [];
  return [...here, ...Object.entries(record).flatMap(([k, v]) => referencedNames(v, k))];
}

describe.skipIf(!KUBECTL)('docs/install.md explains what the samples need', () => {
  it.each(['config/samples', 'config/overlays/ha'])('every Secret, ConfigMap and issuer referenced in %s', async (dir) => {
    const objects: K8sObject[] = await render(dir);
    const names = [...new Set(objects.flatMap((o) => referencedNames(o.spec)))];
    const expected = dir === 'config/samples' ? ['okta-client', 'corp-mtls-ca', 'corp-vault-issuer', 'toolhive-mtls-ca'] : ['mcp-auth-redis', 'as-signing'];
    expect(names).toEqual(expect.arrayContaining(expected));
    expect(names.filter((name) => !DOC.includes(name))).toEqual([]);
  });
});
