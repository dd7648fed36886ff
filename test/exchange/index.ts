// Shared test harness of the internal exchange (imported by test/proxy and bench through this index).
export * from './harness.ts';
