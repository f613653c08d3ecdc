// A bag's probability from per-image log-probabilities, tempered for the images' dependence.
//
// Summing per-image log-probabilities treats a bag's images as independent draws. They are not: a
// generator's images share content, resolution and post-processing, so the summed evidence grows
// confident far faster than accuracy does (measured: most wrong bags of 10 read as p > 0.9). The
// bag posterior is therefore softmax(Σ log p / τ(n)) with τ(n) = n^α, and α is fitted — by maximum
// likelihood — on bags of held-back (out-of-fold) enrolment images, the only data at enrolment time
// that the classifier has not seen. α = 0 keeps the independent sum; α = 1 averages the images
// (a bag is then no more confident than a typical single image). Tempering changes probabilities
// and the wording built on them, never the ranking.
import { createRandom, shuffledIndices } from '../util/random.js';
import { logSoftmaxInPlace } from './softmax-regression.js';

export interface BagTemperature {
  /** α in τ(n) = n^α, within [0, 1]. */
  exponent: number;
  /** Bag sizes and the number of bags the exponent was fitted on, for explanations. */
  sizes: number[];
  bags: number;
}

/** Bag sizes drawn from each entry's held-back images (capped by the entry's count; size 1 carries no information on α). */
export const TEMPERATURE_BAG_SIZES = [2, 5, 10, 20];
/** Bags per entry and size: enough for a one-parameter fit, cheap next to the regressions. */
export const TEMPERATURE_BAGS_PER_SIZE = 30;
const SEED = 0x7e3;

export const bagTemperature = (exponent: number, n: number): number => Math.pow(Math.max(1, n), exponent);

/**
 * Fits α on bags of out-of-fold log-probabilities. `logProba[i]` is image i's log p(entry | image)
 * from a model that never saw it; `labels[i]` its entry. Returns null when no entry has two
 * held-back images (no bag to fit on).
 */
export function fitBagTemperature(logProba: Float64Array[], labels: ArrayLike<number>, classes: number): BagTemperature | null {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const rand = createRandom(SEED);
  const bags: { n: number; sum: Float64Array; label: number }[] = [];
  const sizes = new Set<number>();
  for (let c = 0; c < classes; c++) {
    const idx = byClass[c];
    for (const size of TEMPERATURE_BAG_SIZES) {
      const n = Math.min(size, idx.length);
      if (n < 2) continue;
      sizes.add(n);
      for (let b = 0; b < TEMPERATURE_BAGS_PER_SIZE; b++) {
        const sum = new Float64Array(classes);
        for (const j of shuffledIndices(idx.length, rand).slice(0, n)) for (let k = 0; k < classes; k++) sum[k] += logProba[idx[j]][k];
        bags.push({ n, sum, label: c });
      }
      if (n === idx.length) break; // larger sizes would repeat the same whole-entry bag
    }
  }
  if (bags.length === 0) return null;
  const z = new Float64Array(classes);
  const nll = (alpha: number): number => {
    let loss = 0;
    for (const { n, sum, label } of bags) {
      const tau = bagTemperature(alpha, n);
      for (let k = 0; k < classes; k++) z[k] = sum[k] / tau;
      loss -= logSoftmaxInPlace(z)[label];
    }
    return loss / bags.length;
  };
  return { exponent: goldenSectionMinimum(nll, 0, 1), sizes: [...sizes].sort((a, b) => a - b), bags: bags.length };
}

/**
 * Minimum of a one-dimensional function on [lo, hi] by golden-section search (the bag likelihood
 * is smooth and unimodal in α in practice; at worst this returns a local minimum in the range).
 * Hand-written because it is ten lines and the kept optimiser here (lbfgs.ts) is unbounded.
 */
export function goldenSectionMinimum(f: (x: number) => number, lo: number, hi: number, tolerance = 1e-4): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > tolerance) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  // The ends are candidates too: a likelihood that keeps falling towards α = 0 or 1 should get it.
  const best = [a, (a + b) / 2, b, lo, hi].map((x) => [x, f(x)] as const).sort((p, q) => p[1] - q[1]);
  return best[0][0];
}
