import { readFile } from 'node:fs/promises';
import { bundle } from '../../hack/bundle.ts';

/** Where the benchmarks keep the bundle the container image runs (hack/bundle.ts). */
export const BENCH_BUILD_DIR = new URL('../.build/', import.meta.url).pathname;

let built: Promise<void> | undefined;

/**
 * Writes the image's bundle into BENCH_BUILD_DIR, once per process: `npm run bench` runs the
 * webhook and memory benchmarks in one process and both run the bundled servers.
 */
export function ensureBenchBundle(): Promise<void> {
  built ??= bundle(BENCH_BUILD_DIR);
  return built;
}

/**
 * The node options the container image runs every component with (the Dockerfile's
 * `ENV NODE_OPTIONS="..."`, read from there so the benchmarks cannot drift from it), or
 * `BENCH_NODE_FLAGS` when set (to try other heap settings).
 */
export async function imageNodeOptions(): Promise<string[]> {
  if (process.env.BENCH_NODE_FLAGS !== undefined) return process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean);
  const dockerfile = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const value = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile)?.[1];
  if (value === undefined) throw new Error('bench: the Dockerfile has no ENV NODE_OPTIONS="..." line to run the servers as the image does');
  return value.split(' ').filter(Boolean);
}
