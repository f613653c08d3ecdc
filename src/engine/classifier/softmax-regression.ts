// Multinomial logistic regression over the library entries (paper Sec. 4.1: a classifier over the
// library's fingerprints). Fitted on the enrolled images' per-image φ features whenever the
// library changes; a bag of evidence is scored by summing per-image log-probabilities, i.e. the
// images are treated as independent draws from one generator.
import { minimizeLbfgsAsync } from './lbfgs.js';
import { denseProduct, SoftmaxObjective } from '../backend/dense.js';
import { cholesky, invertLower } from './cholesky.js';
import { columnMoments } from '../util/stats.js';

export interface SoftmaxRegressionOptions {
  /** Inverse regularisation strength, as in scikit-learn (loss = C·Σ CE + ½‖W‖²). */
  C?: number;
  maxIterations?: number;
  /** Weight samples so every class counts equally whatever its number of enrolment images. */
  balanced?: boolean;
  /**
   * Run L-BFGS in coordinates where the features are decorrelated: the same objective and the same
   * minimum, reached in a few times fewer iterations where there are many more images than
   * features (see decorrelation). 'auto' (the default) does so when n ≥ PRECONDITION_MIN_RATIO · dim.
   */
  precondition?: boolean | 'auto';
  /** L-BFGS stops when the gradient's infinity norm (in the coordinates it runs in) falls below this (default 1e-5). */
  gradientTolerance?: number;
}

/**
 * Images per feature from which the fit is preconditioned by default (decorrelation): below it the
 * preconditioner costs more than it saves (measured on synthetic libraries, docs/performance.md).
 */
export const PRECONDITION_MIN_RATIO = 2;

export interface SoftmaxRegressionModel {
  classes: string[];
  dim: number;
  mean: Float64Array;
  scale: Float64Array;
  /** Row-major K × D weights on standardised features. */
  weights: Float64Array;
  bias: Float64Array;
  iterations: number;
  converged: boolean;
}

/**
 * Fits the model. `features` is row-major N × dim; `labels[n]` indexes `classes`.
 *
 * The loss and gradient are the textbook ones, computed by ONNX Runtime in double precision
 * (backend/dense.ts: almost all of the work is two matrix products per evaluation); the
 * regulariser and L-BFGS run here. `signal` stops the fit between evaluations.
 */
export async function fitSoftmaxRegression(
  features: Float32Array,
  dim: number,
  labels: Int32Array | number[],
  classes: string[],
  opts: SoftmaxRegressionOptions & { signal?: AbortSignal } = {},
): Promise<SoftmaxRegressionModel> {
  const n = labels.length;
  const K = classes.length;
  if (n === 0 || features.length !== n * dim) throw new Error('fitSoftmaxRegression: features do not match labels');
  if (K < 2) throw new Error('fitSoftmaxRegression: needs at least two classes');
  const C = opts.C ?? 1;

  // Standardise: the φ feature scales differ by orders of magnitude between channels.
  const { mean, sumSq: scale } = columnMoments(features, dim);
  for (let d = 0; d < dim; d++) scale[d] = Math.sqrt(scale[d] / n) || 1;
  const X = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) X[i * dim + d] = (features[i * dim + d] - mean[d]) / scale[d];

  const counts = new Float64Array(K);
  for (let i = 0; i < n; i++) counts[labels[i]]++;
  const sampleWeight = new Float64Array(n);
  for (let i = 0; i < n; i++) sampleWeight[i] = opts.balanced === false ? 1 : n / (K * counts[labels[i]]);
  // loss = C·Σ w·CE + ½‖W‖²; divided by C·n to keep magnitudes independent of n.
  const norm = 1 / n;
  const lambda = 1 / (C * n);
  const precondition = opts.precondition ?? 'auto';
  const pre = precondition === true || (precondition === 'auto' && n >= PRECONDITION_MIN_RATIO * dim) ? await decorrelation(X, n, dim, lambda) : null;
  const data = new SoftmaxObjective(pre ? pre.features : X, n, dim, labels, K, sampleWeight, pre?.metric);

  const nW = K * dim;
  const wm = pre ? new Float64Array(nW) : null;
  const objective = async (theta: Float64Array, grad: Float64Array): Promise<number> => {
    // Σ w·CE and its gradient with respect to W and b (backend/dense.ts), then the regulariser: ½‖W‖²,
    // or ½ tr(V·M·Vᵀ) for the weights V in decorrelated coordinates (W = V·L⁻¹, see decorrelation).
    const loss = -(await data.evaluate(theta.subarray(0, nW), theta.subarray(nW), grad.subarray(0, nW), grad.subarray(nW), wm ?? undefined));
    const metric = wm ?? theta;
    let reg = 0;
    for (let j = 0; j < nW; j++) {
      reg += theta[j] * metric[j];
      grad[j] = grad[j] * norm + lambda * metric[j];
    }
    for (let k = 0; k < K; k++) grad[nW + k] *= norm;
    return loss * norm + 0.5 * lambda * reg;
  };

  const result = await minimizeLbfgsAsync(objective, new Float64Array(nW + K), {
    maxIterations: opts.maxIterations ?? 300,
    gradientTolerance: opts.gradientTolerance ?? 1e-5,
    signal: opts.signal,
  });
  const weights = pre ? await denseProduct(result.x.subarray(0, nW), [K, dim], pre.back, [dim, dim]) : result.x.slice(0, nW);
  return {
    classes: [...classes],
    dim,
    mean,
    scale,
    weights,
    bias: result.x.slice(nW),
    iterations: result.iterations,
    converged: result.converged,
  };
}

