import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReference } from './render-reference.ts';

describe('docs/reference.md', () => {
  it('is what `npm run gen` writes from the API definition (regenerate after changing src/api)', () => {
    expect(readFileSync(new URL('../docs/reference.md', import.meta.url), 'utf8')).toBe(renderReference());
  });

  it('documents every kind, required fields, defaults and cross-field rules', () => {
    const doc = renderReference();
    for (const kind of ['MCPAuthServer', 'MCPExternalAuthConfig', 'MCPServer']) expect(doc).toContain(`## ${kind}`);
    expect(doc).toMatch(/\| `issuer` \| string \| yes \|/);
    expect(doc).toMatch(/\| `internalPort` \| integer \| {2}\| `9443` \|/);
    expect(doc).toContain('replicas-need-redis');
  });
});
