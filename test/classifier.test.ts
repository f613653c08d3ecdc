import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from '../src/engine/classifier/lbfgs.js';
import {
  fitSoftmaxRegression,
  PRECONDITION_MIN_RATIO,
  predictLogits,
  predictLogProba,
  scoreBag,
  type SoftmaxRegressionModel,
} from '../src/engine/classifier/softmax-regression.js';
import { createRandom as mulberry32, gaussian as gauss } from '../src/engine/util/random.js';
import { fitFusedClassifier, predictFusedLogProba, STACKING_FOLDS, STACKING_MAX_PER_CLASS, type EvidenceBlock } from '../src/engine/classifier/fused.js';
import { denseProduct, SoftmaxObjective } from '../src/engine/backend/dense.js';
import { cholesky, invertLower } from '../src/engine/classifier/cholesky.js';
import { minimizeLbfgsAsync } from '../src/engine/classifier/lbfgs.js';

describe('predictLogits', () => {
  it('is Σ_d w_kd · (x_d − mean_d) / scale_d + b_k, bit for bit', () => {
    const rand = mulberry32(5);
    const dim = 37;
    const classes = ['a', 'b', 'c', 'd'];
    const model: SoftmaxRegressionModel = {
      dim,
      classes,
      mean: Float64Array.from({ length: dim }, () => gauss(rand)),
      scale: Float64Array.from({ length: dim }, () => 0.5 + rand()),
      weights: Float64Array.from({ length: dim * classes.length }, () => gauss(rand)),
      bias: Float64Array.from(classes, () => gauss(rand)),
      iterations: 0,
      converged: true,
    };
    const x = Float32Array.from({ length: 3 * dim }, () => gauss(rand));
    const got = predictLogits(model, x, dim);
    classes.forEach((_, k) => {
      let s = model.bias[k];
      for (let d = 0; d < dim; d++) s += model.weights[k * dim + d] * ((x[dim + d] - model.mean[d]) / model.scale[d]);
      expect(Object.is(got[k], s)).toBe(true);
    });
  });
});

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

describe('the fit objective on ONNX Runtime', () => {
  it('equals the textbook weighted log-likelihood and its gradient', async () => {
    const rand = mulberry32(3);
    const [n, d, K] = [37, 5, 4];
    const X = Float64Array.from({ length: n * d }, () => gauss(rand));
    const labels = Int32Array.from({ length: n }, (_, i) => i % K);
    const w = Float64Array.from({ length: n }, () => 0.5 + rand());
    const W = Float64Array.from({ length: K * d }, () => gauss(rand));
    const b = Float64Array.from({ length: K }, () => gauss(rand));
    const gW = new Float64Array(K * d);
    const gB = new Float64Array(K);
    const ll = await new SoftmaxObjective(X, n, d, labels, K, w).evaluate(W, b, gW, gB);
    // The same quantities by hand: Σ w_i log p(y_i), and w_i (p_ik − [k = y_i]) x_i summed over i.
    let want = 0;
    const wantW = new Float64Array(K * d);
    const wantB = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      const z = Array.from({ length: K }, (_, k) => b[k] + Array.from({ length: d }, (_, j) => W[k * d + j] * X[i * d + j]).reduce((a, c) => a + c, 0));
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
      want += w[i] * (z[labels[i]] - lse);
      for (let k = 0; k < K; k++) {
        const g = w[i] * (Math.exp(z[k] - lse) - (k === labels[i] ? 1 : 0));
        wantB[k] += g;
        for (let j = 0; j < d; j++) wantW[k * d + j] += g * X[i * d + j];
      }
    }
    expect(ll).toBeCloseTo(want, 10);
    gW.forEach((v, i) => expect(v).toBeCloseTo(wantW[i], 10));
    gB.forEach((v, i) => expect(v).toBeCloseTo(wantB[i], 10));
  });

  it('L-BFGS with an awaited objective stops when cancelled', async () => {
    const controller = new AbortController();
    let calls = 0;
    const run = minimizeLbfgsAsync(
      async (x, g) => {
        if (++calls === 3) controller.abort();
        g[0] = 2 * (x[0] - 1);
        return (x[0] - 1) ** 2 + 1e-9 * calls; // never quite converges on its own
      },
      new Float64Array(1),
      { signal: controller.signal, relativeTolerance: 0, gradientTolerance: 0 },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toBe(3);
  });
});