/**
 * Why the fit is preconditioned. The features of a block are strongly correlated (a 1,024-pixel
 * residual patch, a 640-d φ vector): the eigenvalues of their covariance Σ = XᵀX/n span three to
 * four orders of magnitude, and with the weak regulariser (C = 1, λ = 1/n) L-BFGS on W needed the
 * whole 300-iteration cap on a 100-entry library (docs/architecture.md, "Fitting the library
 * classifier"). So the weights are optimised as V = W·L, with L·Lᵀ = Σ + λI (Cholesky): the
 * logits X·Wᵀ = X̃·Vᵀ with X̃ = X·L⁻ᵀ, whose covariance is close to the identity, and the
 * regulariser ½λ‖W‖² = ½λ tr(V·M·Vᵀ) with M = L⁻¹·L⁻ᵀ. It is the same objective in other
 * coordinates (a change of variables, not an approximation): the same minimum, W = V·L⁻¹.
 *
 * It pays where there are many more images than features (every block of a large library: n = 6,400
 * against d ≤ 1,024 at 100 entries × 64 images, where it cut the iterations from the 300 cap to about
 * 100). With fewer images than about twice the features it does not: plain L-BFGS from W = 0 only
 * ever moves within the span of the images (every gradient is a combination of them), which is
 * small, while the preconditioned iterates spread over all d dimensions (a 6-entry library: 25–32
 * iterations plain, 170–210 preconditioned); and the extra product W·M per evaluation (K·d² against
 * the data's 2·n·d·K) and the factorisation stop being small. Hence PRECONDITION_MIN_RATIO.
 */
async function decorrelation(
  X: Float64Array,
  n: number,
  dim: number,
  lambda: number,
): Promise<{ features: Float64Array; metric: Float64Array; back: Float64Array }> {
  const cov = await denseProduct(X, [n, dim], X, [n, dim], { transA: true });
  for (let i = 0; i < cov.length; i++) cov[i] /= n;
  for (let i = 0; i < dim; i++) cov[i * dim + i] += lambda;
  const factor = cholesky(cov, dim); // L
  const inverse = invertLower(factor, dim); // L⁻¹
  return {
    features: await denseProduct(X, [n, dim], inverse, [dim, dim], { transB: true }), // X̃ = X·L⁻ᵀ
    metric: await denseProduct(inverse, [dim, dim], inverse, [dim, dim], { transB: true }), // M = L⁻¹·L⁻ᵀ
    back: inverse, // W = V·L⁻¹
  };
}

/** Unnormalised class scores (logits) for the feature vector at `offset` in `x`. */
export function predictLogits(model: SoftmaxRegressionModel, x: ArrayLike<number>, offset = 0): Float64Array {
  const { dim, classes } = model;
  const K = classes.length;
  // Standardised once, not once per class: the same operations per term, so the same logits bit for bit.
  const z = new Float64Array(dim);
  for (let d = 0; d < dim; d++) z[d] = (x[offset + d] - model.mean[d]) / model.scale[d];
  const out = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = model.bias[k];
    const wk = k * dim;
    for (let d = 0; d < dim; d++) s += model.weights[wk + d] * z[d];
    out[k] = s;
  }
  return out;
}

/** Turns logits into log-probabilities, in place. */
export function logSoftmaxInPlace(v: Float64Array): Float64Array {
  let max = -Infinity;
  for (const x of v) if (x > max) max = x;
  let z = 0;
  for (const x of v) z += Math.exp(x - max);
  const logZ = max + Math.log(z);
  for (let k = 0; k < v.length; k++) v[k] -= logZ;
  return v;
}

/** Log-probabilities of every class for one feature vector. */
export function predictLogProba(model: SoftmaxRegressionModel, x: ArrayLike<number>): Float64Array {
  return logSoftmaxInPlace(predictLogits(model, x));
}

/**
 * Scores a bag: Σ over images of log p(class | image), and the normalised posterior over classes
 * that this sum implies under a uniform prior (softmax of the sums).
 */
export function scoreBag(model: SoftmaxRegressionModel, rows: ArrayLike<number>[]): { sumLogProba: Float64Array; posterior: Float64Array } {
  const K = model.classes.length;
  const sum = new Float64Array(K);
  for (const r of rows) {
    const lp = predictLogProba(model, r);
    for (let k = 0; k < K; k++) sum[k] += lp[k];
  }
  let maxS = -Infinity;
  for (let k = 0; k < K; k++) maxS = Math.max(maxS, sum[k]);
  const post = new Float64Array(K);
  let z = 0;
  for (let k = 0; k < K; k++) z += post[k] = Math.exp(sum[k] - maxS);
  for (let k = 0; k < K; k++) post[k] /= z;
  return { sumLogProba: sum, posterior: post };
}
