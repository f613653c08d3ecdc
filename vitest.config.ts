import { defineConfig } from 'vitest/config';

// `npm test`: the unit, integration, CLI and browser suites (a few minutes on 2 cores).
// test/slow/ (training and evaluation smoke runs) is `npm run test:slow` (vitest.slow.config.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/slow/**', '**/node_modules/**'],
    environment: 'node',
    // Time limits only catch hangs: they are several times the slowest test on a loaded 2-core
    // machine, so a busy machine never fails a test (no test asserts on speed; see npm run bench).
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Two cores on CI: keep heavy suites (sharp, onnxruntime, Chromium) from starving each other.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
