import { describe, expect, it } from 'vitest';
import { FingerprintBank, correlationMatrix, decorrelationScore, diagonalContrast, perImageCorrelations } from '../src/engine/correlation.js';
import { computeResidual, fingerprintFromResiduals } from '../src/engine/residual/index.js';
import type { Canvas, LabelledMatrix } from '../src/engine/types.js';
import { createRandom as mulberry32, gaussian as gauss } from '../src/engine/util/random.js';

/**
 * A toy "generator": every image is random smooth content + random sensor-like noise + the
 * generator's own fixed periodic pattern (a random zero-mean tile) at low amplitude (0.75/255, under half the per-image noise).
 */
function makeGenerator(seed: number, period: number) {
  const rand = mulberry32(seed);
  const tile = new Float32Array(3 * period * period);
  for (let i = 0; i < tile.length; i++) tile[i] = gauss(rand);
  for (let c = 0; c < 3; c++) {
    let m = 0;
    for (let i = 0; i < period * period; i++) m += tile[c * period * period + i];
    for (let i = 0; i < period * period; i++) tile[c * period * period + i] -= m / (period * period);
  }
  const amp = 0.75 / 255;
  return (imageSeed: number, width: number, height: number): Canvas => {
    const r = mulberry32(imageSeed);
    const data = new Float32Array(3 * width * height);
    for (let c = 0; c < 3; c++) {
      const fx = (r() * 2 - 1) * 0.1;
      const fy = (r() * 2 - 1) * 0.1;
      const ph = r() * 6.28;
      const base = 0.3 + 0.4 * r();
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const t = tile[c * period * period + (y % period) * period + (x % period)];
          const v = base + 0.15 * Math.sin(fx * x + fy * y + ph) + amp * t + (2 / 255) * gauss(r);
          data[c * width * height + y * width + x] = v;
        }
      }
    }
    return { width, height, data };
  };
}

