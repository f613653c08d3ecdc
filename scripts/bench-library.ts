// Library fit and open times on synthetic libraries: how long a library change spends fitting the
// classifier, and how long an analysis waits for a fitted library to be ready (docs/architecture.md,
// "Fitting the library classifier"). Prints one table; the numbers depend on the machine and on
// what else runs on it (the load average is printed with them).
//   npx tsx scripts/bench-library.ts [--entries 6,24,100] [--references 64] [--side 64] [--json]
//                                    [--attribute FOLDER] [--banks 0..4]
// --attribute stores the entries' features under the shipped φ's hash and times `genprint attribute`
// of FOLDER against each fitted library from the command line (process start included; issue #16's
// "ten images against a fitted 100-entry library ≤ 5 s"), twice: the second run reads the evidence
// cache. The verdicts mean nothing (synthetic entries); the work is the real one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchLibrary, type LibraryBenchRow } from '../src/engine/index.js';
import { sidecarFiles } from '../src/engine/attributor.js';
import { defaultModelsDir, readModelCard } from '../src/engine/features/set-encoder.js';
import { repoRoot } from '../src/engine/version.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const sizes = option('entries', '6,24,100').split(',').map(Number);
const references = Number(option('references', '64'));
const side = Number(option('side', '64'));
// Reference banks per entry (enrolment's default is all 4): each adds one classifier and calibration to the fit.
const banks = Number(option('banks', '0'));
const attributeFolder = option('attribute', '');
const modelHash = attributeFolder ? readModelCard(defaultModelsDir())?.phi.sha256 : undefined;
if (attributeFolder && !modelHash) throw new Error('--attribute needs the shipped models (models/model-card.json)');

/** Wall seconds of one `genprint attribute` from the command line, process start included. */
function cliAttribute(library: string): number {
  const t = performance.now();
  execFileSync(
    process.execPath,
    [path.join(repoRoot(), 'bin', 'genprint.js'), 'attribute', '-q', '-l', library, path.resolve(attributeFolder), '--json', '-'],
    {
      stdio: 'ignore',
    },
  );
  return (performance.now() - t) / 1000;
}
const attributeSeconds: { entries: number; first: number; second: number }[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'genprint-bench-library-'));
const rows: LibraryBenchRow[] = [];
try {
  for (const entries of sizes) {
    let last = 0;
    const row = await benchLibrary(dir, {
      entries,
      references,
      side,
      modelHash,
      banks,
      onProgress: (p) => {
        if (process.stderr.isTTY || Date.now() - last > 10_000 || p.done === p.total) {
          process.stderr.write(`${entries} entries: ${p.phase} ${p.done}/${p.total}\n`);
          last = Date.now();
        }
      },
    });
    rows.push(row);
    if (attributeFolder) attributeSeconds.push({ entries, first: cliAttribute(row.file), second: cliAttribute(row.file) });
    const file = path.join(dir, `synthetic-${entries}x${references}.gplib`);
    for (const f of [file, ...sidecarFiles(file)]) rmSync(f, { force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else {
  const cpus = os.cpus();
  process.stdout.write(
    `library fit and open, synthetic entries × ${references} references (${side} px), ${banks} reference banks, ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ` +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}\n\n`,
  );
  const f = (x: number) => x.toFixed(2);
  process.stdout.write(
    '| entries | file MiB | fit (library fit) s | fit CPU s | of which regressions s (views) | iterations φ/spectrum/pixels | open s | ready s | error rates at 1/10/50 s | classifier from | fits while ready |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|---|---|---|---|---|\n');
  for (const r of rows)
    process.stdout.write(
      `| ${r.entries} | ${r.fileMiB.toFixed(1)} | ${f(r.fitSeconds)} | ${f(r.fitCpuSeconds)} | ${r.fit.fitted.map((v) => `${f(v.seconds)} (${v.view})`).join(' + ')} | ` +
        `${['phi', 'spectrum', 'pixels'].map((b) => r.iterations[b] ?? '–').join('/')} | ${f(r.openSeconds)} | ${f(r.readySeconds)} | ${f(r.errorRateSeconds)} | ${r.origin} | ${r.fitsWhileReady} |\n`,
    );
}
if (attributeSeconds.length)
  process.stdout.write(
    `\ngenprint attribute ${attributeFolder} against the fitted library, from the command line (process start included):\n` +
      attributeSeconds.map((a) => `  ${a.entries} entries: ${a.first.toFixed(2)} s, again (evidence cached) ${a.second.toFixed(2)} s\n`).join(''),
  );
