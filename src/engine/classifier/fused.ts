// The library classifier over several evidence blocks (φ features, residual spectrum, residual
// pixels): one multinomial logistic regression per block, combined by stacking. Each block's
// weight is fitted on out-of-fold logits — every enrolment image scored by a model that never saw
// it — so a block that does not generalise between a generator's images (it only memorises the
// enrolment set) gets a small weight, and the combined log-probabilities are calibrated on held-back
// images rather than on the training fit. A bag is scored, as before, by summing per-image
// log-probabilities of the combined model.
import { fitSoftmaxRegression, logSoftmaxInPlace, predictLogits, type SoftmaxRegressionModel } from './softmax-regression.js';
import type { Progress } from '../types.js';
import { minimizeLbfgs } from './lbfgs.js';
import { fitBagTemperature, type BagTemperature } from './bag-temperature.js';

export interface EvidenceBlock {
  /** Short identifier, e.g. "phi". */
  name: string;
  /** What the block's features are, in words (for verdict explanations and reports). */
  description: string;
  dim: number;
  /** Row-major N × dim, rows aligned with the labels. */
  data: Float32Array;
}

export interface FusedBlock {
  name: string;
  description: string;
  model: SoftmaxRegressionModel;
  /** Stacking weight on the block's logits (≥ 0). */
  weight: number;
}

export interface FusedClassifier {
  classes: string[];
  blocks: FusedBlock[];
  /** Out-of-fold image-level accuracy of the combined model (null when weights were not fitted). */
  heldOutAccuracy: number | null;
  /** How the weights were obtained, in words. */
  weighting: string;
  /**
   * How a bag's summed log-probabilities are tempered (bag-temperature.ts), fitted on the same
   * out-of-fold logits as the weights; null (untempered) when those could not be computed.
   */
  bagTemperature: BagTemperature | null;
  /**
   * The combined out-of-fold log-probabilities of the enrolment images that took part in the
   * stacking fit, with their entries: what held-back-error.ts estimates error rates from. Null
   * where no stacking weights were fitted.
   */
  heldBack: { labels: Int32Array; logProba: Float64Array[] } | null;
}

export interface FitOptions {
  signal?: AbortSignal;
  /** Phase 'fit': regressions fitted so far out of all this classifier needs. */
  onProgress?: (p: Progress) => void;
  /** Passed to every regression (softmax-regression.ts; default 'auto'): for tests and measurements. */
  precondition?: boolean | 'auto';
}

export const STACKING_FOLDS = 4;
/**
 * Images per entry that take part in the out-of-fold fits (the first ones, in enrolment order): a
 * few weights need far fewer images than the models themselves, and this keeps the fold fits'
 * cost bounded for large entries (the full fits always use every image).
 */
export const STACKING_MAX_PER_CLASS = 64;
/** Weights are searched as exp(θ) with θ in this range: from "ignore the block" to a sharp temperature. */
const LOG_WEIGHT_RANGE: [number, number] = [-8, 3];

/** Regressions a fit runs, for progress: one full fit per block, plus one per block and fold when the blocks are stacked. */
export function regressionCount(blocks: number, imagesPerClass: number[]): number {
  const stacked = blocks > 1 && Math.min(...imagesPerClass) >= STACKING_FOLDS;
  return blocks * (stacked ? 1 + STACKING_FOLDS : 1);
}

function rows(block: EvidenceBlock, idx: number[]): Float32Array {
  const out = new Float32Array(idx.length * block.dim);
  idx.forEach((i, r) => out.set(block.data.subarray(i * block.dim, (i + 1) * block.dim), r * block.dim));
  return out;
}

/**
 * Nonnegative weights w (as exp θ) minimising the mean negative log-likelihood of
 * softmax(Σ_b w_b · oof_b) — logistic stacking over the blocks' out-of-fold logits.
 */
function stackingWeights(oof: Float64Array[][], labels: ArrayLike<number>, sampleWeight: Float64Array): number[] {
  const B = oof.length;
  const N = labels.length;
  const K = oof[0][0].length;
  const z = new Float64Array(K);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    let wsum = 0;
    const w = Array.from(theta, (t) => Math.exp(Math.min(LOG_WEIGHT_RANGE[1], Math.max(LOG_WEIGHT_RANGE[0], t))));
    for (let i = 0; i < N; i++) {
      z.fill(0);
      for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) z[k] += w[b] * oof[b][i][k];
      const lp = logSoftmaxInPlace(z);
      const y = labels[i];
      const sw = sampleWeight[i];
      loss -= sw * lp[y];
      wsum += sw;
      // d(−log p_y)/dw_b = Σ_k (p_k − [k = y]) · oof_b[i][k]; chain rule through w = exp θ.
      for (let b = 0; b < B; b++) {
        let g = 0;
        for (let k = 0; k < K; k++) g += (Math.exp(lp[k]) - (k === y ? 1 : 0)) * oof[b][i][k];
        grad[b] += sw * g * w[b];
      }
    }
    for (let b = 0; b < B; b++) grad[b] /= wsum;
    return loss / wsum;
  };
  const res = minimizeLbfgs(objective, new Float64Array(B).fill(-1), { maxIterations: 200, gradientTolerance: 1e-7 });
  return Array.from(res.x, (t) => Math.exp(Math.min(LOG_WEIGHT_RANGE[1], Math.max(LOG_WEIGHT_RANGE[0], t))));
}

/**
 * Fits one softmax regression per block on all rows and the stacking weights on out-of-fold logits
 * (fold = index of the row within its class, modulo STACKING_FOLDS, so every class is in every
 * fold). With fewer than STACKING_FOLDS rows in some class the weights cannot be estimated: the
 * first block alone is used (weight 1, the others 0) and `weighting` says so.
 */
