import { describe, expect, it } from 'vitest';
import { parseListenAddress } from './listen-address.ts';

describe('parseListenAddress', () => {
  it.each([
    [':9443', { host: undefined, port: 9443 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:8443', { host: '::1', port: 8443 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
  ])('%s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  it.each(['9443', 'host', ':65536', ':-1', '::1:9443', 'a b:1', ''])('rejects %j with the rule', (text) => {
    expect(() => parseListenAddress(text)).toThrow(/must be HOST:PORT, :PORT or \[IPv6\]:PORT with a port 0-65535/);
  });
});
