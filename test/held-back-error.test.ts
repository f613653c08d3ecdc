// The library's error rate at the evidence's size, estimated on held-back reference images
// (classifier/held-back-error.ts), and the wording it drives.
import { describe, expect, it } from 'vitest';
import { fitFusedClassifier, type EvidenceBlock, type FusedClassifier } from '../src/engine/classifier/fused.js';
import {
  heldBackConfusion,
  heldBackErrorCaveat,
  heldBackErrorRate,
  HELD_BACK_ERROR_LIMIT,
  describeHeldBackError,
  libraryErrorRates,
  summariseLibraryErrorRates,
  cappingNote,
  confusionSizeIndex,
} from '../src/engine/classifier/held-back-error.js';
import { judge, type ImageEvidence } from '../src/engine/attribution/judge.js';
import { verdictWording } from '../src/shared/wording.js';
import { createRandom, gaussian, shuffledIndices } from '../src/engine/util/random.js';
import { handMadeLibrary } from './helpers/hand-made-library.js';

const lp = (...p: number[]) => Float64Array.from(p, Math.log);

/** A two-entry classifier whose held-back logits are given directly. */
function withHeldBack(rows: { label: number; logProba: Float64Array }[]): FusedClassifier {
  return {
    classes: ['alpha', 'beta'],
    blocks: [],
    heldOutAccuracy: null,
    weighting: 'test',
    bagTemperature: null,
    heldBack: { labels: Int32Array.from(rows, (r) => r.label), logProba: rows.map((r) => r.logProba) },
  };
}

