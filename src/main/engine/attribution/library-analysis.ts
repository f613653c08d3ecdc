// The library's own correlation analysis and clustering: the library × library matrix of Eq. 5 on
// the entries' held-out enrolment residuals, and the hierarchical clustering into families (in the
// set-encoder's embedding space when every entry has bag embeddings, else on the Eq. 5 matrix).
import { corr } from '../residual/index.js';
import { clusterModels, clusterVectors } from '../cluster.js';
import type { ClusteringResult, LabelledMatrix } from '../types.js';
import type { PreparedLibrary } from './prepared-library.js';

export function labelled(rows: string[], cols: string[], values: number[][]): LabelledMatrix {
  return { rows, cols, values };
}

/** Library × library matrix (Eq. 5) on the entries' held-out enrolment residuals. */
export function libraryMatrix(lib: PreparedLibrary): LabelledMatrix {
  const names = lib.entries.map((e) => e.name);
  const values = lib.entries.map((src) => {
    const h = src.heldOutResiduals;
    return lib.entries.map((dst) => {
      if (!h || h.count === 0) return NaN;
      let s = 0;
      const plane = 3 * h.width * h.height;
      for (let i = 0; i < h.count; i++) {
        const r = { width: h.width, height: h.height, data: h.data.subarray(i * plane, (i + 1) * plane) };
        s += Math.abs(corr(r, dst.fingerprint));
      }
      return s / h.count;
    });
  });
  return labelled(names, names, values);
}

export function clusterLibrary(lib: PreparedLibrary, libMatrix: LabelledMatrix): ClusteringResult | null {
  if (lib.entries.length < 2) return null;
  // With a set-encoder, models are compared in its learned embedding space (paper Sec. 4.2);
  // otherwise on the residual correlation matrix.
  const centroids = lib.entries.map((e) => (e.bagEmbeddings ? embeddingCentroid(e.bagEmbeddings) : null));
  if (centroids.every((c) => c !== null)) return clusterVectors(centroids as number[][], libMatrix.rows, 'average');
  if (libMatrix.values.flat().some((v) => !Number.isFinite(v))) return null;
  return clusterModels(libMatrix, 'average');
}

export function embeddingCentroid(b: { dim: number; count: number; data: Float32Array }): number[] {
  const c = new Array(b.dim).fill(0);
  for (let i = 0; i < b.count; i++) for (let d = 0; d < b.dim; d++) c[d] += b.data[i * b.dim + d] / b.count;
  return c;
}
