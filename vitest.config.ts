import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/freeze.ts'],
    // Vitest's default is one worker per core but one: a single worker on the two-core machines
    // this runs on. Two files at a time took the suite from 540 s to 406 s there (2026-12-02).
    maxWorkers: 2,
    // A hang guard, not a speed check: with two files at a time the slowest test (co-simulation
    // mutants, its own 600 s limit aside) took 42 s where it takes 28 s alone.
    testTimeout: 120_000,
    pool: 'forks',
  },
});
