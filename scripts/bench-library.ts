// Library fit and open times on synthetic libraries: how long a library change spends fitting the
// classifier, and how long an analysis waits for a fitted library to be ready (docs/architecture.md,
// "Fitting the library classifier"). Prints one table; the numbers depend on the machine and on
// what else runs on it (the load average is printed with them).
//   npx tsx scripts/bench-library.ts [--entries 6,24,100] [--references 64] [--side 64] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchLibrary, type LibraryBenchRow } from '../src/engine/index.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const sizes = option('entries', '6,24,100').split(',').map(Number);
const references = Number(option('references', '64'));
const side = Number(option('side', '64'));
const dir = mkdtempSync(path.join(os.tmpdir(), 'genprint-bench-library-'));
const rows: LibraryBenchRow[] = [];
try {
  for (const entries of sizes) {
    let last = 0;
    const row = await benchLibrary(dir, {
      entries,
      references,
      side,
      onProgress: (p) => {
        if (process.stderr.isTTY || Date.now() - last > 10_000 || p.done === p.total) {
          process.stderr.write(`${entries} entries: ${p.phase} ${p.done}/${p.total}\n`);
          last = Date.now();
        }
      },
    });
    rows.push(row);
    rmSync(path.join(dir, `synthetic-${entries}x${references}.gplib`), { force: true });
    rmSync(path.join(dir, `synthetic-${entries}x${references}.gplib.feature-cache`), { force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else {
  const cpus = os.cpus();
  process.stdout.write(
    `library fit and open, synthetic entries × ${references} references (${side} px), ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ` +
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
