// Verdict logic on hand-made evidence: the open-set tests' thresholds and exceedances, wording,
// and the mixture grouping of a mixed folder.
import { describe, expect, it } from 'vitest';
import { judge, type ImageEvidence } from '../src/engine/attribution/judge.js';
import { statementFor } from '../src/shared/wording.js';
import { groupByMixture } from '../src/engine/attribution/grouping.js';
import { createRandom, gaussian } from '../src/engine/util/random.js';
import { handMadeLibrary } from './helpers/hand-made-library.js';

const lib = handMadeLibrary();

function images(n: number, alpha: number, beta: number): ImageEvidence[] {
  return Array.from({ length: n }, (_, i) => ({
    relPath: `${i}.png`,
    sha256: String(i),
    corr: Float64Array.from([alpha, beta]),
    logProba: null,
    novelty: null,
    features: null,
  }));
}

describe('residual verdicts and the open-set test', () => {
  it('attributes at the calibrated level with exceedance −1, and says "consistent with", never "proves"', async () => {
    const v = await judge(lib, images(10, 0.1, 0.02), 'residual', null);
    expect(v.label).toBe('alpha');
    expect(v.unknown).toBe(false);
    expect(v.openSet.kind).toBe('correlation');
    expect(v.openSet.unknownScore).toBeCloseTo(-1, 10);
    expect(v.margin).toBeCloseTo(0.08, 10);
    expect(v.statement).toMatch(/consistent with the library entry alpha/);
    expect(v.statement).not.toMatch(/prove|certain/i);
  });

  it('flags unknown below c0 − max(3s/√n, 0.25 c0) and not above it', async () => {
    // n = 9: band = max(3·0.03/3, 0.025) = 0.03 → threshold 0.07.
    const below = await judge(lib, images(9, 0.069, 0.01), 'residual', null);
    const above = await judge(lib, images(9, 0.071, 0.01), 'residual', null);
    expect(below.openSet.threshold).toBeCloseTo(0.07, 10);
    expect(below.unknown).toBe(true);
    expect(below.label).toBeNull();
    expect(below.statement).toMatch(/not consistent with any generator/);
    expect(above.unknown).toBe(false);
  });

  it('calls a single image weak evidence and falls back to the residual method without a classifier', async () => {
    const v = await judge(lib, images(1, 0.2, 0.01), 'dsf', null);
    expect(v.method).toBe('residual');
    expect(v.explanation).toMatch(/fell back to the residual method/);
    expect(v.statement).toMatch(/weakly consistent/);
    expect(statementFor({ ...v, mixed: true }, 'alpha')).toMatch(/do not form one consistent set/);
  });
});

describe('mixture grouping', () => {
  const one = (k: number, p: number) => Float64Array.from([0, 1, 2], (j) => (j === k ? p : (1 - p) / 2));
  it('keeps a noisy pure folder in one group', () => {
    // 60 % of single images point to entry 0, the rest scatter over the others.
    const rows = Array.from({ length: 20 }, (_, i) => (i % 5 < 3 ? one(0, 0.7) : one(1 + (i % 2), 0.5)));
    const g = groupByMixture(rows);
    expect(g.componentOf).toEqual([0]);
    expect(new Set(g.groupOf)).toEqual(new Set([0]));
  });

  it('estimates the proportions as the textbook EM update does', () => {
    // π'_k = (1/n) Σ_i π_k r_ik / Σ_j π_j r_ij on rows normalised to sum 1, to the same stopping rule.
    const rand = createRandom(11);
    const K = 30;
    const rows = Array.from({ length: 25 }, (_, i) =>
      Float64Array.from({ length: K }, (_, k) => Math.exp(gaussian(rand) + (k === i % 3 ? 6 : 0)) * (1 + (i % 7))),
    );
    const norm = rows.map((r) => Float64Array.from(r, (v) => v / r.reduce((a, b) => a + b, 0)));
    let pi = new Float64Array(K).fill(1 / K);
    for (let it = 0; it < 200; it++) {
      const next = new Float64Array(K);
      for (const r of norm) {
        const z = r.reduce((s, v, k) => s + pi[k] * v, 0);
        for (let k = 0; k < K; k++) next[k] += (pi[k] * r[k]) / z / norm.length;
      }
      const delta = Math.max(...next.map((v, k) => Math.abs(v - pi[k])));
      pi = next;
      if (delta < 1e-7) break;
    }
    const g = groupByMixture(rows, { minShare: 0.1, minImages: 3 });
    expect([...g.componentOf].sort()).toEqual([0, 1, 2]);
    g.componentOf.forEach((k, i) => expect(g.proportions[i]).toBeCloseTo(pi[k], 9));
    rows.forEach((_, i) => expect(g.componentOf[g.groupOf[i]]).toBe(i % 3));
  });

  it('splits a half-and-half folder into two groups', () => {
    const rows = Array.from({ length: 20 }, (_, i) => (i < 10 ? one(0, 0.9) : one(2, 0.9)));
    const g = groupByMixture(rows);
    expect([...g.componentOf].sort()).toEqual([0, 2]);
    expect(g.groupOf.slice(0, 10).every((x) => x === g.groupOf[0])).toBe(true);
    expect(g.groupOf.slice(10).every((x) => x !== g.groupOf[0])).toBe(true);
  });
});
