// hack/kind-e2e.sh and the Dockerfile need Docker and kind, which these machines do not have:
// here they are checked statically (bash syntax, pinned versions, paths that exist, image rules).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, BUNDLE_ENTRY_POINTS } from '../../hack/bundle.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

describe('hack/kind-e2e.sh', () => {
  const script = read('hack/kind-e2e.sh');

  it('is valid bash (bash -n) with strict mode', () => {
    expect(() => execFileSync('bash', ['-n', join(ROOT, 'hack/kind-e2e.sh')])).not.toThrow();
    expect(script).toMatch(/^set -euo pipefail$/m);
  });

  it('pins cert-manager and installs it from the release manifest', () => {
    expect(script).toMatch(/^CERT_MANAGER_VERSION="\$\{CERT_MANAGER_VERSION:-v\d+\.\d+\.\d+\}"$/m);
    expect(script).toContain('https://github.com/cert-manager/cert-manager/releases/download/${CERT_MANAGER_VERSION}/cert-manager.yaml');
  });

  it('uses paths that exist in the repository', () => {
    for (const p of script.matchAll(/\$ROOT\/([A-Za-z0-9_./-]+)/g)) {
      expect(existsSync(join(ROOT, p[1]!)), p[1]).toBe(true);
    }
    expect(script).toContain('config/overlays/dev');
    expect(script).toContain('config/samples');
  });

  it('waits for the sample auto-CA MCPAuthServer that config/samples defines', () => {
    const samples = read('config/samples/toolhive.stacklok.dev_v1alpha1_mcpauthserver.yaml');
    const name = /^AS_NAME=(\S+)$/m.exec(script)![1]!;
    expect(samples).toContain(`name: ${name}`);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => m[1]);

  it('is multi-stage: npm ci + npm run build, then a Node 22 distroless runtime', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/^node:22/);
    expect(stages[1]).toMatch(/nodejs22/);
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('runs as a non-root user and starts bin/mcp-authserver.mjs', () => {
    const user = /^USER\s+(\S+)/m.exec(dockerfile)?.[1];
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \[.*"bin\/mcp-authserver\.mjs"\]$/m);
  });

  it('builds the bundle and ships it as the image entry point', () => {
    expect(read('package.json')).toContain('hack/bundle.ts');
    expect(dockerfile).toMatch(/^COPY hack\/bundle\.ts /m);
    expect(dockerfile).toContain('COPY --from=build /src/dist/bundle ./dist/bundle');
    expect(read('bin/mcp-authserver.mjs')).toContain('../dist/bundle/mcp-authserver.mjs');
  });

  it('sets NODE_OPTIONS that node accepts there (bench/memory.ts runs every server with them)', () => {
    const nodeOptions = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile)?.[1];
    expect(nodeOptions).toMatch(/--max-semi-space-size=\d+/);
    // Node refuses, with exit code 9, an option that is not allowed in NODE_OPTIONS.
    const run = spawnSync(process.execPath, ['-e', '0'], { env: { ...process.env, NODE_OPTIONS: nodeOptions }, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('bench/lib/memory-child.mjs (the bundle without the CLI) sets the heap growth flag that serve sets', async () => {
    const { HEAP_GROWTH_FLAG } = await import('../../src/cli/lib/heap-growth.ts');
    expect(read('bench/lib/memory-child.mjs')).toContain(`setFlagsFromString('${HEAP_GROWTH_FLAG}')`);
    expect(read('src/cli/commands/serve.ts')).toMatch(/limitHeapGrowth\(\);\n\s*running = startServe/);
  });

  it('copies only files that exist and that .dockerignore does not exclude', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(/\s+/)) {
        expect(existsSync(join(ROOT, src)), src).toBe(true);
        expect(ignored, src).not.toContain(src);
      }
    }
    // The build reads the TypeScript build config it names.
    expect(read('package.json')).toContain('tsconfig.build.json');
  });
});

describe('hack/bundle.ts (what the image runs)', () => {
  let out: string;
  beforeAll(async () => {
    // Inside the checkout, as in the image: `version` reads the package.json above the bundle.
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    out = mkdtempSync(join(ROOT, 'dist', 'bundle-test-'));
    await bundle(out);
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes one module per entry point', () => {
    const files = readdirSync(out);
    for (const name of Object.keys(BUNDLE_ENTRY_POINTS)) expect(files).toContain(`${name}.mjs`);
  });

  it('runs the CLI from the bundle: version, and validate with the compiled schemas', () => {
    const cli = join(out, 'mcp-authserver.mjs');
    expect(execFileSync(process.execPath, [cli, 'version'], { encoding: 'utf8' })).toMatch(/^mcp-authserver \d+\.\d+\.\d+/);
    // A valid sample passes (exit 0); an invalid fixture fails with its path and rule (exit 1).
    execFileSync(process.execPath, [cli, 'validate', '-f', join(ROOT, 'config/samples')], { encoding: 'utf8' });
    let failure: { status: number; stdout: string } | undefined;
    try {
      execFileSync(process.execPath, [cli, 'validate', '-f', join(ROOT, 'test/fixtures/invalid')], { encoding: 'utf8' });
    } catch (err) {
      failure = err as { status: number; stdout: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stdout).toMatch(/spec\.\S+: .+ \(\S+\)/);
  });
});
