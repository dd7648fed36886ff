import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch } from 'undici';
import { LRUCache } from 'lru-cache';
import type { Client } from '../../store/index.ts';
import { validateClientMetadata } from './client-metadata.ts';

/** Internal failure with a stable code; `message` names the rule and is safe to show. */
export class MetadataDocumentError extends Error {
  constructor(
    readonly code: 'not_https' | 'private_address' | 'fetch_failed' | 'too_large' | 'timeout' | 'invalid_document',
    message: string,
  ) {
    super(message);
    this.name = 'MetadataDocumentError';
  }
}

export interface MetadataDocumentOptions {
  allowPrivateAddresses: boolean;
  fetchTimeoutMs: number;
  maxBytes: number;
  cacheTtlMs: number;
  /** Extra CA (PEM) to trust for document hosts; tests only. */
  ca?: string;
}

/** Loopback, private, link-local, CGNAT, benchmarking, unspecified, ULA, site-local, discard, local NAT64 and multicast ranges (SSRF guard). */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['192.0.0.0', 24],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['100::', 64],
  ['64:ff9b:1::', 48],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/** The 8 hextets of an IPv6 address (`::` expanded, a trailing dotted quad converted), or null. */
function ipv6Hextets(address: string): number[] | null {
  let text = address.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return null;
  return [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right].map((h) => parseInt(h, 16));
}

/**
 * The IPv4 address an IPv6 address carries and routes to, if any: IPv4-mapped (::ffff:0:0/96),
 * IPv4-compatible (::/96), NAT64 (64:ff9b::/96, reaches the IPv4 address through DNS64 gateways)
 * and 6to4 (2002::/16). Each must pass the IPv4 checks too.
 */
function embeddedIpv4(address: string): string | null {
  const h = ipv6Hextets(address);
  if (!h || h.some((x) => Number.isNaN(x))) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeroUpTo = (n: number) => h.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(5) && (h[5] === 0xffff || h[5] === 0)) return v4(h[6]!, h[7]!);
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) return v4(h[6]!, h[7]!);
  if (h[0] === 0x2002) return v4(h[1]!, h[2]!);
  return null;
}

/**
 * True for addresses a metadata document fetch must not reach, including IPv6 forms that carry
 * a blocked IPv4 address (mapped, compatible, NAT64, 6to4).
 *
 * @example
 * isPrivateAddress('127.0.0.1') // true
 * isPrivateAddress('93.184.216.34') // false
 */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return true;
  if (BLOCKED.check(address, 'ipv6')) return true;
  const carried = embeddedIpv4(address);
  return carried !== null && BLOCKED.check(carried, 'ipv4');
}

/**
 * Client ID Metadata Documents (spec §7.11): an https URL used as client_id is fetched (https only;
 * the resolved IP, not just the name, must not be private unless allowed; size and time limits;
 * cached), and the document's client_id must equal the URL.
 *
 * @example
 * const docs = createMetadataDocumentResolver({ allowPrivateAddresses: false, fetchTimeoutMs: 5000, maxBytes: 5120, cacheTtlMs: 600000 });
 * const client = await docs.resolve('https://app.example.com/client.json');
 */
export function createMetadataDocumentResolver(options: MetadataDocumentOptions): {
  resolve(clientId: string): Promise<Client>;
  close(): Promise<void>;
} {
  const guardedLookup = (
    hostname: string,
    opts: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      if (!options.allowPrivateAddresses && list.some((a) => isPrivateAddress(a.address))) {
        const e = new Error(`${hostname} resolves to a private or loopback address`) as NodeJS.ErrnoException;
        e.code = 'EPRIVATEADDRESS';
        return callback(e, []);
      }
      if ((opts as { all?: boolean }).all) return callback(null, list);
      const first = list[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
  const agent = new Agent({
    connect: { lookup: guardedLookup as never, ...(options.ca ? { ca: options.ca } : {}) },
    maxRedirections: 0,
  } as ConstructorParameters<typeof Agent>[0]);
  const cache = new LRUCache<string, Client>({ max: 1000, ttl: options.cacheTtlMs });

  const fetchDocument = async (clientId: string): Promise<Client> => {
    let url: URL;
    try {
      url = new URL(clientId);
    } catch {
      throw new MetadataDocumentError('not_https', 'client_id URL is not a valid URL');
    }
    if (url.protocol !== 'https:') throw new MetadataDocumentError('not_https', 'client_id URL must use https');
    if (url.hash || url.username || url.password) throw new MetadataDocumentError('not_https', 'client_id URL must not contain a fragment or credentials');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !options.allowPrivateAddresses && isPrivateAddress(host)) {
      throw new MetadataDocumentError('private_address', 'client_id URL points to a private or loopback address');
    }
    let response;
    const signal = AbortSignal.timeout(options.fetchTimeoutMs);
    try {
      response = await fetch(url, { dispatcher: agent, redirect: 'manual', signal, headers: { accept: 'application/json' } });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code === 'EPRIVATEADDRESS') throw new MetadataDocumentError('private_address', 'client_id URL resolves to a private or loopback address');
      if (signal.aborted) throw new MetadataDocumentError('timeout', `client metadata document not received within ${options.fetchTimeoutMs} ms`);
      throw new MetadataDocumentError('fetch_failed', 'client metadata document could not be fetched');
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new MetadataDocumentError('fetch_failed', `client metadata document fetch returned HTTP ${response.status}`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body ?? []) {
        size += (chunk as Uint8Array).length;
        if (size > options.maxBytes) {
          await response.body?.cancel().catch(() => undefined);
          throw new MetadataDocumentError('too_large', `client metadata document exceeds ${options.maxBytes} bytes`);
        }
        chunks.push(chunk as Uint8Array);
      }
    } catch (err) {
      if (err instanceof MetadataDocumentError) throw err;
      if (signal.aborted) throw new MetadataDocumentError('timeout', `client metadata document not received within ${options.fetchTimeoutMs} ms`);
      throw new MetadataDocumentError('fetch_failed', 'client metadata document could not be read');
    }
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new MetadataDocumentError('invalid_document', 'client metadata document is not valid JSON');
    }
    if (typeof doc !== 'object' || doc === null || (doc as { client_id?: unknown }).client_id !== clientId) {
      throw new MetadataDocumentError('invalid_document', 'client metadata document client_id must equal its URL');
    }
    const checked = validateClientMetadata(doc, false);
    if (!checked.ok) throw new MetadataDocumentError('invalid_document', `client metadata document: ${checked.problem.message}`);
    return { clientId, clientIdIssuedAt: 0, ...checked.value };
  };

  return {
    async resolve(clientId) {
      const cached = cache.get(clientId);
      if (cached) return cached;
      const client = await fetchDocument(clientId);
      cache.set(clientId, client);
      return client;
    },
    close: () => agent.close(),
  };
}
