import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from '../src/main/engine/classifier/lbfgs.js';
import { fitSoftmaxRegression, predictLogProba, scoreBag } from '../src/main/engine/classifier/softmax-regression.js';
import { createRandom as mulberry32, gaussian as gauss } from '../src/main/engine/util/random.js';


describe('L-BFGS', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const r = minimizeLbfgs(
      (x, g) => {
        const a = 1 - x[0];
        const b = x[1] - x[0] * x[0];
        g[0] = -2 * a - 400 * x[0] * b;
        g[1] = 200 * b;
        return a * a + 100 * b * b;
      },
      Float64Array.from([-1.2, 1]),
      { maxIterations: 500, relativeTolerance: 0 },
    );
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(1, 3);
  });

  it('solves a convex quadratic exactly', () => {
    // f(x) = ½ xᵀAx − bᵀx with A = diag(1..10): minimum at x_i = b_i / A_ii.
    const n = 10;
    const b = Float64Array.from({ length: n }, (_, i) => i - 4);
    const r = minimizeLbfgs((x, g) => {
      let f = 0;
      for (let i = 0; i < n; i++) {
        g[i] = (i + 1) * x[i] - b[i];
        f += 0.5 * (i + 1) * x[i] * x[i] - b[i] * x[i];
      }
      return f;
    }, new Float64Array(n));
    for (let i = 0; i < n; i++) expect(r.x[i]).toBeCloseTo(b[i] / (i + 1), 4);
  });
});

describe('softmax regression', () => {
  const rand = mulberry32(7);
  const dim = 16;
  const K = 4;
  const centres = Array.from({ length: K }, () => Array.from({ length: dim }, () => gauss(rand)));
  function sample(k: number, noise: number) {
    return centres[k].map((c) => c + noise * gauss(rand));
  }

  it('separates Gaussian classes and calibrates bag scores', () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let k = 0; k < K; k++) for (let i = 0; i < 60 + 20 * k; i++) (rows.push(sample(k, 1.5)), labels.push(k));
    const model = fitSoftmaxRegression(Float32Array.from(rows.flat()), dim, labels, ['a', 'b', 'c', 'd']);
    expect(model.converged).toBe(true);

    let correct = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const k = t % K;
      const lp = predictLogProba(model, sample(k, 1.5));
      const sum = lp.reduce((s, v) => s + Math.exp(v), 0);
      expect(sum).toBeCloseTo(1, 6);
      if (lp.indexOf(Math.max(...lp)) === k) correct++;
    }
    expect(correct / trials).toBeGreaterThan(0.6);

    // Bags of 10 images of one class: the summed log-probabilities pick the right class.
    for (let k = 0; k < K; k++) {
      const bag = Array.from({ length: 10 }, () => sample(k, 1.5));
      const { posterior } = scoreBag(model, bag);
      expect(posterior.indexOf(Math.max(...posterior))).toBe(k);
    }
  });

  it('rejects inconsistent input', () => {
    expect(() => fitSoftmaxRegression(new Float32Array(5), 2, [0, 1], ['a', 'b'])).toThrow();
    expect(() => fitSoftmaxRegression(new Float32Array(4), 2, [0, 0], ['a'])).toThrow();
  });
});
