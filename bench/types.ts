/** One row of the benchmark table (bench/index.ts). Every baseline is measured in the same run. */
export interface BenchRow {
  path: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  baseline?: { name: string; reqPerSec: number };
  ratio?: number;
  target: string;
  pass: boolean;
  peakRssMb?: number;
}
