// The library classifier fitted with and without preconditioning (softmax-regression.ts), on a
// synthetic library: CPU time per regression, stacking weights, held-out accuracy, bag exponent,
// and how far the held-back error rates and bag posteriors move. The numbers behind "Effect on
// results" in docs/performance.md, *Library fit*. Slow at 100 entries (the plain fit is most of it).
//   npx tsx scripts/compare-fit-precondition.ts [--entries 24] [--references 64]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FingerprintLibrary } from '../src/engine/library/index.js';
import { writeSyntheticLibrary } from '../src/engine/library-bench.js';
import { libraryClassifierPlans } from '../src/engine/library-ops.js';
import { fitFusedClassifier, predictFusedLogProba, type FusedClassifier } from '../src/engine/classifier/fused.js';
import { libraryErrorRates } from '../src/engine/classifier/held-back-error.js';
import { bagTemperature } from '../src/engine/classifier/bag-temperature.js';
import { logSoftmaxInPlace } from '../src/engine/classifier/softmax-regression.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const entries = Number(option('entries', '24'));
const references = Number(option('references', '64'));
const dir = mkdtempSync(path.join(os.tmpdir(), 'genprint-fit-precondition-'));
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};
try {
  const file = path.join(dir, 'synthetic.gplib');
  await writeSyntheticLibrary(file, { entries, references, side: 64 });
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  const all = lib.getAllEntries();
  lib.close();
  const plan = libraryClassifierPlans(all).plans[0];
  const { blocks, labels } = plan.build();
  const classes = plan.classes;
  console.log(
    `${entries} entries × ${references} references, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const fits: Record<string, FusedClassifier> = {};
  for (const mode of ['auto', 'plain'] as const) {
    const start = process.cpuUsage();
    let last = process.cpuUsage();
    const per: string[] = [];
    fits[mode] = await fitFusedClassifier(blocks, labels, classes, {
      precondition: mode === 'plain' ? false : 'auto',
      onProgress: (p) => {
        if (p.done === 0) return;
        per.push(cpuSeconds(last).toFixed(1));
        last = process.cpuUsage();
      },
    });
    const f = fits[mode];
    console.log(
      `${mode}: CPU ${cpuSeconds(start).toFixed(1)} s (per regression ${per.join(' ')}), iterations ${f.blocks.map((b) => b.model.iterations).join('/')}, ` +
        `weights ${f.blocks.map((b) => b.weight.toFixed(4)).join('/')}, held-out accuracy ${f.heldOutAccuracy?.toFixed(4)}, bag exponent ${f.bagTemperature?.exponent.toFixed(4)}`,
    );
  }
  for (const n of [1, 5, 10]) {
    const a = libraryErrorRates(fits.plain, n)!;
    const b = libraryErrorRates(fits.auto, n)!;
    let max = 0;
    let sum = 0;
    a.forEach((e, k) => {
      const d = Math.abs(e.errorRate - b[k].errorRate);
      max = Math.max(max, d);
      sum += d;
    });
    const mean = (r: typeof a) => (r.reduce((s, e) => s + e.errorRate, 0) / r.length).toFixed(4);
    console.log(`error rates at ${n}: mean plain ${mean(a)}, preconditioned ${mean(b)}; |Δ| max ${max.toFixed(4)}, mean ${(sum / a.length).toFixed(4)}`);
  }
  // Verdict probabilities: bags of the first 1, 2 and 5 images of each entry, tempered as verdicts are.
  for (const size of [1, 2, 5]) {
    let maxDp = 0;
    for (let k = 0; k < classes.length; k++) {
      const idx = [...labels.keys()].filter((i) => labels[i] === k).slice(0, size);
      const posterior = (f: FusedClassifier) => {
        const sum = new Float64Array(classes.length);
        for (const i of idx)
          predictFusedLogProba(
            f,
            blocks.map((b) => b.data.subarray(i * b.dim, (i + 1) * b.dim)),
          ).forEach((v, j) => (sum[j] += v));
        const tau = f.bagTemperature ? bagTemperature(f.bagTemperature.exponent, idx.length) : 1;
        return logSoftmaxInPlace(sum.map((v) => v / tau)).map(Math.exp);
      };
      const pa = posterior(fits.plain);
      const pb = posterior(fits.auto);
      pa.forEach((v, j) => (maxDp = Math.max(maxDp, Math.abs(v - pb[j]))));
    }
    console.log(`bag posteriors of ${size} enrolment image(s) per entry: max |Δp| ${maxDp.toFixed(4)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
