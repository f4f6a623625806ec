import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Tests that start CLI processes take seconds each on two cores; a loaded machine can triple that.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Most files wait on child processes and databases, so two files at a time fit two cores: CI 10.5 min instead of 13.7.
    maxWorkers: 2,
  },
});
