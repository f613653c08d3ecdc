// `genprint eval --quick` end to end on the demo zoo only (no corpus needed), through the real
// engine (sharp, SQLite library, ONNX runtime when models/ exists). Slow (minutes on 2 cores), so it
// runs in `npm run test:slow`, which CI runs after `npm test`.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runEvaluation, type EvalResult } from '../../src/eval/run.js';
import { repoRoot } from '../../src/engine/version.js';

describe('genprint eval --quick (demo zoo only)', () => {
  let out = '';
  let result: EvalResult;
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('evaluates the demo zoo end to end and writes results.md, results.json and plots', async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'genprint-eval-test-'));
    // An empty corpus folder: the corpus is absent, so only the demo zoo is evaluated (CI has no corpus).
    // Its run time is printed by `genprint eval --quick`, not asserted here.
    ({ result } = await runEvaluation({ quick: true, out, corpusDir: path.join(out, 'no-corpus'), log: () => {} }));

    expect(result.corpus.present).toBe(false);
    expect(result.domains.map((d) => d.domain)).toEqual(['demo-zoo']);
    const sc = result.domains[0].scopes[0];
    expect(sc.scope).toBe('held-out');
    expect(sc.generators.length).toBeGreaterThanOrEqual(5);
    const methods = sc.accuracy.map((a) => a.method);
    expect(methods).toContain('residual');
    expect(methods).toContain('spectral');
    for (const a of sc.accuracy)
      for (const s of Object.values(a.bySize)) {
        if (!s) continue;
        expect(s.mean).toBeGreaterThanOrEqual(0);
        expect(s.mean).toBeLessThanOrEqual(1);
      }
    // The demo generators have strong, distinct traces: with 10 images the residual method must be
    // well above chance, otherwise the harness (not the method) is broken.
    const res10 = sc.accuracy.find((a) => a.method === 'residual')!.bySize['10']!;
    expect(res10.mean).toBeGreaterThan(sc.chance + 0.3);
    expect(sc.correlation.matrix.rows.length).toBe(sc.generators.length);
    expect(Number.isFinite(sc.correlation.decorrelation)).toBe(true);
    expect(sc.robustness?.length).toBeGreaterThan(0);
    if (existsSync(path.join(repoRoot(), 'models', 'model-card.json'))) {
      expect(methods).toContain('dsf+');
      expect(sc.openSet?.perMethod['dsf+']?.auroc).toBeGreaterThanOrEqual(0);
      expect(sc.clustering?.purity).toBeGreaterThan(0);
      expect(sc.bagsAblation?.length).toBe(2);
      // One other split in quick mode: re-enrolled and scored like the tables' split.
      expect(sc.splitSensitivity!.splits).toHaveLength(1);
      expect(sc.splitSensitivity!.splits[0].top1).toBeGreaterThan(sc.chance);
      expect(sc.splitSensitivity!.evenOdd).toBe(sc.accuracy.find((a) => a.method === 'dsf+')!.bySize['10']!.mean);
      // The reference-count study: a quarter enrolled beside the halves, on the same split seed.
      const curve = sc.referenceCurve!;
      expect(curve.points.map((p) => p.fraction)).toEqual([0.25, 0.5]);
      expect(curve.points[0].enrolMedian).toBeLessThan(curve.points[1].enrolMedian);
      expect(curve.points[1].splits).toEqual(sc.splitSensitivity!.splits);
      expect(curve.points[0].splits[0].top1).toBeGreaterThan(sc.chance);
      expect(sc.firmWrong!.bags).toBeGreaterThan(0);
      expect(sc.firmWrong!.wrongFirm).toBeLessThanOrEqual(sc.firmWrong!.wrong);
      expect(sc.firmWrong!.wrong + sc.firmWrong!.right).toBeLessThanOrEqual(sc.firmWrong!.bags);
      // The consistency test only ever weakens wording: never more firm verdicts with it than without.
      expect(sc.firmWrong!.rightFirm).toBeLessThanOrEqual(sc.firmWrong!.rightFirmWithoutConsistencyTest);
      expect(sc.firmWrong!.wrongFirm).toBeLessThanOrEqual(sc.firmWrong!.wrongFirmWithoutConsistencyTest);
      // So does the held-back error-rate guard; and every named verdict carries an estimate.
      expect(sc.firmWrong!.rightFirm).toBeLessThanOrEqual(sc.firmWrong!.rightFirmWithoutErrorRate);
      expect(sc.firmWrong!.wrongFirm).toBeLessThanOrEqual(sc.firmWrong!.wrongFirmWithoutErrorRate);
      expect(sc.firmWrong!.estimated).toBe(sc.firmWrong!.wrong + sc.firmWrong!.right);
      // Re-compressed queries: the compression check can only remove firm wrong verdicts, never add them.
      const jpeg = sc.robustness!.find((t) => t.transform === 'jpeg75')!;
      expect(jpeg.firmWrong!.bags).toBeGreaterThan(0);
      expect(jpeg.firmWrong!.wrongFirm).toBeLessThanOrEqual(jpeg.firmWrong!.wrongFirmWithoutCompressionCheck);
      // The same bags judged by the reference bank the JPEG q75 queries were matched to, paired with clean and enrolled.
      expect(jpeg.matched!.banks['jpeg-q75']).toBe(jpeg.matched!.firmWrong.bags);
      expect(jpeg.matched!.accuracy.perDraw).toHaveLength(jpeg.accuracy['dsf+']!.perDraw.length);
      expect(jpeg.matched!.vsClean.draws).toBe(jpeg.matched!.accuracy.perDraw.length);
      // A crop cannot be matched to a bank: no matched row there.
      expect(sc.robustness!.find((t) => t.transform === 'crop75')!.matched).toBeUndefined();
    }

    const md = readFileSync(path.join(out, 'results.md'), 'utf8');
    expect(md).toContain('## Headline: held-out generators');
    if (methods.includes('dsf+')) expect(md).toMatch(/wrong and firm \d+ of \d+ wrong.*right and firm \d+ of \d+ right/);
    if (methods.includes('dsf+')) expect(md).toMatch(/\| demo-zoo \| held-out \| \d+ \| \d+ \/ \d+ \| \d+ \/ \d+ \|/);
    if (methods.includes('dsf+')) expect(md).toMatch(/DSF\+ verdicts that name a wrong entry without calling the evidence weak .*JPEG q75 \d+ \/ \d+ of \d+/);
    if (methods.includes('untrained')) expect(md).toMatch(/DSF\+ minus the untrained-φ control on the same bags/);
    if (methods.includes('dsf+')) expect(md).toMatch(/- demo-zoo: even\/odd split [0-9.]+; 1 random split [0-9.]+ \(mean/);
    if (methods.includes('dsf+')) expect(md).toMatch(/\| demo-zoo \| 25 % \| \d+ (\(\d+–\d+\) )?\| [0-9.]+ ± [0-9.]+ \|/);
    expect(md).toMatch(/\| DSF\+ minus \| n = 1 \|/);
    expect(md).toContain('demo-zoo');
    expect(md).toMatch(/corpus .* was absent/);
    const json = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as EvalResult;
    expect(json.schema).toBe('genprint.eval/1');
    const png = readFileSync(path.join(out, 'img', 'eval-demo-zoo-held-out-corr.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