describe('correlation analysis (Eq. 3–5) on synthetic generators', () => {
  it('fingerprints from 30 images correlate most with held-out images of their own generator', () => {
    const gens = [
      { label: 'gen-a', make: makeGenerator(101, 8) },
      { label: 'gen-b', make: makeGenerator(202, 8) },
      { label: 'gen-c', make: makeGenerator(303, 4) },
      { label: 'gen-d', make: makeGenerator(404, 16) },
    ];
    // Mixed sizes on both sides: all comparisons happen on the common centred region. The patterns
    // are anchored at the top-left corner, so sizes differ by multiples of 2 × the longest period
    // to keep the centred crops in phase (see docs/method.md).
    const sizes = [
      [64, 64],
      [96, 64],
      [64, 96],
    ];
    const fingerprints = gens.map((g, gi) => {
      const residuals = Array.from({ length: 30 }, (_, n) => {
        const [w, h] = sizes[n % sizes.length];
        return computeResidual(g.make(gi * 10_000 + n, w, h));
      });
      return { label: g.label, fingerprint: fingerprintFromResiduals(residuals) };
    });
    expect(fingerprints.every((f) => f.fingerprint.width === 64 && f.fingerprint.height === 64)).toBe(true);
    const sources = gens.map((g, gi) => ({
      label: g.label,
      residuals: Array.from({ length: 10 }, (_, n) => computeResidual(g.make(gi * 10_000 + 5_000 + n, 96, 96))),
    }));
    const m = correlationMatrix(sources, fingerprints);
    expect(m.rows).toEqual(gens.map((g) => g.label));
    expect(m.cols).toEqual(gens.map((g) => g.label));
    console.log('Eq. 4 matrix (rows = held-out sources, cols = fingerprints):');
    for (let i = 0; i < m.rows.length; i++) console.log(`  ${m.rows[i]}  ${m.values[i].map((v) => v.toFixed(3)).join('  ')}`);
    for (let i = 0; i < m.rows.length; i++) {
      const own = m.values[i][i];
      const others = m.values[i].filter((_, j) => j !== i);
      expect(own).toBeGreaterThan(2 * Math.max(...others));
    }
    const contrast = diagonalContrast(m);
    expect(contrast).toBeGreaterThan(0.05);
    // Eq. 6 as printed: closer to I is lower; the matrix is far from I (diagonal ≪ 1) but finite.
    const score = decorrelationScore(m);
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThan(1 / 4);

    // Eq. 3 per image agrees with the Eq. 4 means.
    const row0 = sources[0].residuals.map((r) => perImageCorrelations(r, fingerprints));
    for (let j = 0; j < fingerprints.length; j++) {
      const mean = row0.reduce((s, r) => s + r[j], 0) / row0.length;
      expect(mean).toBeCloseTo(m.values[0][j], 10);
    }
    expect(row0.flat().every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('a source without residuals gives a NaN row, not zeros', () => {
    const make = makeGenerator(7, 8);
    const fp = fingerprintFromResiduals([computeResidual(make(1, 32, 32)), computeResidual(make(2, 32, 32))]);
    const m = correlationMatrix(
      [
        { label: 'empty', residuals: [] },
        { label: 'one', residuals: [computeResidual(make(3, 32, 32))] },
      ],
      [{ label: 'x', fingerprint: fp }],
    );
    expect(Number.isNaN(m.values[0][0])).toBe(true);
    expect(m.values[1][0]).toBeGreaterThan(0);
  });
});

describe('Eq. 6 decorrelation score and diagonal contrast', () => {
  const square = (n: number, f: (i: number, j: number) => number) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => f(i, j)));

  it('identity: score 0 (the ideal), contrast 1', () => {
    const I = square(4, (i, j) => (i === j ? 1 : 0));
    expect(decorrelationScore(I)).toBe(0);
    expect(diagonalContrast(I)).toBe(1);
  });

  it('all ones: score √(M²−M)/M², contrast 0', () => {
    for (const M of [2, 4, 7]) {
      const ones = square(M, () => 1);
      expect(decorrelationScore(ones)).toBeCloseTo(Math.sqrt(M * M - M) / (M * M), 12);
      expect(diagonalContrast(ones)).toBe(0);
    }
  });

  it('all zeros gives the largest score for entries in [0,1]: √M/M² (≤ 1/M, never 1 + 2/M)', () => {
    const M = 5;
    const zeros = square(M, () => 0);
    expect(decorrelationScore(zeros)).toBeCloseTo(Math.sqrt(M) / (M * M), 12);
    const rand = mulberry32(1);
    for (let t = 0; t < 50; t++) {
      const m = square(M, () => rand());
      expect(decorrelationScore(m)).toBeLessThanOrEqual(1 / M);
    }
  });

  it('off-diagonal larger than diagonal: contrast negative', () => {
    const m = square(3, (i, j) => (i === j ? 0.05 : 0.2));
    expect(diagonalContrast(m)).toBeCloseTo(-0.15, 12);
  });

  it('rectangular evidence × library tables match rows to columns by label', () => {
    const t: LabelledMatrix = {
      rows: ['B', 'A'],
      cols: ['A', 'B', 'C'],
      values: [
        [0, 1, 0],
        [1, 0, 0],
      ],
    };
    expect(decorrelationScore(t)).toBe(0);
    expect(diagonalContrast(t)).toBe(1);
    const u: LabelledMatrix = {
      ...t,
      values: [
        [0.1, 0.3, 0.1],
        [0.2, 0.1, 0.1],
      ],
    };
    // ‖ρ − I‖: own entries 0.3 and 0.2 differ by 0.7 and 0.8; the rest as is; over 2·3 entries.
    const expected = Math.sqrt(0.7 ** 2 + 0.8 ** 2 + 0.1 ** 2 * 4) / 6;
    expect(decorrelationScore(u)).toBeCloseTo(expected, 12);
    expect(diagonalContrast(u)).toBeCloseTo(0.25 - 0.1, 12);
    // No row matches any column: contrast is undefined.
    expect(Number.isNaN(diagonalContrast({ rows: ['X'], cols: ['A', 'B'], values: [[0.1, 0.2]] }))).toBe(true);
  });

  it('a plain number[][] must be square', () => {
    expect(() => decorrelationScore([[1, 0, 0]])).toThrow(RangeError);
  });
});

describe('FingerprintBank (Eq. 3 for many images against one library)', () => {
  it('gives perImageCorrelations for residuals of every size against fingerprints of other sizes, constant ones included', () => {
    const rand = mulberry32(3);
    const plane = (w: number, h: number, scale = 1) => ({ width: w, height: h, data: Float32Array.from({ length: 3 * w * h }, () => scale * gauss(rand)) });
    const shared = plane(64, 64);
    const fingerprints = [plane(64, 64), plane(48, 40), { width: 32, height: 32, data: new Float32Array(3 * 32 * 32).fill(0.5) }, shared];
    const bank = new FingerprintBank(fingerprints);
    const residuals = [plane(64, 64), plane(30, 70), plane(100, 20), { ...shared, data: Float32Array.from(shared.data, (v) => -2 * v + 0.1) }];
    for (const r of residuals) {
      const want = perImageCorrelations(r, fingerprints);
      const got = bank.absCorrelations(r);
      want.forEach((v, k) => expect(Math.abs(got[k] - v)).toBeLessThan(1e-6));
    }
    expect(bank.absCorrelations(residuals[3])[3]).toBeCloseTo(1, 6); // an affine copy correlates perfectly
    expect(bank.absCorrelations(residuals[0])[2]).toBe(0); // constant fingerprint: no evidence
    expect(() => bank.absCorrelations({ width: 4, height: 4, data: new Float32Array(5) })).toThrow(RangeError);
  });
});
