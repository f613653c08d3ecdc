// The two guards against overconfident bag probabilities: the bag temperature fitted on held-back
// enrolment sets, and the per-image consistency test that words a verdict weak when its images do
// not agree. Reference p-values are from scipy.stats.t.sf.
import { describe, expect, it } from 'vitest';
import { consistencyTest, describeConsistency } from '../src/engine/attribution/consistency.js';
import { bagTemperature, fitBagTemperature, goldenSectionMinimum } from '../src/engine/classifier/bag-temperature.js';
import { judge, type ImageEvidence } from '../src/engine/attribution/judge.js';
import { handMadeLibrary } from './helpers/hand-made-library.js';
import type { FusedClassifier } from '../src/engine/classifier/fused.js';
import { verdictWording } from '../src/shared/wording.js';
import { createRandom, gaussian } from '../src/engine/util/random.js';

const lp = (...p: number[]) => Float64Array.from(p, Math.log);

describe('consistency test', () => {
  it('is a one-sided paired t-test on the per-image log-probability ratios', () => {
    // Ratios 1, 2, 3, 4: t = 2.5 / (1.291 / 2) = 3.873 with 3 degrees of freedom.
    const rows = [1, 2, 3, 4].map((d) => Float64Array.from([d, 0]));
    const c = consistencyTest(rows, 0, 1, 'beta')!;
    expect(c.t).toBeCloseTo(3.872983, 5);
    expect(c.pValue).toBeCloseTo(0.0152331, 5);
    expect(c).toMatchObject({ versus: 'beta', images: 4, favouring: 4, meanLogRatio: 2.5, consistent: true });
    expect(describeConsistency(c, 'alpha')).toMatch(/^4 of 4 images favour alpha over beta .*t = 3\.87, one-sided p = 0\.015/);
  });

  it('is not fooled by one image with an extreme ratio', () => {
    // One image says alpha with a log-ratio of 30; nine lean slightly to beta. The summed log-
    // probabilities favour alpha by e^28; the images as a sample do not (t = 0.934, p = 0.187).
    const rows = [Float64Array.from([0, -30]), ...Array.from({ length: 9 }, () => lp(0.45, 0.55))];
    const c = consistencyTest(rows, 0, 1, 'beta')!;
    expect(c.meanLogRatio).toBeGreaterThan(2.8);
    expect(c.t).toBeCloseTo(0.93355, 4);
    expect(c.pValue).toBeCloseTo(0.18745, 4);
    expect(c.favouring).toBe(1);
    expect(c.consistent).toBe(false);
  });

  it('needs two images, and treats identical ratios as unbounded t', () => {
    expect(consistencyTest([lp(0.9, 0.1)], 0, 1, 'beta')).toBeNull();
    const same = consistencyTest([lp(0.7, 0.3), lp(0.7, 0.3)], 0, 1, 'beta')!;
    expect(same.t).toBe(Infinity);
    expect(same.pValue).toBe(0);
    expect(describeConsistency(same, 'alpha')).toMatch(/t = ∞/);
    expect(consistencyTest([lp(0.3, 0.7), lp(0.3, 0.7)], 0, 1, 'beta')!.consistent).toBe(false);
  });
});

