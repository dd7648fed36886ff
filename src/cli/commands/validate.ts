// `mcp-authserver validate -f FILE|DIR|-`: checks YAML/JSON manifests (multi-document; directories
// recursively, .yaml/.yml/.json) against the API of src/api/v1alpha1, plus the cross-object checks
// a whole set allows. One line per problem: `FILE#DOC Kind/name: path: message (rule)`.
// Exit 0 when clean, 1 on any problem, 2 when some input cannot be read or parsed.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';

export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_UNREADABLE = 2;

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

interface Doc {
  /** `FILE#DOCINDEX`, plus `.items[i]` inside a List. */
  where: string;
  object: unknown;
}

export interface ValidateManifestsOptions {
  featureGates?: { MultiUpstreamIdp?: boolean };
  /** Reads standard input for `-`. */
  readStdin?: () => string;
}

export interface ValidateManifestsResult {
  exitCode: number;
  /** Problem and skip lines, in input order. */
  lines: string[];
  /** Unreadable-input lines (stderr). */
  failures: string[];
  summary: string;
}

export function defineValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('validate MCPAuthServer, MCPExternalAuthConfig and MCPServer manifests (files, directories or - for stdin)')
    .requiredOption('-f, --filename <path...>', 'manifest file, directory (recursive) or - for standard input')
    .option('--feature-gates <gates>', 'operator feature gates, e.g. MultiUpstreamIdp=true', '')
    .action(async (opts: { filename: string[]; featureGates: string }) => {
      const result = await validateManifests(opts.filename, {
        featureGates: parseFeatureGates(opts.featureGates),
        readStdin: () => readFileSync(0, 'utf8'),
      });
      for (const line of result.lines) console.log(line);
      for (const line of result.failures) console.error(line);
      console.error(result.summary);
      process.exitCode = result.exitCode;
    });
}

/** `MultiUpstreamIdp=true,Other=false` → `{ MultiUpstreamIdp: true }`; unknown gates are an error. */
export function parseFeatureGates(text: string): { MultiUpstreamIdp?: boolean } {
  const gates: { MultiUpstreamIdp?: boolean } = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([A-Za-z]+)=(true|false)$/.exec(part);
    if (!match || match[1] !== 'MultiUpstreamIdp') throw new Error(`--feature-gates: "${part}" is not MultiUpstreamIdp=true|false`);
    gates.MultiUpstreamIdp = match[2] === 'true';
  }
  return gates;
}

/** Reads, validates and cross-checks every manifest of `paths`. */
export async function validateManifests(paths: string[], options: ValidateManifestsOptions = {}): Promise<ValidateManifestsResult> {
  const api = await import('../../api/v1alpha1/index.ts');
  const { parseAllDocuments } = await import('../lib/yaml.ts');
  const failures: string[] = [];
  const docs: Doc[] = [];

  for (const file of paths.flatMap((p) => expand(p, failures))) {
    let text: string;
    try {
      text = file === '-' ? (options.readStdin ?? (() => readFileSync(0, 'utf8')))() : readFileSync(file, 'utf8');
    } catch (err) {
      failures.push(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    parseAllDocuments(text).forEach((doc, index) => {
      const where = `${file}#${index}`;
      if (doc.errors.length > 0) {
        failures.push(`${where}: cannot parse: ${doc.errors[0]?.message.split('\n')[0]}`);
        return;
      }
      const object: unknown = doc.toJS();
      if (object === null || object === undefined) return; // empty document (comments only, trailing ---)
      const record = object as { kind?: unknown; items?: unknown };
      if (typeof record === 'object' && typeof record.kind === 'string' && record.kind.endsWith('List') && Array.isArray(record.items)) {
        record.items.forEach((item, i) => docs.push({ where: `${where}.items[${i}]`, object: item }));
      } else docs.push({ where, object });
    });
  }

  const lines: string[] = [];
  let problems = 0;
  let checked = 0;
  let skipped = 0;
  const ours = docs.map((d) => isOurs(d.object, api.GROUP, api.isKindName));
  const cross = api.crossValidate(docs.map((d, i) => (ours[i] ? d.object : null)));
  docs.forEach((doc, i) => {
    const label = `${doc.where} ${describe(doc.object)}`;
    if (!ours[i]) {
      skipped++;
      lines.push(`${label}: skipped (not a ${api.GROUP} kind)`);
      return;
    }
    checked++;
    const { errors, warnings } = api.validate(doc.object, { featureGates: options.featureGates });
    const all = [...errors, ...cross.filter((c) => c.index === i)];
    for (const e of all) lines.push(`${label}: ${api.formatFieldError(e)}`);
    for (const w of warnings) lines.push(`${label}: warning: ${w}`);
    problems += all.length;
  });

  const exitCode = failures.length > 0 ? EXIT_UNREADABLE : problems > 0 ? EXIT_PROBLEMS : EXIT_OK;
  const summary = `${checked} object(s) checked, ${problems} problem(s), ${skipped} skipped, ${failures.length} unreadable`;
  return { exitCode, lines, failures, summary };
}

function expand(path: string, failures: string[]): string[] {
  if (path === '-') return ['-'];
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    failures.push(`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return [];
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return expand(child, failures);
      return MANIFEST_EXTENSIONS.test(entry.name) ? [child] : [];
    });
}

function isOurs(object: unknown, group: string, isKindName: (k: unknown) => boolean): boolean {
  if (object === null || typeof object !== 'object') return false;
  const { kind, apiVersion } = object as { kind?: unknown; apiVersion?: unknown };
  return isKindName(kind) || (typeof apiVersion === 'string' && apiVersion.startsWith(`${group}/`));
}

function describe(object: unknown): string {
  const o = (object ?? {}) as { kind?: unknown; metadata?: { name?: unknown } };
  const kind = typeof o.kind === 'string' ? o.kind : '(no kind)';
  const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '(no name)';
  return `${kind}/${name}`;
}
