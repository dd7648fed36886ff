#!/usr/bin/env node
// The package binary. In a checkout (sources present) it runs the TypeScript sources through tsx,
// so an old `npm run build` can never shadow a source change; the container image ships only the
// bundle that `npm run build` writes (dist/bundle, see hack/bundle.ts) and runs that.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const sources = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(sources).href);
} else {
  await import(new URL('../dist/bundle/mcp-authserver.mjs', import.meta.url).href);
}
