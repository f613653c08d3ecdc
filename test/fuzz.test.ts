// Seeded mutation fuzzing of evidence ingest: PNG, JPEG, WebP, TIFF and GIF files with flipped bits,
// overwritten bytes, truncation, lying and huge declared dimensions, lying lengths and spliced
// bytes, each run through the real ingest path (scan, read, hash, sharp) in a child process. Every
// input must end as an analysed image or a skip with a reason; a crash or hang of the child fails
// the test and keeps the input in test/fixtures/fuzz/. Bounded and seeded here; `npm run fuzz` runs
// the same fuzzer longer (scripts/fuzz.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SkipReason } from '../src/engine/types.js';
import { FUZZ_FORMATS, makeSeeds, MUTATIONS } from './fuzz/mutate.js';
import { FUZZ_FIXTURES, fuzzFixtures, ingestInChild, runFuzz } from './fuzz/run.js';
import { recordReliability } from './helpers/reliability.js';

export const FUZZ_SEED = 20_240_917;
/** 200 per format: a few seconds, even on a busy machine (the child decodes ~40×32 images). */
export const FUZZ_ITERATIONS = 1000;

const REASONS = [
  'empty-file',
  'truncated',
  'corrupt',
  'not-an-image',
  'unsupported-format',
  'pixel-limit',
  'too-small',
  'permission-denied',
  'symlink-loop',
  'outside-folder',
  'not-a-regular-file',
  'io-error',
] satisfies SkipReason[];

const work = mkdtempSync(path.join(os.tmpdir(), 'genprint-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('ingest under seeded mutation fuzzing', () => {
  it(`${FUZZ_ITERATIONS} mutated inputs: each one an analysed image or a reasoned skip, and no crash or hang`, async () => {
    const report = await runFuzz({ seed: FUZZ_SEED, iterations: FUZZ_ITERATIONS, workDir: path.join(work, 'run'), keepFailuresIn: FUZZ_FIXTURES });
    // A failure names the input (seed, index, mutation) and the file it was saved to.
    expect(report.failures, JSON.stringify(report.saved)).toEqual([]);
    for (const format of FUZZ_FORMATS) {
      const f = report.byFormat[format];
      expect(f.inputs).toBe(FUZZ_ITERATIONS / FUZZ_FORMATS.length);
      expect(f.analysed + f.skipped, format).toBe(f.inputs);
      // The mutants reach the decoders: some still decode, others are refused.
      expect(f.analysed, format).toBeGreaterThan(0);
      expect(f.skipped, format).toBeGreaterThan(0);
    }
    for (const m of MUTATIONS) expect(report.byMutation[m], m).toBeGreaterThan(0);
    for (const reason of Object.keys(report.reasons)) expect(REASONS).toContain(reason);
    expect(Object.keys(report.reasons).length).toBeGreaterThanOrEqual(4);
    // Corrupt entropy data that the decoder conceals is flagged, not analysed silently.
    expect(report.decodedWithWarnings).toBeGreaterThan(0);

    const analysed = FUZZ_FORMATS.reduce((s, f) => s + report.byFormat[f].analysed, 0);
    recordReliability('fuzz', `seeded mutation fuzzing of ${FUZZ_FORMATS.join(', ')} (seed ${FUZZ_SEED})`, `${report.failures.length} crashes or hangs`, {
      held: report.failures.length === 0,
      count: FUZZ_ITERATIONS,
      details: {
        seed: FUZZ_SEED,
        byFormat: report.byFormat,
        byMutation: report.byMutation,
        reasons: report.reasons,
        analysed,
        decodedWithWarnings: report.decodedWithWarnings,
      },
    });
  });

  it('the unmutated seeds decode cleanly, and every kept fixture still ends as a result or a reasoned skip', async () => {
    const seeds = await makeSeeds();
    const fixtures = fuzzFixtures();
    expect(fixtures.length).toBeGreaterThan(0);
    const files = [...seeds.map((s, i) => ({ name: `0-seed-${i}`, bytes: s.bytes })), ...fixtures.map((f) => ({ name: `1-${f.name}`, bytes: f.bytes }))];
    const results = await ingestInChild(files, { workDir: path.join(work, 'fixtures') });
    seeds.forEach((s, i) => expect(results[i], s.variant).toEqual({ kind: 'image' }));
    fixtures.forEach((f, k) => {
      const r = results[seeds.length + k]!;
      expect(['image', 'skipped'], `${f.name}: ${JSON.stringify(r)}`).toContain(r.kind);
      if (r.kind === 'skipped') expect(r.message.length, f.name).toBeGreaterThan(5);
    });
    recordReliability('fuzz-fixtures', `${fixtures.length} kept fuzz inputs replayed (test/fixtures/fuzz)`, 'each a result or a reasoned skip', {
      count: fixtures.length,
    });
  });

  it('a child that dies on an input is charged to that input, and the run goes on with the next', async () => {
    const seeds = await makeSeeds();
    const files = ['a', 'b', 'c'].map((name, i) => ({ name, bytes: seeds[i]!.bytes }));
    const results = await ingestInChild(files, { workDir: path.join(work, 'abort'), env: { GENPRINT_FUZZ_ABORT_AT: 'b' } });
    expect(results[0]).toEqual({ kind: 'image' });
    expect(results[1]).toMatchObject({ kind: 'crash', how: expect.stringContaining('SIGKILL') });
    expect(results[2]).toEqual({ kind: 'image' });
  });
});
