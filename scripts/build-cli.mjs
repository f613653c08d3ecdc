// Bundles the CLI (src/cli/index.ts and the engine it imports) into out/cli/genprint.mjs with esbuild,
// so `genprint` starts without compiling TypeScript through tsx on every run (see bin/genprint.js and
// docs/performance.md). npm packages stay external: they load from node_modules exactly as before.
// Runs at `npm install` (prepare) and on demand (`npm run build:cli`). A failure never fails the
// install: the launcher then keeps running the sources through tsx.
import { build } from 'esbuild';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// GENPRINT_CLI_OUT: another output folder (the launcher test builds into a temporary one).
const outDir = process.env.GENPRINT_CLI_OUT ?? path.join(root, 'out', 'cli');
const tmpDir = path.join(outDir, `.tmp-${process.pid}`);
try {
  mkdirSync(tmpDir, { recursive: true });
  await build({
    entryPoints: [path.join(root, 'src', 'cli', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: path.join(tmpDir, 'genprint.mjs'),
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // Renamed into place (map first) so a CLI starting meanwhile never imports a half-written bundle.
  renameSync(path.join(tmpDir, 'genprint.mjs.map'), path.join(outDir, 'genprint.mjs.map'));
  renameSync(path.join(tmpDir, 'genprint.mjs'), path.join(outDir, 'genprint.mjs'));
  console.log(`genprint: CLI bundled into ${path.relative(root, outDir)}/genprint.mjs`);
} catch (err) {
  console.warn(`genprint: could not bundle the CLI (${err?.message ?? err}); bin/genprint.js runs the sources through tsx instead`);
} finally {
  rmSync(tmpDir, { recursive: true, force: true });
}
