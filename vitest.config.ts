import { defineConfig } from 'vitest/config';

// Two cores on CI machines: two forks, and generous timeouts for tests that start real servers
// (redis-server, oidc-provider, HTTPS listeners). Speed is measured in bench/, never here.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'webhooks/**/*.test.ts', 'test/**/*.test.ts', 'hack/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ['test/setup/reflect-metadata.ts'],
  },
});
