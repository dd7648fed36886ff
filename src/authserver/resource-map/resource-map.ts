import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { normalizeResource } from '../../api/v1alpha1/normalize-resource.ts';
import type { Owner } from '../../store/index.ts';

/** One entry of resources.json (spec §4.1 step 7). */
export interface ResourceEntry {
  namespace: string;
  name: string;
  upstreamIdp: string;
}

const dnsLabel = { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$', maxLength: 63 } as const;
const validateFile = new Ajv({ strict: true }).compile({
  type: 'object',
  required: ['version', 'resources'],
  additionalProperties: false,
  properties: {
    version: { type: 'integer' },
    resources: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['namespace', 'name'],
        additionalProperties: false,
        properties: { namespace: dnsLabel, name: dnsLabel, upstreamIdp: dnsLabel },
      },
    },
  },
});

export type ParsedResourceMap = { version: number; entries: Map<string, ResourceEntry> };

/**
 * Parses resources.json. Keys must already be normalized (spec §5.6): a key that normalizes to a
 * different string is rejected so lookups can stay exact-match.
 *
 * @example
 * parseResourceMap('{"version":1,"resources":{"https://h/mcp":{"namespace":"ns","name":"a","upstreamIdp":"okta"}}}', 'okta')
 */
export function parseResourceMap(text: string, defaultIdp: string): ParsedResourceMap {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`);
  }
  if (!validateFile(raw)) {
    const e = validateFile.errors?.[0];
    throw new Error(`${e?.instancePath || '(root)'} ${e?.message ?? 'is invalid'}`);
  }
  const file = raw as { version: number; resources: Record<string, { namespace: string; name: string; upstreamIdp?: string }> };
  const entries = new Map<string, ResourceEntry>();
  for (const [key, value] of Object.entries(file.resources)) {
    const normalized = normalizeResource(key);
    if (!normalized.ok) throw new Error(`resource key ${JSON.stringify(key)} ${normalized.message}`);
    if (normalized.value !== key) throw new Error(`resource key ${JSON.stringify(key)} is not normalized (expected ${normalized.value})`);
    entries.set(key, { namespace: value.namespace, name: value.name, upstreamIdp: value.upstreamIdp ?? defaultIdp });
  }
  return { version: file.version, entries };
}

export interface ResourceMap {
  /** Owner of a normalized resource, or null when unknown. */
  lookup(normalizedResource: string): ResourceEntry | null;
  /** True once a valid file has been loaded. */
  loaded(): boolean;
  version(): number | null;
  size(): number;
  /** Re-reads the file now (tests, and the poll timer). Returns true when the map changed. */
  reload(): Promise<boolean>;
  close(): void;
}

export interface ResourceMapOptions {
  file: string;
  defaultIdp: string;
  pollIntervalMs: number;
  onChange?: (change: { version: number; size: number; removedOwners: Owner[] }) => void;
  onError?: (message: string) => void;
}

/**
 * The resource → MCPServer map file with hot reload [REV b]: polls the file, compares bytes, and
 * keeps the last good map when the file is missing or invalid (kubelet swaps ConfigMap files
 * atomically, but a bad render must not take the server down).
 *
 * @example
 * const map = await watchResourceMap({ file, defaultIdp: 'okta', pollIntervalMs: 5000 });
 * map.lookup('https://tools.example.com/mcp') // {namespace, name, upstreamIdp} | null
 */
export async function watchResourceMap(options: ResourceMapOptions): Promise<ResourceMap> {
  let current: ParsedResourceMap | null = null;
  let lastBytes: string | null = null;
  let lastError: string | null = null;

  const reload = async (): Promise<boolean> => {
    let text: string;
    try {
      text = await readFile(options.file, 'utf8');
    } catch (err) {
      report(`resource map ${options.file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}; keeping the last good map`);
      return false;
    }
    if (text === lastBytes) return false;
    let parsed: ParsedResourceMap;
    try {
      parsed = parseResourceMap(text, options.defaultIdp);
    } catch (err) {
      report(`resource map ${options.file}: ${(err as Error).message}; keeping the last good map`);
      return false;
    }
    lastBytes = text;
    lastError = null;
    const previous = current;
    current = parsed;
    const removedOwners: Owner[] = [];
    if (previous) {
      const stillThere = new Set([...parsed.entries.values()].map((e) => `${e.namespace}/${e.name}`));
      const seen = new Set<string>();
      for (const e of previous.entries.values()) {
        const key = `${e.namespace}/${e.name}`;
        if (!stillThere.has(key) && !seen.has(key)) {
          seen.add(key);
          removedOwners.push({ namespace: e.namespace, name: e.name });
        }
      }
    }
    options.onChange?.({ version: parsed.version, size: parsed.entries.size, removedOwners });
    return true;
  };
  const report = (message: string) => {
    if (message === lastError) return;
    lastError = message;
    options.onError?.(message);
  };

  await reload();
  const timer = setInterval(() => void reload(), options.pollIntervalMs);
  timer.unref();
  return {
    lookup: (resource) => current?.entries.get(resource) ?? null,
    loaded: () => current !== null,
    version: () => current?.version ?? null,
    size: () => current?.entries.size ?? 0,
    reload,
    close: () => clearInterval(timer),
  };
}
