import { describe, expect, it } from 'vitest';
import { clusterDistances, clusterModels, clusterPurity, clusterVectors, copheneticDistances, cutTree, similarityToDistance } from '../src/engine/cluster.js';
import type { DendrogramNode, LabelledMatrix, Linkage } from '../src/engine/types.js';
import { createRandom as mulberry32 } from '../src/engine/util/random.js';

const LINKAGES: Linkage[] = ['average', 'complete', 'ward'];

/**
 * A block-structured similarity: 3 families (sizes 4, 3, 2) shuffled among 9 models; within a
 * family ≈ 0.15, across ≈ 0.03, self ≈ 0.25, plus noise and a little asymmetry (as in a real
 * Eq. 5 matrix, where ρ_ij ≠ ρ_ji).
 */
function blockSimilarity(seed: number) {
  const rand = mulberry32(seed);
  const families = ['vae', 'vae', 'vae', 'vae', 'gan', 'gan', 'gan', 'flow', 'flow'];
  const perm = families.map((_, i) => i).sort(() => rand() - 0.5);
  const fam = perm.map((p) => families[p]);
  const labels = fam.map((f, i) => `${f}-${i}`);
  const values = fam.map((fi, i) => fam.map((fj, j) => (i === j ? 0.25 : fi === fj ? 0.15 : 0.03) + (rand() - 0.5) * 0.02));
  const m: LabelledMatrix = { rows: labels, cols: labels, values };
  return { m, fam };
}

function leafCount(n: DendrogramNode): number {
  return n.children ? n.children.reduce((s, c) => s + leafCount(c), 0) : 1;
}

function heightsMonotone(n: DendrogramNode): boolean {
  return (n.children ?? []).every((c) => c.height <= n.height && heightsMonotone(c));
}

