// hack/kind-e2e.sh and the Dockerfile need Docker and kind, which these machines do not have:
// here they are checked statically (bash syntax, pinned versions, paths that exist, image rules).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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
