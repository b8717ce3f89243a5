import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Unit and integration tests only; Playwright specs live in tests/e2e and tests/electron.
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    // A guard against a hang, not a time limit: real pwsh on a loaded 2-core machine can take minutes.
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
