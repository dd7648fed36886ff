import { Histogram, Registry } from 'prom-client';

export type AdmissionOutcome = 'allowed' | 'patched' | 'denied' | 'errored' | 'rejected';

export interface AdmissionMetrics {
  registry: Registry;
  observe(plugin: string, outcome: AdmissionOutcome, seconds: number): void;
}

/**
 * `admission_duration_seconds{plugin,outcome}`: time from the end of the request body to the
 * response, per plugin; `rejected` = the review could not be decoded. Buckets from 0.25 ms: the
 * target is p99 ≤ 2 ms and the apiserver gives up at `timeoutSeconds` (5 s).
 *
 * @example
 * const metrics = createAdmissionMetrics();
 * metrics.observe('pod-inject', 'patched', 0.0008);
 * await metrics.registry.metrics();
 */
export function createAdmissionMetrics(registry: Registry = new Registry()): AdmissionMetrics {
  const existing = registry.getSingleMetric('admission_duration_seconds');
  const histogram =
    (existing as Histogram<'plugin' | 'outcome'> | undefined) ??
    new Histogram({
      name: 'admission_duration_seconds',
      help: 'Time to answer an AdmissionReview, by webhook plugin and outcome',
      labelNames: ['plugin', 'outcome'] as const,
      buckets: [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  return {
    registry,
    observe(plugin, outcome, seconds) {
      histogram.observe({ plugin, outcome }, seconds);
    },
  };
}
