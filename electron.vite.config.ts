// electron-vite builds three bundles: main (with the engine's utility-process entry as a second
// input), the sandboxed preload (CommonJS, which sandboxed preloads require), and the renderer.
// Native and heavy dependencies stay external and ship unpacked (electron-builder.yml asarUnpack).
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

const NATIVE = ['sharp', 'onnxruntime-node', 'sql.js'];

export default defineConfig({
  main: {
    build: {
      externalizeDeps: { include: NATIVE },
      rolldownOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/index.ts'),
          utility: resolve(import.meta.dirname, 'src/main/utility/index.ts'),
        },
        external: NATIVE,
      },
    },
  },
  preload: {
    build: {
      rolldownOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    plugins: [react()],
    build: {
      rolldownOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } },
    },
  },
});
