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
