// `mcp-authserver validate` end to end: spawns the real CLI (bin/mcp-authserver.mjs) on real files.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'validate-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['bin/mcp-authserver.mjs', 'validate', ...args], { cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

const server = (name: string, extra = '') => `apiVersion: toolhive.stacklok.dev/v1alpha1
kind: MCPServer
metadata: {name: ${name}, namespace: default}
spec:
  image: ghcr.io/example/echo:1
${extra}`;

describe('mcp-authserver validate', () => {
  it('accepts config/samples (exit 0, no problem lines)', async () => {
    const { code, stdout, stderr } = await cli(['-f', 'config/samples']);
    expect(stderr).toMatch(/[1-9]\d* object\(s\) checked, 0 problem\(s\)/);
    expect(stdout.split('\n').filter((l) => l && !l.endsWith('skipped (not a toolhive.stacklok.dev kind)'))).toEqual([]);
    expect(code).toBe(0);
  });

  it('rejects test/fixtures/invalid (exit 1) and names the expected field and rule of every file', async () => {
    const dir = join(root, 'test/fixtures/invalid');
    const { code, stdout } = await cli(['-f', 'test/fixtures/invalid']);
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const [, path, rule] = /^# expect: (\S+) (\S+)$/m.exec(readFileSync(join(dir, file), 'utf8')) ?? [];
      const line = lines.find((l) => l.startsWith(`test/fixtures/invalid/${file}#`) && l.includes(`: ${path}: `) && l.endsWith(`(${rule})`));
      expect(line, `${file}: ${path} (${rule})`).toBeDefined();
      // FILE#DOC Kind/name: path: message (rule)
      expect(line).toMatch(/^\S+#\d+ MCP\w+\/[a-z0-9-]+: \S+: .+ \(\S+\)$/);
    }
  });

  it('honours --feature-gates', async () => {
    const file = 'test/fixtures/invalid/mcpauthserver-duplicate-idp-names.yaml';
    const without = await cli(['-f', file]);
    const withGate = await cli(['-f', file, '--feature-gates', 'MultiUpstreamIdp=true']);
    expect(without.stdout).toContain('(multi-upstream-idp-gate)');
    expect(withGate.stdout).not.toContain('(multi-upstream-idp-gate)');
    expect(withGate.stdout).toContain('spec.upstreamIdps[1].name: "google" is already used by spec.upstreamIdps[0] (unique-upstream-idp-names)');
    expect(withGate.code).toBe(1);
  });

  it('reads multi-document YAML from stdin (-), skips other kinds and reports per document', async () => {
    const input = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}',
      server('fine'),
      server('clash', '  port: 8000\n'),
      '# only a comment',
    ].join('\n---\n');
    const { code, stdout } = await cli(['-f', '-'], input);
    expect(stdout.split('\n').filter(Boolean)).toEqual([
      '-#0 ConfigMap/cm: skipped (not a toolhive.stacklok.dev kind)',
      '-#2 MCPServer/clash: spec.proxyPort: 8000 must differ from port 8000 (port-differs-from-proxyPort)',
    ]);
    expect(code).toBe(1);
  });

  it('walks directories recursively, reads .json and Lists, ignores other extensions', async () => {
    const dir = join(tmp, 'tree');
    mkdirSync(join(dir, 'nested'), { recursive: true });
    writeFileSync(join(dir, 'ok.yml'), server('ok'));
    writeFileSync(join(dir, 'notes.txt'), 'kind: MCPServer\nnot: yaml: at: all');
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPServer', metadata: { name: 'a' }, spec: { image: 'x' } },
        { apiVersion: 'toolhive.stacklok.dev/v1alpha1', kind: 'MCPServer', metadata: { name: 'b' }, spec: { image: 'x', transport: 'stdio' } },
      ],
    };
    writeFileSync(join(dir, 'nested', 'list.json'), JSON.stringify(list));
    const { code, stdout, stderr } = await cli(['-f', dir]);
    expect(stdout.trim()).toBe(`${join(dir, 'nested', 'list.json')}#0.items[1] MCPServer/b: spec.transport: "stdio" is not one of: streamable-http, sse (enum)`);
    expect(stderr).toContain('3 object(s) checked, 1 problem(s), 0 skipped, 0 unreadable');
    expect(code).toBe(1);
  });

  it('reports an unknown kind of our group as an error on kind', async () => {
    const file = join(tmp, 'unknown-kind.yaml');
    writeFileSync(file, 'apiVersion: toolhive.stacklok.dev/v1alpha1\nkind: MCPRemoteProxy\nmetadata: {name: r}\nspec: {}\n');
    const { code, stdout } = await cli(['-f', file]);
    expect(stdout).toContain(`${file}#0 MCPRemoteProxy/r: kind: "MCPRemoteProxy" is not one of: MCPAuthServer, MCPExternalAuthConfig, MCPServer (enum)`);
    expect(code).toBe(1);
  });

  it('exits 2 on a missing file or a YAML syntax error, and still checks the rest', async () => {
    const broken = join(tmp, 'broken.yaml');
    writeFileSync(broken, `${server('good')}\n---\nkind: MCPServer\nspec: {image: [unclosed\n`);
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, server('bad', '  proxyPort: 8080\n'));
    const { code, stdout, stderr } = await cli(['-f', join(tmp, 'does-not-exist.yaml'), broken, bad]);
    expect(stderr).toContain(`${join(tmp, 'does-not-exist.yaml')}: cannot read: ENOENT`);
    expect(stderr).toContain(`${broken}#1: cannot parse:`);
    expect(stdout).toContain(`${bad}#0 MCPServer/bad: spec.proxyPort: 8080 must differ from port 8080 (port-differs-from-proxyPort)`);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack traces
    expect(code).toBe(2);
  });
});
