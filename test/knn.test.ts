// The kNN estimate of the manifold method: exact scan and the usearch HNSW index find the same
// neighbours, and the artifact is what the weighted neighbours do not explain.
import { describe, expect, it } from 'vitest';
import { buildNeighbourIndex, knnProjector } from '../src/engine/manifold/index.js';
import { createRandom } from '../src/engine/util/random.js';

function gaussianRows(n: number, dim: number, seed: number): Float32Array {
  const rand = createRandom(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  return out;
}

describe('nearest-neighbour search', () => {
  const dim = 24;
  const data = gaussianRows(600, dim, 3);
  const queries = gaussianRows(40, dim, 4);

  it('HNSW (usearch) finds the exact nearest neighbour for nearly every query', async () => {
    const exact = await buildNeighbourIndex(data, dim);
    const hnsw = await buildNeighbourIndex(data, dim, { forceHnsw: true });
    expect(exact.index.kind).toBe('exact scan');
    expect(hnsw.index.kind).toMatch(/HNSW/);
    let same = 0;
    for (let q = 0; q < 40; q++) {
      const x = exact.standardise(queries.subarray(q * dim, (q + 1) * dim));
      const a = exact.index.search(x, 1)[0];
      const b = hnsw.index.search(x, 1)[0];
      if (a.index === b.index) same++;
      expect(b.distance).toBeGreaterThanOrEqual(a.distance - 1e-3);
    }
    expect(same).toBeGreaterThanOrEqual(38);
  });

  it('exact search returns k ascending distances and honours the excluded row', async () => {
    const { index, standardise } = await buildNeighbourIndex(data, dim);
    const nn = index.search(standardise(data.subarray(0, dim)), 5);
    expect(nn[0]).toMatchObject({ index: 0 });
    expect(nn[0].distance).toBeCloseTo(0, 6);
    for (let i = 1; i < nn.length; i++) expect(nn[i].distance).toBeGreaterThanOrEqual(nn[i - 1].distance);
    expect(index.search(standardise(data.subarray(0, dim)), 5, 0).map((m) => m.index)).not.toContain(0);
  });
});

describe('kNN artifact φ(x) − Σ w φ(r)', () => {
  it('is (nearly) zero for a point of the reference set and not when that point is left out', async () => {
    const dim = 8;
    const ref = gaussianRows(50, dim, 9);
    const p = await knnProjector(ref, dim, 4);
    const x = ref.slice(7 * dim, 8 * dim);
    const inSet = p.artifact(x);
    const leftOut = p.artifact(x, 7);
    const norm = (v: Float32Array) => Math.hypot(...v);
    expect(norm(inSet)).toBeLessThan(1e-3 * norm(x));
    expect(norm(leftOut)).toBeGreaterThan(0.1 * norm(x));
  });
});
