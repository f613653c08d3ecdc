// The library classifier's error rate at the evidence's size, estimated on held-back reference images.
//
// A verdict's probability says how strongly the evidence favours an entry under the model; an
// examiner also needs the method's known error rate under the conditions of the case: with *this*
// library and *this* many images, how often is a verdict for entry X wrong? The stacking fit
// already scores every enrolment image with models that never saw it (out-of-fold logits,
// fused.ts). Sets of n such images are drawn per entry and judged like evidence (summed
// log-probabilities; the bag temperature never changes the ranking, so it is not needed), which
// gives a confusion matrix R[true][decided] at size n. Weighting the entries equally, the share
// of sets decided for X that came from other entries estimates the error rate of a verdict for X.
//
// Held-back reference images resemble the other references more than evidence may, so the
// estimate can be optimistic for evidence chosen or saved differently (measured in docs/results.md
// beside the error rate observed on the corpus: close on the held-out tables, optimistic where the
// queries show content the references never did); the compression check and the consistency test
// cover some of those cases separately.
import type { FusedClassifier } from './fused.js';
import type { HeldBackErrorRate } from '../../shared/held-back-error.js';
import { createRandom } from '../util/random.js';

export * from '../../shared/held-back-error.js';

/** Sets drawn per entry: resolves error rates to about half a percent. */
export const HELD_BACK_SETS_PER_ENTRY = 200;
/** A verdict whose estimated error rate is at least this is worded weak (1 wrong verdict in 10). */
export const HELD_BACK_ERROR_LIMIT = 0.1;

export interface HeldBackConfusion {
  n: number;
  /** rates[t][d]: share of entry t's held-back sets decided for entry d. */
  rates: Float64Array[];
  setsPerEntry: number;
  fewestImages: number;
}

const cache = new WeakMap<FusedClassifier, Map<number, HeldBackConfusion>>();

/**
 * R[true][decided] for sets of `n` held-back images, or null when the classifier kept no held-back
 * logits (a single block, or entries too small to fit stacking weights). Deterministic: the draws
 * are seeded by n, so a verdict gets the same estimate every time it is computed.
 */
export function heldBackConfusion(classifier: FusedClassifier, n: number): HeldBackConfusion | null {
  const hb = classifier.heldBack;
  if (!hb || n < 1) return null;
  const byN = cache.get(classifier) ?? new Map<number, HeldBackConfusion>();
  cache.set(classifier, byN);
  const hit = byN.get(n);
  if (hit) return hit;
  const K = classifier.classes.length;
  const byEntry: number[][] = Array.from({ length: K }, () => []);
  hb.labels.forEach((y, i) => byEntry[y].push(i));
  const fewestImages = Math.min(...byEntry.map((ix) => ix.length));
  if (fewestImages === 0) return null;
  const rand = createRandom(0x4b1d + n);
  const sum = new Float64Array(K);
  const order = new Int32Array(Math.max(...byEntry.map((ix) => ix.length)));
  const rates = byEntry.map((ix) => {
    const row = new Float64Array(K);
    const m = Math.min(n, ix.length);
    // A set of all the entry's images is the only one there is: drawing it again adds nothing.
    const draws = m === ix.length ? 1 : HELD_BACK_SETS_PER_ENTRY;
    for (let s = 0; s < draws; s++) {
      sum.fill(0);
      // The first m of shuffledIndices(ix.length, rand), the same draws, without allocating per set
      // (this runs 200 times per entry and size: the library's error rates cost milliseconds).
      shuffleInto(order, ix.length, rand);
      for (let r = 0; r < m; r++) {
        const lp = hb.logProba[ix[order[r]]];
        for (let k = 0; k < K; k++) sum[k] += lp[k];
      }
      let best = 0;
      for (let k = 1; k < K; k++) if (sum[k] > sum[best]) best = k;
      row[best]++;
    }
    for (let k = 0; k < K; k++) row[k] /= draws;
    return row;
  });
  const setsPerEntry = byEntry.every((ix) => Math.min(n, ix.length) === ix.length) ? 1 : HELD_BACK_SETS_PER_ENTRY;
  const out = { n, rates, setsPerEntry, fewestImages };
  byN.set(n, out);
  return out;
}

/** shuffledIndices (util/random.ts) into `out[0..n)`: the same Fisher–Yates steps on the same random numbers. */
function shuffleInto(out: Int32Array, n: number, rand: () => number): void {
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
}

/** The estimated error rate of a verdict for entry `chosen` on a set of `n` images. */
export function heldBackErrorRate(classifier: FusedClassifier, chosen: number, n: number): HeldBackErrorRate | null {
  const conf = heldBackConfusion(classifier, n);
  if (!conf) return null;
  const { rates } = conf;
  let attributed = 0;
  let mostConfused: HeldBackErrorRate['mostConfused'] = null;
  rates.forEach((row, t) => {
    attributed += row[chosen];
    if (t !== chosen && (mostConfused === null || row[chosen] > mostConfused.rate)) mostConfused = { entry: classifier.classes[t], rate: row[chosen] };
  });
  return {
    entry: classifier.classes[chosen],
    n,
    setsPerEntry: conf.setsPerEntry,
    fewestImages: conf.fewestImages,
    recall: rates[chosen][chosen],
    errorRate: attributed > 0 ? (attributed - rates[chosen][chosen]) / attributed : 1,
    mostConfused,
    limit: HELD_BACK_ERROR_LIMIT,
  };
}

/** Every entry's error rate at size n, in library order (null where not estimable). */
export function libraryErrorRates(classifier: FusedClassifier, n: number): HeldBackErrorRate[] | null {
  if (!heldBackConfusion(classifier, n)) return null;
  return classifier.classes.map((_, k) => heldBackErrorRate(classifier, k, n)!);
}
