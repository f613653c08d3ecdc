// The library's own correlation analysis and clustering: the library × library matrix of Eq. 5 on
// the entries' held-out enrolment residuals, and the hierarchical clustering into families (in the
// set-encoder's embedding space when every entry has bag embeddings, else on the Eq. 5 matrix).
import { centredCrop, corr, type Planar } from '../residual/index.js';
import { clusterModels, clusterVectors } from '../cluster.js';
import type { ClusteringResult, LabelledMatrix, ResidualFingerprint } from '../types.js';
import type { PreparedLibrary } from './prepared-library.js';

export function labelled(rows: string[], cols: string[], values: number[][]): LabelledMatrix {
  return { rows, cols, values };
}

/**
 * An entry's fingerprint with its held-out residuals' share taken out again, on their common centred
 * region: Eq. 5 needs images that did not shape the fingerprint they are compared with, and the
 * stored fingerprint averages all enrolment images (the held-out ones included).
 */
export function complementFingerprint(fp: ResidualFingerprint, held: Planar[]): Planar | null {
  if (fp.count <= held.length) return null;
  const w = Math.min(fp.width, ...held.map((r) => r.width));
  const h = Math.min(fp.height, ...held.map((r) => r.height));
  const sum = Float32Array.from(centredCrop(fp, w, h).data, (v) => v * fp.count);
  for (const r of held) {
    const c = centredCrop(r, w, h).data;
    for (let i = 0; i < sum.length; i++) sum[i] -= c[i];
  }
  const n = fp.count - held.length;
  for (let i = 0; i < sum.length; i++) sum[i] /= n;
  return { width: w, height: h, data: sum };
}

export function heldOutList(e: PreparedLibrary['entries'][number]): Planar[] {
  const h = e.heldOutResiduals;
  if (!h || h.count === 0) return [];
  const plane = 3 * h.width * h.height;
  return Array.from({ length: h.count }, (_, i) => ({
    width: h.width,
    height: h.height,
    data: h.data.subarray(i * plane, (i + 1) * plane),
  }));
}

/**
 * Library × library matrix (Eq. 5): row i = mean over entry i's held-out enrolment residuals of
 * |corr(residual, fingerprint of entry j)|; on the diagonal the fingerprint excludes those residuals.
 */
export function libraryMatrix(lib: PreparedLibrary): LabelledMatrix {
  const names = lib.entries.map((e) => e.name);
  const values = lib.entries.map((src) => {
    const held = heldOutList(src);
    return lib.entries.map((dst) => {
      if (held.length === 0) return NaN;
      const fp = dst === src ? complementFingerprint(dst.fingerprint, held) : dst.fingerprint;
      if (!fp) return NaN;
      return held.reduce((s, r) => s + Math.abs(corr(r, fp)), 0) / held.length;
    });
  });
  return labelled(names, names, values);
}

export function clusterLibrary(lib: PreparedLibrary, libMatrix: LabelledMatrix): ClusteringResult | null {
  if (lib.entries.length < 2) return null;
  // With a set-encoder, models are compared in its learned embedding space (paper Sec. 4.2);
  // otherwise on the residual correlation matrix.
  const centroids = lib.entries.map((e) => (e.bagEmbeddings ? embeddingCentroid(e.bagEmbeddings) : null));
  if (centroids.every((c) => c !== null)) return { ...clusterVectors(centroids as number[][], libMatrix.rows, 'average'), space: 'embeddings' };
  if (libMatrix.values.flat().some((v) => !Number.isFinite(v))) return null;
  return { ...clusterModels(libMatrix, 'average'), space: 'residual-correlation' };
}

export function embeddingCentroid(b: { dim: number; count: number; data: Float32Array }): number[] {
  const c = new Array(b.dim).fill(0);
  for (let i = 0; i < b.count; i++) for (let d = 0; d < b.dim; d++) c[d] += b.data[i * b.dim + d] / b.count;
  return c;
}
