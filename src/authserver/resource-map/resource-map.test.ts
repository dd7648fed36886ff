import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResourceMap, watchResourceMap, type ResourceMap } from './resource-map.ts';

const doc = (resources: Record<string, unknown>, version = 1) => JSON.stringify({ version, resources });

describe('parseResourceMap', () => {
  it('maps normalized resources to owners, upstreamIdp defaulting to the first IdP', () => {
    const map = parseResourceMap(doc({ 'https://h/mcp': { namespace: 'ns', name: 'a' }, 'https://g': { namespace: 'ns', name: 'b', upstreamIdp: 'okta' } }), 'corp');
    expect(map.entries.get('https://h/mcp')).toEqual({ namespace: 'ns', name: 'a', upstreamIdp: 'corp' });
    expect(map.entries.get('https://g')).toEqual({ namespace: 'ns', name: 'b', upstreamIdp: 'okta' });
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['missing version', JSON.stringify({ resources: {} }), /must have required property 'version'/],
    ['not normalized key', doc({ 'https://H/mcp/': { namespace: 'ns', name: 'a' } }), /is not normalized \(expected https:\/\/h\/mcp\)/],
    ['key with query', doc({ 'https://h/mcp?x': { namespace: 'ns', name: 'a' } }), /must not contain a query/],
    ['uppercase namespace', doc({ 'https://h': { namespace: 'NS', name: 'a' } }), /namespace/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parseResourceMap(text, 'corp')).toThrow(message);
  });
});

describe('watchResourceMap (hot reload)', () => {
  let map: ResourceMap | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'resmap-'));
  afterEach(() => {
    map?.close();
  });

  it('reloads on change, keeps the last good map on a bad or missing file, reports removed owners', async () => {
    const file = join(dir, 'resources.json');
    writeFileSync(file, doc({ 'https://h/a': { namespace: 'ns', name: 'a' }, 'https://h/b': { namespace: 'ns', name: 'b' } }));
    const onChange = vi.fn();
    const onError = vi.fn();
    map = await watchResourceMap({ file, defaultIdp: 'corp', pollIntervalMs: 60_000, onChange, onError });
    expect(map.loaded()).toBe(true);
    expect(map.lookup('https://h/a')).toMatchObject({ name: 'a' });

    writeFileSync(file, '{ broken');
    expect(await map.reload()).toBe(false);
    expect(map.lookup('https://h/a')).toMatchObject({ name: 'a' });
    expect(onError).toHaveBeenLastCalledWith(expect.stringMatching(/not valid JSON.*keeping the last good map/));

    rmSync(file);
    expect(await map.reload()).toBe(false);
    expect(onError).toHaveBeenLastCalledWith(expect.stringMatching(/cannot read: ENOENT; keeping the last good map/));
    expect(map.size()).toBe(2);

    writeFileSync(file, doc({ 'https://h/b': { namespace: 'ns', name: 'b' } }, 2));
    expect(await map.reload()).toBe(true);
    expect(map.lookup('https://h/a')).toBeNull();
    expect(map.version()).toBe(2);
    expect(onChange).toHaveBeenLastCalledWith({ version: 2, size: 1, removedOwners: [{ namespace: 'ns', name: 'a' }] });
    expect(await map.reload()).toBe(false); // same bytes: no change
  });

  it('a server that starts with a missing file is not loaded (readyz false)', async () => {
    map = await watchResourceMap({ file: join(dir, 'absent.json'), defaultIdp: 'corp', pollIntervalMs: 60_000 });
    expect(map.loaded()).toBe(false);
    expect(map.lookup('https://h/a')).toBeNull();
  });
});
