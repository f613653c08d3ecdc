// Limited-memory BFGS for smooth, unconstrained minimisation.
//
// Hand-written on purpose: the one maintained JS optimiser package we found (fmin) ships a UMD build
// that exports nothing when imported as ESM, and the first-order optimisers of tfjs would pull in a
// large dependency and converge ~10× slower on the small convex problems we solve (a multinomial
// logistic regression refitted whenever the library changes). The algorithm is the textbook
// two-loop recursion (Nocedal & Wright, Alg. 7.4) with a backtracking Armijo line search; the
// tests check it against problems with known minima.

import { throwIfAborted } from '../util/abort.js';

export type Objective = (x: Float64Array, gradOut: Float64Array) => number;

export interface LbfgsOptions {
  maxIterations?: number;
  /** History pairs kept. */
  memory?: number;
  /** Stop when the gradient's infinity norm falls below this. */
  gradientTolerance?: number;
  /** Stop when the relative decrease of f over an iteration falls below this. */
  relativeTolerance?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** A point the optimiser wants evaluated: the caller writes ∇f(x) into `g` and answers with f(x). */
export interface LbfgsEvaluation {
  x: Float64Array;
  g: Float64Array;
}

/**
 * The optimiser as a coroutine: it yields every point to evaluate and is resumed with the value,
 * so the same iterations run with a plain objective (minimizeLbfgs) or one that awaits its
 * products (minimizeLbfgsAsync) — identical arithmetic either way.
 */
export function* lbfgsIterations(x0: Float64Array, opts: LbfgsOptions = {}): Generator<LbfgsEvaluation, LbfgsResult, number> {
  const maxIt = opts.maxIterations ?? 200;
  const m = opts.memory ?? 8;
  const gtol = opts.gradientTolerance ?? 1e-6;
  const rtol = opts.relativeTolerance ?? 1e-9;
  const n = x0.length;

  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = yield { x, g };
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rhoHist: number[] = [];
  const alpha = new Float64Array(m);
  const dir = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);

  let it = 0;
  let converged = false;
  for (; it < maxIt; it++) {
    let gmax = 0;
    for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(g[i]));
    if (gmax < gtol) {
      converged = true;
      break;
    }

    // Two-loop recursion: dir = −H·g.
    for (let i = 0; i < n; i++) dir[i] = -g[i];
    const k = sHist.length;
    for (let j = k - 1; j >= 0; j--) {
      alpha[j] = rhoHist[j] * dot(sHist[j], dir);
      const y = yHist[j];
      for (let i = 0; i < n; i++) dir[i] -= alpha[j] * y[i];
    }
    if (k > 0) {
      const gamma = dot(sHist[k - 1], yHist[k - 1]) / dot(yHist[k - 1], yHist[k - 1]);
      for (let i = 0; i < n; i++) dir[i] *= gamma;
    } else {
      // First step: scale so the step length is modest whatever the gradient's magnitude.
      const gn = Math.sqrt(dot(g, g));
      for (let i = 0; i < n; i++) dir[i] /= Math.max(gn, 1);
    }
    for (let j = 0; j < k; j++) {
      const beta = rhoHist[j] * dot(yHist[j], dir);
      const s = sHist[j];
      for (let i = 0; i < n; i++) dir[i] += s[i] * (alpha[j] - beta);
    }

    let slope = dot(g, dir);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHist.length = yHist.length = rhoHist.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i];
      slope = dot(g, dir);
    }

    // Backtracking Armijo line search.
    let step = 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * dir[i];
      fNew = yield { x: xNew, g: gNew };
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew <= fx)) break; // no progress possible

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (sHist.length === m) {
        sHist.shift();
        yHist.shift();
        rhoHist.shift();
      }
      sHist.push(s);
      yHist.push(y);
      rhoHist.push(1 / sy);
    }
    const decrease = fx - fNew;
    x = Float64Array.from(xNew);
    g = Float64Array.from(gNew);
    fx = fNew;
    if (decrease <= rtol * Math.max(1, Math.abs(fx))) {
      converged = true;
      it++;
      break;
    }
  }
  return { x, f: fx, iterations: it, converged };
}

export function minimizeLbfgs(f: Objective, x0: Float64Array, opts: LbfgsOptions = {}): LbfgsResult {
  const steps = lbfgsIterations(x0, opts);
  let next = steps.next();
  while (!next.done) next = steps.next(f(next.value.x, next.value.g));
  return next.value;
}

export type AsyncObjective = (x: Float64Array, gradOut: Float64Array) => Promise<number>;

/** minimizeLbfgs for an objective that awaits its work; checks `signal` before every evaluation. */
export async function minimizeLbfgsAsync(f: AsyncObjective, x0: Float64Array, opts: LbfgsOptions & { signal?: AbortSignal } = {}): Promise<LbfgsResult> {
  const steps = lbfgsIterations(x0, opts);
  let next = steps.next();
  while (!next.done) {
    throwIfAborted(opts.signal);
    next = steps.next(await f(next.value.x, next.value.g));
  }
  return next.value;
}
