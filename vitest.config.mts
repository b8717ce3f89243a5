import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Unit and integration tests only; Playwright specs live in tests/e2e and tests/electron.
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
