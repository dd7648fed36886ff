// `npm run gen`: writes crds/*.yaml from the one API definition in src/api/v1alpha1, and removes
// stale generated files. `crds/` is never edited by hand.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from '../src/api/v1alpha1/render-crds.ts';

const dir = fileURLToPath(new URL('../crds/', import.meta.url));
mkdirSync(dir, { recursive: true });
const files = renderCrdFiles();
for (const existing of readdirSync(dir)) {
  if (existing.endsWith('.yaml') && !(existing in files)) rmSync(join(dir, existing));
}
for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
console.log(`wrote ${Object.keys(files).length} files to crds/`);