describe('dense linear algebra for the preconditioner', () => {
  const rand = mulberry32(5);
  const naive = (a: Float64Array, [r, k]: number[], b: Float64Array, c: number) => {
    const out = new Float64Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) for (let t = 0; t < k; t++) out[i * c + j] += a[i * k + t] * b[t * c + j];
    return out;
  };
  const transpose = (a: Float64Array, r: number, c: number) => Float64Array.from({ length: r * c }, (_, i) => a[(i % r) * c + Math.floor(i / r)]);

  it('multiplies with either side transposed', async () => {
    const [r, k, c] = [7, 5, 3];
    const a = Float64Array.from({ length: r * k }, () => gauss(rand));
    const b = Float64Array.from({ length: k * c }, () => gauss(rand));
    const want = naive(a, [r, k], b, c);
    const check = (got: Float64Array) => got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
    check(await denseProduct(a, [r, k], b, [k, c]));
    check(await denseProduct(transpose(a, r, k), [k, r], b, [k, c], { transA: true }));
    check(await denseProduct(a, [r, k], transpose(b, k, c), [c, k], { transB: true }));
    await expect(denseProduct(a, [r, k], b, [c, k])).rejects.toThrow(RangeError);
  });

  it('factorises a symmetric positive definite matrix and inverts the factor', () => {
    const d = 40;
    const g = Float64Array.from({ length: d * d }, () => gauss(rand));
    // A = GᵀG/d + 0.1·I: positive definite, with a wide spread of eigenvalues.
    const a = naive(transpose(g, d, d), [d, d], g, d).map((v) => v / d);
    for (let i = 0; i < d; i++) a[i * d + i] += 0.1;
    const l = cholesky(a, d);
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) expect(l[i * d + j]).toBe(0);
    const llt = naive(l, [d, d], transpose(l, d, d), d);
    llt.forEach((v, i) => expect(v).toBeCloseTo(a[i], 10));
    const inv = invertLower(l, d);
    naive(inv, [d, d], l, d).forEach((v, i) => expect(v).toBeCloseTo(i % (d + 1) === 0 ? 1 : 0, 10));
    const notPd = Float64Array.from([1, 2, 2, 1]);
    expect(() => cholesky(notPd, 2)).toThrow(/not positive definite/);
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

  it('separates Gaussian classes and calibrates bag scores', async () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let k = 0; k < K; k++)
      for (let i = 0; i < 60 + 20 * k; i++) {
        rows.push(sample(k, 1.5));
        labels.push(k);
      }
    const model = await fitSoftmaxRegression(Float32Array.from(rows.flat()), dim, labels, ['a', 'b', 'c', 'd']);
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

  it('reaches the same optimum preconditioned as plain', async () => {
    // More images than PRECONDITION_MIN_RATIO × features, correlated features: the default
    // preconditions. The objective is the same in either coordinates, so both fits must end at the
    // same minimum, to the tolerance L-BFGS stops at.
    const n = 480;
    const mix = Array.from({ length: dim }, () => Array.from({ length: dim }, () => gauss(rand)));
    const rows: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = i % K;
      const s = sample(k, 2);
      for (let j = 0; j < dim; j++) rows.push(Math.exp(j / 4) * s.reduce((acc, v, t) => acc + mix[j][t] * v, 0));
      labels.push(k);
    }
    expect(n).toBeGreaterThanOrEqual(PRECONDITION_MIN_RATIO * dim);
    const X = Float32Array.from(rows);
    const classes = ['a', 'b', 'c', 'd'];
    const plain = await fitSoftmaxRegression(X, dim, labels, classes, { precondition: false, maxIterations: 5000 });
    const pre = await fitSoftmaxRegression(X, dim, labels, classes);
    const forced = await fitSoftmaxRegression(X, dim, labels, classes, { precondition: true });
    expect(plain.converged && pre.converged).toBe(true);
    // 'auto' preconditioned here: the same run as precondition: true, to the bit.
    expect(Array.from(pre.weights)).toEqual(Array.from(forced.weights));
    const objective = (m: typeof plain) => {
      let f = 0;
      for (let i = 0; i < n; i++) f -= predictLogProba(m, X.subarray(i * dim, (i + 1) * dim))[labels[i]];
      return f / n + (0.5 * m.weights.reduce((acc, w) => acc + w * w, 0)) / n;
    };
    expect(Math.abs(objective(pre) - objective(plain))).toBeLessThan(1e-6 * objective(plain));
    for (let i = 0; i < n; i += 7) {
      const x = X.subarray(i * dim, (i + 1) * dim);
      const a = predictLogProba(plain, x);
      const b = predictLogProba(pre, x);
      a.forEach((v, k) => expect(Math.abs(Math.exp(v) - Math.exp(b[k]))).toBeLessThan(2e-3));
    }
  });

  it('does not precondition where there are few images per feature', async () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 24; i++) {
      rows.push(sample(i % K, 1));
      labels.push(i % K);
    }
    const X = Float32Array.from(rows.flat());
    const auto = await fitSoftmaxRegression(X, dim, labels, ['a', 'b', 'c', 'd']);
    const plain = await fitSoftmaxRegression(X, dim, labels, ['a', 'b', 'c', 'd'], { precondition: false });
    expect(Array.from(auto.weights)).toEqual(Array.from(plain.weights));
    expect(Array.from(auto.bias)).toEqual(Array.from(plain.bias));
  });

  it('rejects inconsistent input', async () => {
    await expect(fitSoftmaxRegression(new Float32Array(5), 2, [0, 1], ['a', 'b'])).rejects.toThrow();
    await expect(fitSoftmaxRegression(new Float32Array(4), 2, [0, 0], ['a'])).rejects.toThrow();
  });
});