describe('hierarchical clustering of models', () => {
  for (const linkage of LINKAGES) {
    it(`recovers the blocks of a block-structured similarity matrix (${linkage})`, () => {
      for (const seed of [1, 2, 3]) {
        const { m, fam } = blockSimilarity(seed);
        const r = clusterModels(m, linkage);
        expect(r.linkage).toBe(linkage);
        expect(r.labels).toEqual(m.rows);
        expect([...r.order].sort((a, b) => a - b)).toEqual(fam.map((_, i) => i));
        expect(leafCount(r.tree)).toBe(fam.length);
        expect(heightsMonotone(r.tree)).toBe(true);
        // Leaf order keeps each family contiguous, so the sorted heatmap shows blocks.
        const ordered = r.order.map((i) => fam[i]);
        const runs = ordered.filter((f, i) => i === 0 || f !== ordered[i - 1]);
        expect(runs.length).toBe(3);
        expect(clusterPurity(r, fam, 3)).toBe(1);
        expect(clusterPurity(r, fam, 1)).toBeCloseTo(4 / 9, 12);
        expect(r.copheneticCorrelation).toBeGreaterThanOrEqual(-1);
        expect(r.copheneticCorrelation).toBeLessThanOrEqual(1);
        expect(r.copheneticCorrelation).toBeGreaterThan(0.9);
      }
    });
  }

  it('cutTree gives k clusters, each a family, numbered in leaf order', () => {
    const { m, fam } = blockSimilarity(4);
    const r = clusterModels(m, 'average');
    const cut = cutTree(r, 3);
    expect(new Set(cut).size).toBe(3);
    for (let i = 0; i < fam.length; i++) {
      for (let j = 0; j < fam.length; j++) expect(cut[i] === cut[j]).toBe(fam[i] === fam[j]);
    }
    expect(r.order.map((i) => cut[i])).toEqual([...r.order.map((i) => cut[i])].sort((a, b) => a - b));
    expect(new Set(cutTree(r, 1)).size).toBe(1);
    expect(new Set(cutTree(r, 9)).size).toBe(9);
    expect(new Set(cutTree(r, 50)).size).toBe(9);
  });

  it('heights and cophenetic correlation match a hand computation (average linkage)', () => {
    // d(a,b) = 1, d(a,c) = 4, d(b,c) = 5: merge a,b at 1, then {a,b}–c at (4 + 5)/2 = 4.5.
    const d = [
      [0, 1, 4],
      [1, 0, 5],
      [4, 5, 0],
    ];
    const r = clusterDistances(d, ['a', 'b', 'c'], 'average');
    expect(r.tree.height).toBeCloseTo(4.5, 12);
    const coph = copheneticDistances(r.tree, 3);
    expect(coph[0][1]).toBeCloseTo(1, 12);
    expect(coph[0][2]).toBeCloseTo(4.5, 12);
    expect(coph[1][2]).toBeCloseTo(4.5, 12);
    const x = [1, 4, 5];
    const y = [1, 4.5, 4.5];
    const mx = 10 / 3;
    const my = 10 / 3;
    const num = x.reduce((s, v, i) => s + (v - mx) * (y[i] - my), 0);
    const den = Math.sqrt(x.reduce((s, v) => s + (v - mx) ** 2, 0) * y.reduce((s, v) => s + (v - my) ** 2, 0));
    expect(r.copheneticCorrelation).toBeCloseTo(num / den, 12);
    // Complete linkage merges at the max instead.
    expect(clusterDistances(d, ['a', 'b', 'c'], 'complete').tree.height).toBeCloseTo(5, 12);
  });

  it("'ward' is Ward's criterion on Euclidean distances (ward.D2), not Lance–Williams on raw distances", () => {
    // Points 0, 1, 10 on a line: {0,1} merge at 1; Ward distance to {10} = √(2·2·1/3)·|0.5 − 10|.
    const r = clusterVectors([[0], [1], [10]], ['p', 'q', 'r'], 'ward');
    expect(r.tree.height).toBeCloseTo(Math.sqrt(4 / 3) * 9.5, 10);
    const lower = r.tree.children!.find((c) => c.children)!;
    expect(lower.height).toBeCloseTo(1, 12);
  });

  it('clusterVectors separates Gaussian blobs of embeddings', () => {
    const rand = mulberry32(8);
    const centres = [
      [0, 0, 0, 0],
      [5, 5, 0, 0],
      [0, 5, 5, 5],
    ];
    const vectors: Float32Array[] = [];
    const fam: string[] = [];
    for (let k = 0; k < 12; k++) {
      const c = centres[k % 3];
      vectors.push(Float32Array.from(c, (v) => v + (rand() - 0.5)));
      fam.push(`f${k % 3}`);
    }
    for (const linkage of LINKAGES) {
      const r = clusterVectors(
        vectors,
        fam.map((f, i) => `${f}-${i}`),
        linkage,
      );
      expect(clusterPurity(r, fam, 3)).toBe(1);
      expect(r.copheneticCorrelation).toBeGreaterThan(0.9);
    }
  });

  it('similarity → distance: symmetrised, scaled by self-similarity, zero diagonal, ≥ 0', () => {
    const s = [
      [0.3, 0.1, 0.0],
      [0.2, 0.05, 0.06],
      [0.0, 0.02, 0.1],
    ];
    const d = similarityToDistance(s);
    expect(d[0][0]).toBe(0);
    expect(d[0][2]).toBeCloseTo(1, 12);
    expect(d[2][1]).toBe(d[1][2]);
    // (0.06 + 0.02)/2 = 0.04 over √(0.05·0.1) ≈ 0.0707 → 0.434
    expect(d[1][2]).toBeCloseTo(1 - 0.04 / Math.sqrt(0.005), 12);
    expect(d.flat().every((v) => v >= 0)).toBe(true);
    // 0.15 > √(0.3·0.05) ≈ 0.122: clamped to 0, not negative.
    expect(d[0][1]).toBe(0);
  });

  it('rejects non-square or non-finite input and handles tiny inputs', () => {
    expect(() => clusterModels({ rows: ['a'], cols: ['a', 'b'], values: [[1, 0]] }, 'average')).toThrow(RangeError);
    expect(() =>
      clusterModels(
        {
          rows: ['a', 'b'],
          cols: ['a', 'b'],
          values: [
            [1, NaN],
            [0, 1],
          ],
        },
        'average',
      ),
    ).toThrow(RangeError);
    const two = clusterModels(
      {
        rows: ['a', 'b'],
        cols: ['a', 'b'],
        values: [
          [1, 0.5],
          [0.5, 1],
        ],
      },
      'ward',
    );
    expect(two.order).toEqual([0, 1]);
    expect(two.tree.height).toBeCloseTo(0.5, 12);
    expect(two.copheneticCorrelation).toBe(1);
    const one = clusterVectors([[1, 2]], ['solo'], 'average');
    expect(one.order).toEqual([0]);
    expect(one.tree.label).toBe('solo');
  });
});
