// `npm run fuzz [-- --iterations N] [--seed S]`: the ingest fuzzer of test/fuzz.test.ts, run longer.
// Prints a summary per batch; inputs that crash or hang the ingest child are written to
// test/fixtures/fuzz/ (keep them: the test suite replays that folder). Exit 1 when any was found.
// Without --seed a new seed is drawn and printed, so every run explores new inputs and any finding
// can be reproduced with `--seed`.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FUZZ_FORMATS } from '../test/fuzz/mutate.js';
import { FUZZ_FIXTURES, runFuzz, type FuzzReport } from '../test/fuzz/run.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '20000' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('usage: npm run fuzz -- [--iterations N (default 20000)] [--seed S (default: a new one)]\n');
  process.exit(0);
}
const iterations = Number(values.iterations);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(iterations) || iterations <= 0 || !Number.isInteger(seed) || seed < 0) {
  process.stderr.write('fuzz: --iterations and --seed must be non-negative integers\n');
  process.exit(2);
}

const line = (r: FuzzReport, done: number) =>
  `${done}/${iterations}: ` +
  FUZZ_FORMATS.map((f) => `${f} ${r.byFormat[f].analysed}+${r.byFormat[f].skipped}`).join(', ') +
  ` (analysed+skipped) · ${r.decodedWithWarnings} with decoder warnings · ${r.failures.length} crashes/hangs`;

const work = mkdtempSync(path.join(os.tmpdir(), 'genprint-fuzz-'));
process.stdout.write(`fuzzing ingest: ${iterations} inputs, seed ${seed} (rerun with --seed ${seed})\n`);
const started = Date.now();
try {
  const report = await runFuzz({
    seed,
    iterations,
    workDir: work,
    keepFailuresIn: FUZZ_FIXTURES,
    onBatch: (done, r) => process.stdout.write(`${line(r, done)}\n`),
  });
  process.stdout.write(`skip reasons: ${JSON.stringify(report.reasons)}\n`);
  process.stdout.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const f of report.failures)
    process.stdout.write(`FAILURE #${f.input.index} ${f.input.format} ${f.input.mutation} (${f.input.detail}): ${JSON.stringify(f.result)}\n`);
  for (const file of report.saved) process.stdout.write(`kept ${path.relative(process.cwd(), file)}\n`);
  process.exitCode = report.failures.length ? 1 : 0;
} finally {
  rmSync(work, { recursive: true, force: true });
}
