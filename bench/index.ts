// `npm run bench [-- NAME...]`: runs every benchmark module (or the named ones), prints one table
// and writes it, with a description of the machine, to docs/performance.md.
// Each module (bench/<name>.ts) exports `run(): Promise<BenchRow[]>` and measures its own
// baseline in the same run, so ratios compare like with like on whatever machine runs this.
import { cpus, totalmem, release, platform } from 'node:os';
import { writeFileSync } from 'node:fs';
import type { BenchRow } from './types.ts';

const MODULES = ['token', 'exchange', 'webhook', 'memory'] as const;

function formatNumber(value: number | undefined, digits = 1): string {
  return value === undefined || Number.isNaN(value) ? '' : value.toFixed(digits);
}

export function renderTable(rows: BenchRow[]): string {
  const header = ['path', 'req/s', 'p50 ms', 'p99 ms', 'baseline', 'baseline req/s', 'ratio', 'peak RSS MB', 'target', 'result'];
  const lines = rows.map((r) => [
    r.path,
    formatNumber(r.reqPerSec, 0),
    formatNumber(r.p50Ms, 2),
    formatNumber(r.p99Ms, 2),
    r.baseline?.name ?? '',
    formatNumber(r.baseline?.reqPerSec, 0),
    formatNumber(r.ratio, 2),
    formatNumber(r.peakRssMb, 0),
    r.target,
    r.pass ? 'pass' : 'FAIL',
  ]);
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function describeMachine(): string {
  const cpu = cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- cpu: ${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- os: ${platform()} ${release()}`,
    `- node: ${process.version}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const selected = wanted.length > 0 ? MODULES.filter((m) => wanted.includes(m)) : [...MODULES];
  const unknown = wanted.filter((w) => !(MODULES as readonly string[]).includes(w));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark(s) ${unknown.join(', ')}; choose from ${MODULES.join(', ')}`);
    process.exit(2);
  }
  const rows: BenchRow[] = [];
  for (const name of selected) {
    console.error(`bench: running ${name}...`);
    const mod = (await import(`./${name}.ts`)) as { run: () => Promise<BenchRow[]> };
    rows.push(...(await mod.run()));
  }
  const table = renderTable(rows);
  console.log(table);
  if (wanted.length === 0) {
    const doc = `# Performance\n\nWritten by \`npm run bench\`. Every baseline is measured in the same run on the same machine.\n\n## Machine\n\n${describeMachine()}\n\n## Results\n\n${table}\n`;
    writeFileSync(new URL('../docs/performance.md', import.meta.url), doc);
    console.error('bench: wrote docs/performance.md');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
