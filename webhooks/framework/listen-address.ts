/**
 * Parses a listen address: `:9443` (all interfaces), `127.0.0.1:9443`, `[::1]:9443`,
 * `localhost:0` (port 0 = any free port). Throws with a message naming the rule.
 *
 * @example
 * parseListenAddress(':9443') // {host: undefined, port: 9443}
 * parseListenAddress('[::1]:0') // {host: '::1', port: 0}
 */
export function parseListenAddress(text: string): { host: string | undefined; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !(port >= 0 && port <= 65535)) {
    throw new Error(`listen address "${text}" must be HOST:PORT, :PORT or [IPv6]:PORT with a port 0-65535`);
  }
  const host = match[1] ?? match[2];
  return { host: host === '' ? undefined : host, port };
}
