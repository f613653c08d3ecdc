// The library classifier's fit objective on ONNX Runtime's CPU kernels: the weighted multinomial
// logistic loss of a softmax regression and its gradient, in one session run per evaluation
// (classifier/softmax-regression.ts adds the regulariser and runs L-BFGS around it).
//
// Why ONNX Runtime: almost all of the fit is two matrix products per evaluation (logits X·Wᵀ + b
// and the weight gradient Xᵀ·G); its CPU GEMM is blocked, vectorised and uses the intra-op thread
// pool, many times faster than the JavaScript loops it replaces (docs/architecture.md, "Fitting the
// library classifier"), and the package is loaded for φ anyway. One graph per evaluation keeps the
// logits inside the runtime and costs one call. Always the CPU provider and double precision: a
// fit gives the same numbers on a machine with a GPU as on one without, and the same numbers when
// repeated (test/library-fit.test.ts compares a stored classifier with a fresh fit).
import { availableParallelism } from 'node:os';
import { ort } from './onnx.js';
import { DOUBLE, encodeModel, INT64 } from './onnx-graph.js';

let session: Promise<ort.InferenceSession> | undefined;
let threads = Math.max(1, Math.min(availableParallelism(), 8));

/** Threads for the fit's products (default: the machine's cores, at most 8); sessions created afterwards use it. */
export function setFitThreads(n: number): void {
  if (Number.isInteger(n) && n > 0 && n !== threads) {
    threads = n;
    session = undefined;
  }
}

/**
 * Inputs X [n, d] (standardised features) and its transpose Xt [d, n], W [K, d], b [K], Yw [n, K]
 * (one-hot labels times the sample weights), w [n, 1] (sample weights), axis0 = [0]. Outputs:
 * weightedLogLikelihood = Σ_i w_i log p(y_i | x_i), gradWt = Xᵀ·G (the weight gradient, d × K)
 * and gradB = Σ_i G_i, with G = w ⊙ softmax(X·Wᵀ + b) − Yw: the derivatives of −weightedLogLikelihood.
 * (Xᵀ·G as a plain product on a stored transpose measured faster than a Gemm with transA.)
 */
function objectiveModel(): Uint8Array {
  const value = (name: string, shape: (number | string)[], type: typeof DOUBLE | typeof INT64 = DOUBLE) => ({ name, type, shape });
  return encodeModel({
    name: 'softmax-regression-objective',
    nodes: [
      { op: 'Gemm', inputs: ['X', 'W', 'b'], outputs: ['logits'], attributes: { transB: 1 } },
      { op: 'LogSoftmax', inputs: ['logits'], outputs: ['logP'], attributes: { axis: 1 } },
      { op: 'Exp', inputs: ['logP'], outputs: ['P'] },
      { op: 'Mul', inputs: ['P', 'w'], outputs: ['Pw'] },
      { op: 'Sub', inputs: ['Pw', 'Yw'], outputs: ['G'] },
      { op: 'Mul', inputs: ['Yw', 'logP'], outputs: ['weightedLogPy'] },
      { op: 'ReduceSum', inputs: ['weightedLogPy'], outputs: ['weightedLogLikelihood'], attributes: { keepdims: 0 } },
      { op: 'MatMul', inputs: ['Xt', 'G'], outputs: ['gradWt'] },
      { op: 'ReduceSum', inputs: ['G', 'axis0'], outputs: ['gradB'], attributes: { keepdims: 0 } },
    ],
    initializers: [],
    inputs: [
      value('X', ['n', 'd']),
      value('Xt', ['d', 'n']),
      value('W', ['K', 'd']),
      value('b', ['K']),
      value('Yw', ['n', 'K']),
      value('w', ['n', 1]),
      value('axis0', [1], INT64),
    ],
    outputs: [value('weightedLogLikelihood', []), value('gradWt', ['d', 'K']), value('gradB', ['K'])],
  });
}

function load(): Promise<ort.InferenceSession> {
  if (!session) {
    session = ort.InferenceSession.create(objectiveModel(), {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    session.catch(() => (session = undefined)); // let a later call retry
  }
  return session;
}

/** The data of one softmax regression fit, held as tensors so every evaluation reuses them without copying. */
export class SoftmaxObjective {
  private readonly feeds: Record<string, ort.Tensor>;
  constructor(
    /** Row-major n × d standardised features. */
    features: Float64Array,
    readonly n: number,
    readonly d: number,
    labels: ArrayLike<number>,
    readonly classes: number,
    sampleWeight: Float64Array,
  ) {
    if (features.length !== n * d || labels.length !== n || sampleWeight.length !== n) throw new RangeError('SoftmaxObjective: shapes do not match');
    const weightedOneHot = new Float64Array(n * classes);
    for (let i = 0; i < n; i++) weightedOneHot[i * classes + labels[i]] = sampleWeight[i];
    const transposed = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) transposed[j * n + i] = features[i * d + j];
    this.feeds = {
      X: new ort.Tensor('float64', features, [n, d]),
      Xt: new ort.Tensor('float64', transposed, [d, n]),
      Yw: new ort.Tensor('float64', weightedOneHot, [n, classes]),
      w: new ort.Tensor('float64', sampleWeight, [n, 1]),
      axis0: new ort.Tensor('int64', BigInt64Array.from([0n]), [1]),
    };
  }

  /** Σ w_i log p(y_i | x_i) at weights W (K × d) and biases b, and its negative's gradient into gradW (K × d) and gradB. */
  async evaluate(W: Float64Array, b: Float64Array, gradW: Float64Array, gradB: Float64Array): Promise<number> {
    const K = this.classes;
    const d = this.d;
    const out = await (await load()).run({ ...this.feeds, W: new ort.Tensor('float64', W, [K, d]), b: new ort.Tensor('float64', b, [K]) });
    const gradWt = out.gradWt.data as Float64Array;
    for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) gradW[k * d + j] = gradWt[j * K + k];
    gradB.set(out.gradB.data as Float64Array);
    return (out.weightedLogLikelihood.data as Float64Array)[0];
  }
}