describe('held-back error rate', () => {
  it('is exact when every entry has no more held-back images than the set size (one set each)', () => {
    // alpha's four images favour alpha; beta's four favour alpha too, taken together.
    const c = withHeldBack([
      ...Array.from({ length: 4 }, () => ({ label: 0, logProba: lp(0.8, 0.2) })),
      { label: 1, logProba: lp(0.1, 0.9) },
      ...Array.from({ length: 3 }, () => ({ label: 1, logProba: lp(0.7, 0.3) })),
    ]);
    const conf = heldBackConfusion(c, 4)!;
    expect(conf.setsPerEntry).toBe(1);
    expect(conf.rates.map((r) => Array.from(r))).toEqual([
      [1, 0],
      [1, 0],
    ]);
    const e = heldBackErrorRate(c, 0, 4)!;
    // Two sets were attributed to alpha, one of them from beta.
    expect(e).toMatchObject({ entry: 'alpha', n: 4, recall: 1, errorRate: 0.5, mostConfused: { entry: 'beta', rate: 1 }, limit: HELD_BACK_ERROR_LIMIT });
    // No set was attributed to beta at all: every verdict for beta is an error by this estimate.
    const beta = heldBackErrorRate(c, 1, 4)!;
    expect(beta).toMatchObject({ recall: 0, errorRate: 1 });
    expect(describeHeldBackError(beta)).toBe('none of the held-back reference sets of 4 images was attributed to beta, not even its own (1 draw per entry)');
    expect(heldBackErrorCaveat(beta, 'beta')).toMatch(
      /none of the sets of 4 images was attributed to beta, not even its own, so the library has no track record/,
    );
    // A larger evidence set is capped at each entry's images, and says so.
    const big = heldBackErrorRate(c, 0, 10)!;
    expect(big.fewestImages).toBe(4);
    expect(describeHeldBackError(big)).toMatch(
      /^50\.0 % of held-back reference sets of 10 images \(or all of an entry's held-back images where it has fewer, down to 4\) attributed to alpha came from other entries/,
    );
  });

  it('draws random sets, reproducibly, and estimates the confusion of single images', () => {
    // Three of beta's ten images lean to alpha: at n = 1 about 30 % of beta's sets go to alpha.
    const rows = [
      ...Array.from({ length: 10 }, () => ({ label: 0, logProba: lp(0.9, 0.1) })),
      ...Array.from({ length: 10 }, (_, i) => ({ label: 1, logProba: i < 3 ? lp(0.6, 0.4) : lp(0.2, 0.8) })),
    ];
    const c = withHeldBack(rows);
    const e = heldBackErrorRate(c, 0, 1)!;
    expect(e.setsPerEntry).toBe(200);
    expect(e.mostConfused!.rate).toBeGreaterThan(0.2);
    expect(e.mostConfused!.rate).toBeLessThan(0.4);
    expect(e.errorRate).toBeCloseTo(e.mostConfused!.rate / (1 + e.mostConfused!.rate), 10);
    // The same classifier and size always give the same estimate (seeded draws), also uncached.
    expect(heldBackErrorRate(withHeldBack(rows), 0, 1)).toEqual(e);
    // With five images the three stray ones are outvoted more often: the error rate falls.
    expect(heldBackErrorRate(c, 0, 5)!.errorRate).toBeLessThan(e.errorRate);
  });

  it('draws exactly the sets of seeded Fisher–Yates shuffles (the first n of shuffledIndices, 200 per entry)', () => {
    // Written out with shuffledIndices, as the estimate was defined: a faster draw must give the same sets.
    const rand = createRandom(5);
    const K = 4;
    const rows = Array.from({ length: 4 * 23 }, (_, i) => ({
      label: i % K,
      logProba: Float64Array.from({ length: K }, (_, k) => Math.log(0.1 + rand() + (k === i % K ? 0.3 : 0))),
    }));
    const c: FusedClassifier = { ...withHeldBack(rows), classes: ['a', 'b', 'c', 'd'] };
    for (const n of [1, 3, 7]) {
      const draw = createRandom(0x4b1d + n);
      const expected = [0, 1, 2, 3].map((t) => {
        const ix = rows.flatMap((r, i) => (r.label === t ? [i] : []));
        const row = new Array<number>(K).fill(0);
        for (let s = 0; s < 200; s++) {
          const sum = new Float64Array(K);
          for (const j of shuffledIndices(ix.length, draw).slice(0, n)) rows[ix[j]].logProba.forEach((v, k) => (sum[k] += v));
          row[sum.indexOf(Math.max(...sum))]++;
        }
        return row.map((x) => x / 200);
      });
      expect(heldBackConfusion(c, n)!.rates.map((r) => Array.from(r))).toEqual(expected);
    }
  });

  it('lists every entry for the library, and names only those at or above the limit in the summary', () => {
    const c = withHeldBack([
      ...Array.from({ length: 4 }, () => ({ label: 0, logProba: lp(0.8, 0.2) })),
      ...Array.from({ length: 4 }, () => ({ label: 1, logProba: lp(0.7, 0.3) })),
    ]);
    const rates = libraryErrorRates(c, 4)!;
    expect(rates.map((r) => [r.entry, r.errorRate])).toEqual([
      ['alpha', 0.5],
      ['beta', 1],
    ]);
    expect(summariseLibraryErrorRates(rates)).toBe("alpha 50.0 % (mostly beta's sets), beta 100.0 % on held-back reference sets of 4 images");
    expect(summariseLibraryErrorRates([rates[0], { ...rates[1], errorRate: 0.05 }])).toBe(
      "alpha 50.0 % (mostly beta's sets) on held-back reference sets of 4 images; the other entries below 10 %",
    );
    const clean = libraryErrorRates(
      withHeldBack([
        { label: 0, logProba: lp(0.8, 0.2) },
        { label: 1, logProba: lp(0.2, 0.8) },
      ]),
      1,
    )!;
    expect(summariseLibraryErrorRates(clean)).toBe('every entry below 10 % on held-back reference sets of 1 image');
    expect(summariseLibraryErrorRates(clean, true)).toBe('alpha 0.0 %, beta 0.0 % on held-back reference sets of 1 image');
    expect(libraryErrorRates({ ...c, heldBack: null }, 4)).toBeNull();
  });

  it("marks sizes beyond an entry's held-back images as capped, and reads confusions below them", () => {
    const c = withHeldBack([
      ...Array.from({ length: 6 }, () => ({ label: 0, logProba: lp(0.8, 0.2) })),
      ...Array.from({ length: 4 }, () => ({ label: 1, logProba: lp(0.3, 0.7) })),
    ]);
    const [one, four, ten] = [1, 4, 10].map((n) => libraryErrorRates(c, n)!);
    expect(cappingNote(four[0])).toBeNull();
    expect(cappingNote(ten[0])).toMatch(/^sets of 10 images are more than some entries have held back \(the fewest: 4\)/);
    expect(confusionSizeIndex([one, four, ten])).toBe(1);
    expect(confusionSizeIndex([ten])).toBe(0);
    expect(summariseLibraryErrorRates(ten, true)).toContain("held-back reference sets of 10 images (capped at each entry's held-back images, fewest 4)");
  });

  it('is not estimated without held-back logits', () => {
    expect(heldBackErrorRate({ ...withHeldBack([]), heldBack: null }, 0, 10)).toBeNull();
  });

  it('comes from the stacking fit: separable entries get a low rate, overlapping ones a high rate that falls with more images', async () => {
    // Entry 0 is far from 1 and 2; entries 1 and 2 overlap heavily in both blocks.
    const rand = createRandom(11);
    const centre = [
      [3, 0],
      [0, 0.4],
      [0, -0.4],
    ];
    const perEntry = 40;
    const labels = Int32Array.from({ length: 3 * perEntry }, (_, i) => Math.floor(i / perEntry));
    const block = (name: string): EvidenceBlock => ({
      name,
      description: name,
      dim: 4,
      data: Float32Array.from(Array.from(labels, (k) => [centre[k][0], centre[k][1], 0, 0].map((c) => c + gaussian(rand))).flat()),
    });
    const c = await fitFusedClassifier([block('a'), block('b')], labels, ['far', 'near-1', 'near-2']);
    expect(c.heldBack!.labels).toHaveLength(3 * perEntry);
    for (const row of c.heldBack!.logProba) expect(row.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 6);
    const far = heldBackErrorRate(c, 0, 10)!;
    expect(far.errorRate).toBeLessThan(0.02);
    expect(far.recall).toBeGreaterThan(0.98);
    const near1 = heldBackErrorRate(c, 1, 1)!;
    expect(near1.mostConfused!.entry).toBe('near-2');
    expect(near1.errorRate).toBeGreaterThan(HELD_BACK_ERROR_LIMIT);
    expect(heldBackErrorRate(c, 1, 10)!.errorRate).toBeLessThan(near1.errorRate);
  });
});

describe('verdicts with a held-back error rate', () => {
  const evidence = (rows: Float64Array[]): ImageEvidence[] =>
    rows.map((logProba, i) => ({ relPath: `${i}.png`, sha256: String(i), corr: Float64Array.from([0.1, 0.02]), logProba, novelty: null, features: null }));
  const tenForAlpha = Array.from({ length: 10 }, () => lp(0.9, 0.1));

  it('words a verdict weak when the library confuses the entry at this evidence size, and says why', async () => {
    // Held back: every image of beta leans to alpha, so sets of beta go to alpha as often as alpha's own.
    const c = withHeldBack([
      ...Array.from({ length: 20 }, () => ({ label: 0, logProba: lp(0.8, 0.2) })),
      ...Array.from({ length: 20 }, () => ({ label: 1, logProba: lp(0.6, 0.4) })),
    ]);
    const v = await judge(handMadeLibrary(c), evidence(tenForAlpha), 'dsf', null);
    expect(v.label).toBe('alpha');
    expect(v.score).toBeGreaterThan(0.99);
    expect(v.consistency?.consistent).toBe(true);
    expect(v.errorRate).toMatchObject({ entry: 'alpha', n: 10, errorRate: 0.5, recall: 1 });
    expect(v.statement).toMatch(/weakly consistent with the library entry alpha/);
    expect(v.statement).toContain(
      "Caution: on the library's own held-back reference images, 50.0 % of sets of 10 images attributed to alpha came from other entries (mostly beta's), at or above the 10 % this wording accepts",
    );
    expect(v.explanation).toMatch(
      /Error rate on held-back reference images: 50\.0 % of held-back reference sets of 10 images attributed to alpha came from other entries \(200 draws per entry/,
    );
    const w = verdictWording(v);
    expect(w.strength).toBe('weak');
    expect(w.caveats.some((x) => x.startsWith("on the library's own held-back reference images, 50.0 %"))).toBe(true);
  });

  it('adds no caution when the library separates the entries at this size', async () => {
    const c = withHeldBack([
      ...Array.from({ length: 20 }, () => ({ label: 0, logProba: lp(0.8, 0.2) })),
      ...Array.from({ length: 20 }, () => ({ label: 1, logProba: lp(0.2, 0.8) })),
    ]);
    const v = await judge(handMadeLibrary(c), evidence(tenForAlpha), 'dsf', null);
    expect(v.errorRate).toMatchObject({ errorRate: 0, recall: 1 });
    expect(v.statement).not.toMatch(/weakly|Caution/);
    expect(v.explanation).toMatch(/Error rate on held-back reference images: 0\.0 % of held-back reference sets of 10 images attributed to alpha/);
    expect(verdictWording(v).caveats.some((x) => x.includes('held-back reference images'))).toBe(false);
  });

  it('says when the classifier kept no held-back logits', async () => {
    const c = { ...withHeldBack([]), heldBack: null };
    const v = await judge(handMadeLibrary(c), evidence(tenForAlpha), 'dsf', null);
    expect(v.errorRate).toBeUndefined();
    expect(v.explanation).toContain('Error rate on held-back reference images: not estimated');
  });
});
