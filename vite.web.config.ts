// Browser build of the renderer, served by `genprint serve` (and driven by the e2e tests in
// Chromium). Same sources as the Electron renderer; without a preload, src/renderer/src/api-client.ts
// falls back to the HTTP shim.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: resolve(import.meta.dirname, 'src/renderer'),
  base: './',
  plugins: [react()],
  build: {
    outDir: resolve(import.meta.dirname, 'out/web'),
    emptyOutDir: true,
    target: 'chrome120',
    chunkSizeWarningLimit: 1500,
  },
});
