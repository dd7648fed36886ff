import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSpiffeId, SpiffeError, type SpiffeErrorCode } from './index.ts';

function codeOf(id: string): SpiffeErrorCode | 'ok' {
  try {
    parseSpiffeId(id);
    return 'ok';
  } catch (err) {
    if (err instanceof SpiffeError) return err.code;
    throw err;
  }
}

describe('parseSpiffeId', () => {
  it('parses a valid MCPServer id', () => {
    expect(parseSpiffeId('spiffe://cluster.local/ns/tools/mcpserver/github.v2')).toEqual({
      id: 'spiffe://cluster.local/ns/tools/mcpserver/github.v2',
      trustDomain: 'cluster.local',
      namespace: 'tools',
      name: 'github.v2',
    });
  });

  // Every SPIFFE form of spec §6.2 (internal endpoint), with the reason it is refused.
  const long = 'a'.repeat(64);
  it.each<[string, SpiffeErrorCode]>([
    ['https://td/ns/a/mcpserver/b', 'not_spiffe'],
    ['SPIFFE://td/ns/a/mcpserver/b', 'not_spiffe'],
    ['spiffe://TD/ns/a/mcpserver/b', 'bad_trust_domain'],
    ['spiffe://Td.local/ns/a/mcpserver/b', 'bad_trust_domain'],
    ['spiffe://td_x/ns/a/mcpserver/b', 'bad_trust_domain'],
    ['spiffe:///ns/a/mcpserver/b', 'bad_trust_domain'],
    ['spiffe://td:8443/ns/a/mcpserver/b', 'has_port'],
    ['spiffe://user@td/ns/a/mcpserver/b', 'has_userinfo'],
    ['spiffe://td/ns/a/mcpserver/b?x=1', 'has_query'],
    ['spiffe://td/ns/a/mcpserver/b#frag', 'has_fragment'],
    ['spiffe://td', 'bad_path'],
    ['spiffe://td/', 'bad_path'],
    ['spiffe://td/ns/a/mcpserver', 'bad_path'],
    ['spiffe://td/ns/a/mcpserver/b/c', 'bad_path'],
    ['spiffe://td/namespace/a/mcpserver/b', 'bad_path'],
    ['spiffe://td/ns/a/vmcp/b', 'bad_path'],
    ['spiffe://td/ns//mcpserver/b', 'bad_segment'],
    ['spiffe://td/ns/a/mcpserver/b/', 'bad_segment'],
    ['spiffe://td/ns/a%2Fx/mcpserver/b', 'bad_segment'],
    ['spiffe://td/ns/../mcpserver/b', 'bad_segment'],
    ['spiffe://td/ns/./mcpserver/b', 'bad_segment'],
    ['spiffe://td/ns/a/mcpserver/B', 'bad_name'],
    ['spiffe://td/ns/a/mcpserver/' + long, 'bad_name'],
    ['spiffe://td/ns/a/mcpserver/-b', 'bad_name'],
    ['spiffe://td/ns/A/mcpserver/b', 'bad_namespace'],
    ['spiffe://td/ns/a.b/mcpserver/b', 'bad_namespace'],
    ['spiffe://td/ns/' + long + '/mcpserver/b', 'bad_namespace'],
    ['spiffe://td/ns/a/mcpserver/' + 'x'.repeat(2100), 'too_long'],
  ])('rejects %s (%s)', (id, code) => {
    expect(codeOf(id)).toBe(code);
  });

  it('accepts 63-character names and namespaces', () => {
    const n63 = 'a'.repeat(63);
    expect(codeOf(`spiffe://td/ns/${n63}/mcpserver/${n63}`)).toBe('ok');
  });

  const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  const trustDomain = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,40}[a-z0-9])?$/);

  it('property: every valid id round-trips to its parts', () => {
    fc.assert(
      fc.property(trustDomain, label, label, (td, ns, name) => {
        const id = `spiffe://${td}/ns/${ns}/mcpserver/${name}`;
        expect(parseSpiffeId(id)).toEqual({ id, trustDomain: td, namespace: ns, name });
      }),
    );
  });

  it('property: an injected bad segment anywhere in the path is rejected', () => {
    const bad = fc.constantFrom('', '.', '..', '%2F', 'a%2e', 'a b', 'A');
    fc.assert(
      fc.property(trustDomain, label, label, bad, fc.integer({ min: 0, max: 3 }), (td, ns, name, b, at) => {
        const segments = ['ns', ns, 'mcpserver', name];
        segments[at] = b;
        expect(codeOf(`spiffe://${td}/${segments.join('/')}`)).not.toBe('ok');
      }),
    );
  });

  it('property: arbitrary strings never crash the parser, only SpiffeError', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const code = codeOf(`spiffe://${s}`);
        if (code === 'ok') expect(parseSpiffeId(`spiffe://${s}`).id).toBe(`spiffe://${s}`);
      }),
    );
  });
});