describe('fused library classifier (stacked evidence blocks)', () => {
  const rand = mulberry32(11);
  const K = 4;
  // Block "a" tells {0,1} from {2,3}; block "b" tells {0,2} from {1,3}: each alone is at best 50 %.
  const axis = (bit: number, dim: number) => Array.from({ length: dim }, (_, d) => (d < 3 ? (bit ? 1.2 : -1.2) : 0));
  const sampleA = (k: number) => axis(k >> 1, 8).map((c) => c + gauss(rand));
  const sampleB = (k: number) => axis(k & 1, 8).map((c) => c + gauss(rand));
  // Pure noise, wide enough to memorise the training set: must not be trusted.
  const sampleNoise = () => Array.from({ length: 200 }, () => gauss(rand));
  const perClass = 40;
  const labels = Int32Array.from({ length: K * perClass }, (_, i) => Math.floor(i / perClass));
  const block = (name: string, dim: number, rows: number[][]): EvidenceBlock => ({ name, description: name, dim, data: Float32Array.from(rows.flat()) });
  const classes = ['g0', 'g1', 'g2', 'g3'];
  /** Blocks a, b and noise, each drawn fresh for every image, in that order. */
  const threeBlocks = () => [
    block(
      'a',
      8,
      Array.from(labels, (k) => sampleA(k)),
    ),
    block(
      'b',
      8,
      Array.from(labels, (k) => sampleB(k)),
    ),
    block(
      'noise',
      200,
      Array.from(labels, () => sampleNoise()),
    ),
  ];

  it('combines complementary blocks and gives a memorised noise block little weight', async () => {
    const model = await fitFusedClassifier(threeBlocks(), labels, classes);
    const [wa, wb, wn] = model.blocks.map((b) => b.weight);
    expect(wa).toBeGreaterThan(0.2);
    expect(wb).toBeGreaterThan(0.2);
    expect(wn).toBeLessThan(0.25 * Math.min(wa, wb));
    expect(model.heldOutAccuracy).toBeGreaterThan(0.6);
    expect(model.weighting).toContain('out-of-fold');

    let fused = 0;
    let aOnly = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const k = t % K;
      const a = sampleA(k);
      const lp = predictFusedLogProba(model, [a, sampleB(k), sampleNoise()]);
      expect(lp.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 6);
      if (lp.indexOf(Math.max(...lp)) === k) fused++;
      const la = predictLogProba(model.blocks[0].model, a);
      if (la.indexOf(Math.max(...la)) === k) aOnly++;
    }
    expect(aOnly / trials).toBeLessThan(0.6);
    expect(fused / trials).toBeGreaterThan(0.75);
  });

  it('stacks to the same weights and held-back logits preconditioned or not', async () => {
    // Block "a" (8 features, 160 images) is preconditioned by default, "noise" (200 features) is not.
    const blocks = threeBlocks();
    const auto = await fitFusedClassifier(blocks, labels, classes);
    const plain = await fitFusedClassifier(blocks, labels, classes, { precondition: false });
    auto.blocks.forEach((b, i) => expect(Math.abs(b.weight - plain.blocks[i].weight)).toBeLessThan(1e-3 * Math.max(1, plain.blocks[i].weight)));
    // The noise block took the plain path either way: the same model, to the bit.
    expect(Array.from(auto.blocks[2].model.weights)).toEqual(Array.from(plain.blocks[2].model.weights));
    auto.heldBack!.logProba.forEach((lp, i) =>
      lp.forEach((v, k) => expect(Math.abs(Math.exp(v) - Math.exp(plain.heldBack!.logProba[i][k]))).toBeLessThan(2e-3)),
    );
    expect(Math.abs(auto.bagTemperature!.exponent - plain.bagTemperature!.exponent)).toBeLessThan(1e-2);
  });

  it('fits a library with fewer images than twice the features exactly as before preconditioning', async () => {
    // The demo library's case (40 images per entry, 544–1,024 features): nothing is preconditioned.
    const blocks = [
      block(
        'wide',
        100,
        Array.from(labels, (k) => sampleA(k).concat(Array.from({ length: 92 }, () => gauss(rand)))),
      ),
      block(
        'noise',
        200,
        Array.from(labels, () => sampleNoise()),
      ),
    ];
    const auto = await fitFusedClassifier(blocks, labels, classes);
    const plain = await fitFusedClassifier(blocks, labels, classes, { precondition: false });
    expect(auto).toEqual(plain);
  });

  it('a single block is the plain softmax regression', async () => {
    const rows = Array.from(labels, (k) => sampleA(k).concat(sampleB(k)));
    const model = await fitFusedClassifier([block('ab', 16, rows)], labels, classes);
    expect(model.blocks[0].weight).toBe(1);
    expect(model.heldOutAccuracy).toBeNull();
    const x = sampleA(2).concat(sampleB(2));
    const want = predictLogProba(model.blocks[0].model, x);
    predictFusedLogProba(model, [x]).forEach((v, k) => expect(v).toBeCloseTo(want[k], 10));
  });

  it('uses the first block alone when an entry has too few images to weigh the others', async () => {
    const few = Int32Array.from([0, 0, 0, 1, 1, 1, 1, 1]);
    const model = await fitFusedClassifier(
      [
        block(
          'a',
          8,
          Array.from(few, (k) => sampleA(2 * k)),
        ),
        block(
          'noise',
          200,
          Array.from(few, () => sampleNoise()),
        ),
      ],
      few,
      ['x', 'y'],
    );
    expect(model.blocks.map((b) => b.weight)).toEqual([1, 0]);
    expect(model.weighting).toContain(`fewer than ${STACKING_FOLDS}`);
  });

  it('weighs the blocks on the first STACKING_MAX_PER_CLASS images of each entry only', async () => {
    const n = STACKING_MAX_PER_CLASS + 20;
    const many = Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? 0 : 1));
    const a = Array.from(many, (k) => sampleA(2 * k));
    const b = Array.from(many, (k) => sampleB(k));
    const fit = (rowsB: number[][]) => fitFusedClassifier([block('a', 8, a), block('b', 8, rowsB)], many, ['x', 'y']);
    // Changing images past the cap changes the full fits, but not the stacking weights.
    const changed = b.map((r, i) => (i % n >= STACKING_MAX_PER_CLASS ? r.map((v) => v + 5 * gauss(rand)) : r));
    const [w1, w2] = (await Promise.all([fit(b), fit(changed)])).map((m) => m.blocks.map((x) => x.weight));
    expect(w2).toEqual(w1);
    // …while changing one image inside the cap does change them.
    const inside = b.map((r, i) => (i === 3 ? r.map((v) => v + 5) : r));
    expect((await fit(inside)).blocks.map((x) => x.weight)).not.toEqual(w1);
  });

  it('rejects blocks that do not match the labels', async () => {
    await expect(fitFusedClassifier([block('a', 8, [sampleA(0)])], labels, classes)).rejects.toThrow(/does not match/);
    await expect(fitFusedClassifier([], labels, classes)).rejects.toThrow();
  });
});
