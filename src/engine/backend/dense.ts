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

const sessions = new Map<string, Promise<ort.InferenceSession>>();
let threads = Math.max(1, Math.min(availableParallelism(), 8));

/** Threads for the fit's products (default: the machine's cores, at most 8); sessions created afterwards use it. */
export function setFitThreads(n: number): void {
  if (Number.isInteger(n) && n > 0 && n !== threads) {
    threads = n;
    sessions.clear();
  }
}

/**
 * Inputs X [n, d] (standardised features) and its transpose Xt [d, n], W [K, d], b [K], Yw [n, K]
 * (one-hot labels times the sample weights), w [n, 1] (sample weights), axis0 = [0]. Outputs:
 * weightedLogLikelihood = Σ_i w_i log p(y_i | x_i), gradWt = Xᵀ·G (the weight gradient, d × K)
 * and gradB = Σ_i G_i, with G = w ⊙ softmax(X·Wᵀ + b) − Yw: the derivatives of −weightedLogLikelihood.
 * (Xᵀ·G as a plain product on a stored transpose measured faster than a Gemm with transA.)
 * With `metric`, also input M [d, d] and output WM = W·M, the regulariser's gradient direction
 * when the weights live in preconditioned coordinates (softmax-regression.ts).
 */
function objectiveModel(metric: boolean): Uint8Array {
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
      ...(metric ? [{ op: 'MatMul', inputs: ['W', 'M'], outputs: ['WM'] }] : []),
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
      ...(metric ? [value('M', ['d', 'd'])] : []),
    ],
    outputs: [value('weightedLogLikelihood', []), value('gradWt', ['d', 'K']), value('gradB', ['K']), ...(metric ? [value('WM', ['K', 'd'])] : [])],
  });
}

/** A · B, with either side transposed first (Gemm), for the preconditioner's one-off products. */
function productModel(transA: boolean, transB: boolean): Uint8Array {
  return encodeModel({
    name: 'product',
    nodes: [{ op: 'Gemm', inputs: ['A', 'B'], outputs: ['C'], attributes: { transA: transA ? 1 : 0, transB: transB ? 1 : 0 } }],
    initializers: [],
    inputs: [
      { name: 'A', type: DOUBLE, shape: ['a0', 'a1'] },
      { name: 'B', type: DOUBLE, shape: ['b0', 'b1'] },
    ],
    outputs: [{ name: 'C', type: DOUBLE, shape: ['c0', 'c1'] }],
  });
}

function load(name: string, model: () => Uint8Array): Promise<ort.InferenceSession> {
  let session = sessions.get(name);
  if (!session) {
    session = ort.InferenceSession.create(model(), {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    sessions.set(name, session);
    session.catch(() => sessions.delete(name)); // let a later call retry
  }
  return session;
}

/**
 * op(A) · op(B) in double precision on ONNX Runtime's CPU GEMM, where op transposes when asked:
 * A is rows × cols as given (row-major), likewise B. Returns the row-major product.
 */
export async function denseProduct(
  a: Float64Array,
  aShape: [number, number],
  b: Float64Array,
  bShape: [number, number],
  opts: { transA?: boolean; transB?: boolean } = {},
): Promise<Float64Array> {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  if (a.length !== aShape[0] * aShape[1] || b.length !== bShape[0] * bShape[1]) throw new RangeError('denseProduct: data does not match the shapes');
  const inner = transA ? aShape[0] : aShape[1];
  if (inner !== (transB ? bShape[1] : bShape[0])) throw new RangeError('denseProduct: inner dimensions differ');
  const session = await load(`product:${transA}:${transB}`, () => productModel(transA, transB));
  const out = await session.run({ A: new ort.Tensor('float64', a, aShape), B: new ort.Tensor('float64', b, bShape) });
  return Float64Array.from(out.C.data as Float64Array);
}

/** The data of one softmax regression fit, held as tensors so every evaluation reuses them without copying. */
export class SoftmaxObjective {
  private readonly feeds: Record<string, ort.Tensor>;
  private readonly metric: boolean;
  constructor(
    /** Row-major n × d standardised features. */
    features: Float64Array,
    readonly n: number,
    readonly d: number,
    labels: ArrayLike<number>,
    readonly classes: number,
    sampleWeight: Float64Array,
    /** d × d: evaluate() also returns W·M (the regulariser's metric in preconditioned coordinates). */
    metric?: Float64Array,
  ) {
    if (features.length !== n * d || labels.length !== n || sampleWeight.length !== n) throw new RangeError('SoftmaxObjective: shapes do not match');
    if (metric && metric.length !== d * d) throw new RangeError('SoftmaxObjective: the metric is not d × d');
    this.metric = metric !== undefined;
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
      ...(metric ? { M: new ort.Tensor('float64', metric, [d, d]) } : {}),
    };
  }

  /**
   * Σ w_i log p(y_i | x_i) at weights W (K × d) and biases b, and its negative's gradient into gradW
   * (K × d) and gradB; with a metric, W·M into `wm`.
   */
  async evaluate(W: Float64Array, b: Float64Array, gradW: Float64Array, gradB: Float64Array, wm?: Float64Array): Promise<number> {
    const K = this.classes;
    const d = this.d;
    const session = await load(this.metric ? 'objective:metric' : 'objective', () => objectiveModel(this.metric));
    const out = await session.run({ ...this.feeds, W: new ort.Tensor('float64', W, [K, d]), b: new ort.Tensor('float64', b, [K]) });
    const gradWt = out.gradWt.data as Float64Array;
    for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) gradW[k * d + j] = gradWt[j * K + k];
    gradB.set(out.gradB.data as Float64Array);
    if (this.metric && wm) wm.set(out.WM.data as Float64Array);
    return (out.weightedLogLikelihood.data as Float64Array)[0];
  }
}
