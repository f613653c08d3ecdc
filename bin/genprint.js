#!/usr/bin/env node
// Launcher. It runs the bundled CLI (out/cli/genprint.mjs, built by `npm run build:cli` and at
// `npm install`) when that bundle is newer than every source file, and otherwise the TypeScript
// sources through tsx, so an edited checkout never runs stale code. The bundle halves start-up CPU
// time (no TypeScript compilation per run; docs/performance.md).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bundle = path.join(root, 'out', 'cli', 'genprint.mjs');

/** Newest modification time under src/ (a few hundred stat calls: a few milliseconds). */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

let entry;
if (process.env.GENPRINT_FROM_SOURCE !== '1' && existsSync(bundle) && statSync(bundle).mtimeMs > newestSource(path.join(root, 'src'))) {
  entry = pathToFileURL(bundle).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = '../src/cli/index.ts';
}
if (process.env.GENPRINT_DEBUG) process.stderr.write(`genprint: running ${entry === '../src/cli/index.ts' ? 'the sources through tsx' : 'the bundle'}\n`);
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