export async function fitFusedClassifier(blocks: EvidenceBlock[], labels: Int32Array, classes: string[], opts: FitOptions = {}): Promise<FusedClassifier> {
  if (blocks.length === 0) throw new Error('fitFusedClassifier: no evidence blocks');
  const N = labels.length;
  for (const b of blocks) if (b.data.length !== N * b.dim) throw new Error(`fitFusedClassifier: block "${b.name}" does not match the labels`);
  const K = classes.length;
  const counts = new Array(K).fill(0);
  for (let i = 0; i < N; i++) counts[labels[i]]++;
  const stacked = blocks.length > 1 && Math.min(...counts) >= STACKING_FOLDS;
  const total = regressionCount(blocks.length, counts);
  let done = 0;
  const fitted = <T>(model: T): T => {
    opts.onProgress?.({ phase: 'fit', done: ++done, total });
    return model;
  };
  opts.onProgress?.({ phase: 'fit', done: 0, total });
  const full: SoftmaxRegressionModel[] = [];
  for (const b of blocks)
    full.push(fitted(await fitSoftmaxRegression(b.data, b.dim, labels, classes, { signal: opts.signal, precondition: opts.precondition })));
  const asFitted = (
    weights: number[],
    weighting: string,
    heldOutAccuracy: number | null,
    bagTemperature: BagTemperature | null = null,
    heldBack: FusedClassifier['heldBack'] = null,
  ): FusedClassifier => ({
    classes: [...classes],
    blocks: blocks.map((b, i) => ({ name: b.name, description: b.description, model: full[i], weight: weights[i] })),
    heldOutAccuracy,
    weighting,
    bagTemperature,
    heldBack,
  });
  if (blocks.length === 1) return asFitted([1], 'a single evidence block (weight 1)', null);
  if (!stacked)
    return asFitted(
      blocks.map((_, i) => (i === 0 ? 1 : 0)),
      `weight 1 for ${blocks[0].name} and 0 for the other blocks, because an entry has fewer than ${STACKING_FOLDS} enrolment images, too few to weigh them on held-back images`,
      null,
    );

  // Fold of each image taking part (index within its entry mod STACKING_FOLDS), −1 for the rest.
  const seen = new Array(K).fill(0);
  const fold = Int32Array.from(labels, (y) => (seen[y] < STACKING_MAX_PER_CLASS ? seen[y]++ % STACKING_FOLDS : -1));
  const used = [...fold.keys()].filter((i) => fold[i] >= 0);
  const oof: Float64Array[][] = blocks.map(() => new Array<Float64Array>(N));
  for (let f = 0; f < STACKING_FOLDS; f++) {
    const train = used.filter((i) => fold[i] !== f);
    const test = used.filter((i) => fold[i] === f);
    const y = Int32Array.from(train, (i) => labels[i]);
    for (const [bi, b] of blocks.entries()) {
      // Fitted exactly as the final models are: the weights are learnt on logits of the same kind
      // (capping the fold fits' iterations softened their logits and shifted the weights; mnist28
      // held-out top-1 at 10 images fell from 0.88 to 0.85 with a cap of 20).
      const m = fitted(await fitSoftmaxRegression(rows(b, train), b.dim, y, classes, { signal: opts.signal, precondition: opts.precondition }));
      for (const i of test) oof[bi][i] = predictLogits(m, b.data, i * b.dim);
    }
  }
  // Balanced, like the per-block fits: every entry counts equally whatever its image count.
  const usedCount = new Array(K).fill(0);
  for (const i of used) usedCount[labels[i]]++;
  const usedLabels = Int32Array.from(used, (i) => labels[i]);
  const sampleWeight = Float64Array.from(usedLabels, (y) => used.length / (K * usedCount[y]));
  const weights = stackingWeights(
    oof.map((o) => used.map((i) => o[i])),
    usedLabels,
    sampleWeight,
  );
  let correct = 0;
  const combined = used.map((i) => {
    const z = new Float64Array(K);
    blocks.forEach((_, bi) => {
      for (let k = 0; k < K; k++) z[k] += weights[bi] * oof[bi][i][k];
    });
    if (z.indexOf(Math.max(...z)) === labels[i]) correct++;
    return logSoftmaxInPlace(z);
  });
  return asFitted(
    weights,
    `stacking weights fitted on ${STACKING_FOLDS}-fold out-of-fold logits of the enrolment images (at most ${STACKING_MAX_PER_CLASS} per entry)`,
    correct / used.length,
    fitBagTemperature(combined, usedLabels, K),
    { labels: usedLabels, logProba: combined },
  );
}

/** log p(class | image) under the combined model; `parts[b]` is the image's feature vector for block b. */
export function predictFusedLogProba(model: FusedClassifier, parts: ArrayLike<number>[]): Float64Array {
  if (parts.length !== model.blocks.length) throw new Error('predictFusedLogProba: one feature vector per block expected');
  const z = new Float64Array(model.classes.length);
  model.blocks.forEach((b, bi) => {
    if (b.weight === 0) return;
    const l = predictLogits(b.model, parts[bi]);
    for (let k = 0; k < z.length; k++) z[k] += b.weight * l[k];
  });
  return logSoftmaxInPlace(z);
}

/** The blocks and their weights in words, e.g. "φ features ×0.31 + residual spectrum ×0.25". */
export function describeFusion(model: FusedClassifier): string {
  return model.blocks.map((b) => `${b.description} (weight ${b.weight.toPrecision(2)})`).join(' + ');
}
