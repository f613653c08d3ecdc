import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores on CI: keep heavy suites (sharp, onnxruntime, Chromium) from starving each other.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
