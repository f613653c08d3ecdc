import { defineConfig } from 'vitest/config';

// `npm run test:slow`: training (`npm run train -- --quick`, both pipelines) and the evaluation
// harness end to end (`genprint eval --quick`). Minutes each, so they are kept out of `npm test`;
// CI runs both suites (.ci/run).
export default defineConfig({
  test: {
    include: ['test/slow/**/*.test.ts'],
    environment: 'node',
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
    maxWorkers: 2,
    fileParallelism: true,
  },
});
