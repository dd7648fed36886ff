/**
 * Bundles the servers for the container image: `npm run build` runs it after `tsc`.
 *
 * Why a bundle and not the tsc output alone: every server is memory-bound by what it loads, not by
 * what it holds. `@kubernetes/client-node` alone is ~70 MB resident when imported as ~1,000 ES
 * modules (every generated model and API client); bundled, the webhook keeps only the informer,
 * KubeConfig and CustomObjectsApi it uses. esbuild tree-shakes, code splitting keeps each CLI
 * command's code in its own chunks (the proxy never loads the auth server), and minified sources
 * are smaller strings for V8 to hold.
 *
 * Entry points: the CLI (what the image runs) and the contexts' public modules (what
 * bench/memory.ts drives in its per-server processes, so the bench measures the same code).
 *
 * Run: `node bin/run-ts.mjs hack/bundle.ts [OUTDIR]` (default dist/bundle). `BUNDLE_NO_MINIFY=1`
 * keeps the output readable, to debug a failure seen only in the bundle.
 */
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Loaded only by `mcp-authserver dev` and tests; they stay ordinary imports from node_modules. */
const DEV_ONLY_PACKAGES = ['oidc-provider', 'tsx', 'playwright-core'];

export const BUNDLE_ENTRY_POINTS: Record<string, string> = {
  'mcp-authserver': 'src/cli/main.ts',
  authserver: 'src/authserver/index.ts',
  store: 'src/store/index.ts',
  telemetry: 'src/telemetry/index.ts',
  proxy: 'src/proxy/index.ts',
  pki: 'src/pki/index.ts',
  webhooks: 'webhooks/index.ts',
};

/** Writes the bundle into `outDir` (emptied first). */
export async function bundle(outDir: string): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: BUNDLE_ENTRY_POINTS,
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    minify: process.env.BUNDLE_NO_MINIFY ? false : true,
    sourcemap: 'linked',
    external: DEV_ONLY_PACKAGES,
    // CommonJS dependencies call require() for Node built-ins; ESM output has no require of its own.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundle(process.argv[2] ?? 'dist/bundle');
}
