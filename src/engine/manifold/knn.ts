// The nearest-neighbour estimate of the manifold method (ManiFPT's practical estimate): an image's
// projection onto the real-image manifold is the weighted mean of its k nearest images in a real
// reference set, and its artifact is what is left, artifact = φ(x) − Σ_k w_k φ(r_k).
//
// Feature space: the set-encoder's φ features, standardised with the reference set's per-dimension
// spread so that no feature dominates the distance. Pixels were the other option; in pixel space the
// nearest real image of a generated scene is a different scene, and the difference is content, not
// fingerprint (measured: docs/method.md).
//
// Search: exact scan for reference sets up to HNSW_THRESHOLD vectors (a few milliseconds there, and
// exact), above it an HNSW index from usearch (a maintained native library with prebuilt binaries).
// Where usearch cannot load (a platform without a prebuild), the exact scan runs and the result says so.
import { DEFAULT_MANIFOLD_K } from '../types.js';
import { columnMoments } from '../util/stats.js';

export const DEFAULT_K = DEFAULT_MANIFOLD_K;
export const HNSW_THRESHOLD = 5000;

export interface Neighbour {
  index: number;
  distance: number;
}

export interface NeighbourIndex {
  /** 'exact scan' or 'HNSW (usearch …)', reported with every result. */
  kind: string;
  size: number;
  /** The k nearest rows to q (squared Euclidean distance in the standardised space), `exclude` left out. */
  search(q: Float32Array, k: number, exclude?: number): Neighbour[];
}

interface UsearchModule {
  Index: new (opts: { metric: string; connectivity: number; dimensions: number }) => {
    add(keys: bigint, vector: Float32Array): void;
    search(q: Float32Array, k: number): { keys: BigUint64Array; distances: Float32Array };
  };
}

async function loadUsearch(): Promise<UsearchModule | null> {
  try {
    const mod = (await import('usearch')) as unknown as { default?: UsearchModule } & UsearchModule;
    return mod.default ?? mod;
  } catch {
    return null;
  }
}

/** A nearest-neighbour index over the rows of `data` (count × dim), in a space standardised by them. */
export async function buildNeighbourIndex(
  data: Float32Array,
  dim: number,
  opts: { forceHnsw?: boolean } = {},
): Promise<{
  index: NeighbourIndex;
  standardise: (x: Float32Array) => Float32Array;
}> {
  const n = data.length / dim;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`neighbour index: ${data.length} values are not rows of ${dim}`);
  const { mean, sumSq } = columnMoments(data, dim);
  const scale = new Float64Array(dim);
  for (let d = 0; d < dim; d++) scale[d] = 1 / Math.sqrt(sumSq[d] / Math.max(1, n - 1) + 1e-12);
  const standardise = (x: Float32Array) => {
    const out = new Float32Array(dim);
    for (let d = 0; d < dim; d++) out[d] = (x[d] - mean[d]) * scale[d];
    return out;
  };
  const rows = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) rows.set(standardise(data.subarray(i * dim, (i + 1) * dim)), i * dim);

  const exact: NeighbourIndex = {
    kind: 'exact scan',
    size: n,
    search(q, k, exclude) {
      const best: Neighbour[] = [];
      for (let i = 0; i < n; i++) {
        if (i === exclude) continue;
        let s = 0;
        const o = i * dim;
        for (let d = 0; d < dim; d++) {
          const v = q[d] - rows[o + d];
          s += v * v;
        }
        if (best.length < k || s < best[best.length - 1].distance) {
          best.push({ index: i, distance: s });
          best.sort((a, b) => a.distance - b.distance);
          if (best.length > k) best.pop();
        }
      }
      return best;
    },
  };
  if (n <= HNSW_THRESHOLD && !opts.forceHnsw) return { index: exact, standardise };

  const usearch = await loadUsearch();
  if (!usearch) return { index: { ...exact, kind: 'exact scan (usearch unavailable on this platform)' }, standardise };
  const hnsw = new usearch.Index({ metric: 'l2sq', connectivity: 16, dimensions: dim });
  for (let i = 0; i < n; i++) hnsw.add(BigInt(i), rows.subarray(i * dim, (i + 1) * dim));
  return {
    standardise,
    index: {
      kind: 'HNSW (usearch, connectivity 16)',
      size: n,
      search(q, k, exclude) {
        const r = hnsw.search(q, Math.min(n, k + (exclude === undefined ? 0 : 1)));
        const out: Neighbour[] = [];
        for (let j = 0; j < r.keys.length && out.length < k; j++) {
          const index = Number(r.keys[j]);
          if (index !== exclude) out.push({ index, distance: r.distances[j] });
        }
        return out;
      },
    },
  };
}

export interface KnnProjector {
  indexKind: string;
  k: number;
  referenceSize: number;
  /** φ(x) − Σ w_k φ(r_k); `selfIndex` excludes a reference image from its own projection. */
  artifact(features: Float32Array, selfIndex?: number): Float32Array;
}

/**
 * Projection onto the real manifold as the inverse-distance-weighted mean of the k nearest reference
 * features (raw φ, so the artifact lives in the feature space the classifier uses).
 */
export async function knnProjector(reference: Float32Array, dim: number, k = DEFAULT_K, opts: { forceHnsw?: boolean } = {}): Promise<KnnProjector> {
  const { index, standardise } = await buildNeighbourIndex(reference, dim, opts);
  const kk = Math.max(1, Math.min(k, index.size - 1 || 1));
  return {
    indexKind: index.kind,
    k: kk,
    referenceSize: index.size,
    artifact(x, selfIndex) {
      const nn = index.search(standardise(x), kk, selfIndex);
      const w = nn.map((m) => 1 / (Math.sqrt(m.distance) + 1e-6));
      const total = w.reduce((a, b) => a + b, 0);
      const out = Float32Array.from(x);
      nn.forEach((m, j) => {
        const o = m.index * dim;
        const wj = w[j] / total;
        for (let d = 0; d < dim; d++) out[d] -= wj * reference[o + d];
      });
      return out;
    },
  };
}