describe('bag temperature', () => {
  it('finds the minimum of a one-dimensional function, ends included', () => {
    expect(goldenSectionMinimum((x) => (x - 0.3) ** 2, 0, 1)).toBeCloseTo(0.3, 3);
    expect(goldenSectionMinimum((x) => x, 0, 1)).toBe(0);
    expect(goldenSectionMinimum((x) => -x, 0, 1)).toBe(1);
    expect(bagTemperature(0.5, 16)).toBe(4);
    expect(bagTemperature(0.7, 1)).toBe(1);
  });

  it('stays near 0 for independent images with exact posteriors', () => {
    // x ~ N(μ_c, I) in 2-D: exact Bayes log-posteriors of independent draws sum to the exact bag
    // posterior, so tempering can only hurt the expected likelihood. The estimate from 60 images per
    // entry is noisy (bags overlap; seeds 1–8 gave 0.00–0.19), hence the bound.
    const means = [
      [0, 0],
      [1.2, 0],
      [0, 1.2],
    ];
    const rand = createRandom(7);
    const rows: Float64Array[] = [];
    const labels: number[] = [];
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < 60; i++) {
        const x = [means[c][0] + gaussian(rand), means[c][1] + gaussian(rand)];
        const logits = means.map((m) => -((x[0] - m[0]) ** 2 + (x[1] - m[1]) ** 2) / 2);
        const max = Math.max(...logits);
        const z = Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0)) + max;
        rows.push(Float64Array.from(logits, (l) => l - z));
        labels.push(c);
      }
    const t = fitBagTemperature(rows, labels, 3)!;
    expect(t.exponent).toBeLessThan(0.25);
    expect(t.sizes).toEqual([2, 5, 10, 20]);
    expect(t.bags).toBe(3 * 4 * 30);
  });

  it("grows towards 1 when an entry's images all make the same mistake", () => {
    // Entries 0 and 1: every image says its own entry with p = 0.6. Entry 2: every image says entry
    // 1 with p = 0.6 — a shared mistake that summing turns into a confident wrong bag.
    const rows: Float64Array[] = [];
    const labels: number[] = [];
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < 20; i++) {
        rows.push(c === 0 ? lp(0.6, 0.2, 0.2) : lp(0.2, 0.6, 0.2));
        labels.push(c);
      }
    expect(fitBagTemperature(rows, labels, 3)!.exponent).toBeGreaterThan(0.5);
  });

  it('is null without two held-back images in any entry', () => {
    expect(fitBagTemperature([lp(0.5, 0.5), lp(0.5, 0.5)], [0, 1], 2)).toBeNull();
  });
});

describe('classifier verdicts with both guards', () => {
  const classifier = (exponent: number | null): FusedClassifier => ({
    classes: ['alpha', 'beta'],
    blocks: [],
    heldOutAccuracy: null,
    weighting: 'test',
    bagTemperature: exponent === null ? null : { exponent, sizes: [2, 5, 10], bags: 180 },
    heldBack: null,
  });
  const library = (exponent: number | null) => handMadeLibrary(classifier(exponent));
  const evidence = (rows: Float64Array[]): ImageEvidence[] =>
    rows.map((logProba, i) => ({ relPath: `${i}.png`, sha256: String(i), corr: Float64Array.from([0.1, 0.02]), logProba, novelty: null, features: null }));

  it('divides the summed log-probabilities by n^α', async () => {
    const rows = Array.from({ length: 10 }, () => lp(0.7, 0.3));
    const untempered = await judge(library(null), evidence(rows), 'dsf', null);
    const averaged = await judge(library(1), evidence(rows), 'dsf', null);
    expect(untempered.score).toBeCloseTo(0.7 ** 10 / (0.7 ** 10 + 0.3 ** 10), 10);
    expect(averaged.score).toBeCloseTo(0.7, 10);
    expect(averaged.explanation).toMatch(/divided by the bag temperature n\^α = 10\.00 \(α = 1\.00, fitted by maximum likelihood on 180 sets/);
    expect(untempered.explanation).toMatch(/untempered/);
    // Ten images that agree: consistent, and worded without "weakly".
    expect(averaged.consistency?.consistent).toBe(true);
    expect(untempered.statement).toMatch(/are consistent with the library entry alpha/);
    expect(verdictWording(untempered).strength).toBe('moderate');
  });

  it('words a verdict carried by one image weak, whatever its probability', async () => {
    const rows = [Float64Array.from([0, -30]), ...Array.from({ length: 9 }, () => lp(0.45, 0.55))];
    const v = await judge(library(0), evidence(rows), 'dsf', null);
    expect(v.label).toBe('alpha');
    expect(v.score).toBeGreaterThan(0.999);
    expect(v.consistency).toMatchObject({ versus: 'beta', favouring: 1, consistent: false });
    expect(v.statement).toMatch(/weakly consistent with the library entry alpha/);
    expect(v.statement).toMatch(/Caution: the images do not consistently favour alpha over beta \(1 of 10 do; paired t = 0\.93, one-sided p = 0\.187/);
    expect(v.explanation).toMatch(/Consistency: 1 of 10 images favour alpha over beta/);
    const w = verdictWording(v);
    expect(w.strength).toBe('weak');
    expect(w.caveats.some((c) => c.startsWith('the images do not consistently favour alpha'))).toBe(true);
  });
});
