// `npm run gen` (second step): writes docs/reference.md from the API definition.
import { writeFileSync } from 'node:fs';
import { renderReference } from './render-reference.ts';

writeFileSync(new URL('../docs/reference.md', import.meta.url), renderReference());
console.log('wrote docs/reference.md');
