// The library's own correlation analysis and clustering: the library × library matrix of Eq. 5 on
// the entries' held-out enrolment residuals, and the hierarchical clustering into families (in the
// set-encoder's embedding space when every entry has bag embeddings, else on the Eq. 5 matrix).
import { createHash } from 'node:crypto';
import { centredCrop, centredOffset, type Planar } from '../residual/index.js';
import { clusterModels, clusterVectors } from '../cluster.js';
import { throwIfAborted } from '../util/abort.js';
import type { ClusteringResult, LabelledMatrix, ResidualFingerprint } from '../types.js';
import type { PreparedEntry, PreparedLibrary } from './prepared-library.js';

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

export function heldOutList(e: Pick<MatrixEntry, 'heldOutResiduals'>): Planar[] {
  const h = e.heldOutResiduals;
  if (!h || h.count === 0) return [];
  const plane = 3 * h.width * h.height;
  return Array.from({ length: h.count }, (_, i) => ({
    width: h.width,
    height: h.height,
    data: h.data.subarray(i * plane, (i + 1) * plane),
  }));
}

/** What the library × library matrix is computed from: each entry's name, fingerprint and held-out residuals. */
export type MatrixEntry = Pick<PreparedEntry, 'name' | 'fingerprint' | 'heldOutResiduals'>;

/**
 * A plane's centred w×h region in double precision with its sum of squares, accumulated in the
 * order corr() (residual/region.ts) uses, so that a dot product of two of them divided by the root
 * of the product of their sums of squares is exactly corr()'s value, bit for bit.
 */
interface CentredRegion {
  centred: Float64Array;
  sumSq: number;
}

function centredRegion(a: Planar, w: number, h: number): CentredRegion {
  const ox = centredOffset(a.width, w);
  const oy = centredOffset(a.height, h);
  const area = a.width * a.height;
  const centred = new Float64Array(3 * w * h);
  let i = 0;
  let sum = 0;
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++) {
      const row = c * area + (y + oy) * a.width + ox;
      for (let x = 0; x < w; x++) sum += centred[i++] = a.data[row + x];
    }
  const mean = sum / centred.length;
  let sumSq = 0;
  for (let k = 0; k < centred.length; k++) {
    const d = (centred[k] -= mean);
    sumSq += d * d;
  }
  return { centred, sumSq };
}

/** |corr| of two centred regions of the same size, as corr() computes it (0 where either is constant). */
function absCorr(a: CentredRegion, b: CentredRegion): number {
  if (a.sumSq <= 0 || b.sumSq <= 0) return 0;
  const x = a.centred;
  const y = b.centred;
  let s = 0;
  for (let k = 0; k < x.length; k++) s += x[k] * y[k];
  const r = s / Math.sqrt(a.sumSq * b.sumSq);
  return Math.abs(r > 1 ? 1 : r < -1 ? -1 : r);
}

let matricesComputed = 0;

/** How many library × library matrices this process has computed (tests use it to prove that an analysis of a fitted library computes none). */
export function libraryMatrixComputeCount(): number {
  return matricesComputed;
}

/** The fingerprints' centred regions, per entry and region size (usually one: held-out residuals are alike), made once and shared. */
export class FingerprintRegions {
  private readonly regions: Map<string, CentredRegion>[];
  constructor(private readonly entries: readonly Pick<MatrixEntry, 'fingerprint'>[]) {
    this.regions = entries.map(() => new Map());
  }
  get(j: number, w: number, h: number): CentredRegion {
    const key = `${w}x${h}`;
    let r = this.regions[j].get(key);
    if (!r) this.regions[j].set(key, (r = centredRegion(this.entries[j].fingerprint, w, h)));
    return r;
  }
}

/**
 * |corr(residual, fingerprint of entry j)| for each of entry i's held-out enrolment residuals (one
 * row per residual, one column per entry); on the diagonal the fingerprint excludes those
 * residuals, NaN where no such fingerprint is left. Every value is what corr() gives for the pair
 * (each region is centred once instead of once per pair; the sums run in the same order). Both
 * the library × library matrix and the calibration's left-out correlation test read these.
 */
export function heldOutAbsCorrelations(entries: readonly MatrixEntry[], i: number, fingerprints: FingerprintRegions): Float64Array[] {
  const held = heldOutList(entries[i]);
  if (held.length === 0) return [];
  const complement = complementFingerprint(entries[i].fingerprint, held);
  const complementRegions = new Map<string, CentredRegion>();
  return held.map((r) => {
    const residualRegions = new Map<string, CentredRegion>();
    return Float64Array.from(entries, (dst, j) => {
      const fp = j === i ? complement : dst.fingerprint;
      if (!fp) return NaN;
      const w = Math.min(r.width, fp.width);
      const h = Math.min(r.height, fp.height);
      const key = `${w}x${h}`;
      let a = residualRegions.get(key);
      if (!a) residualRegions.set(key, (a = centredRegion(r, w, h)));
      let b: CentredRegion | undefined;
      if (j === i) {
        b = complementRegions.get(key);
        if (!b) complementRegions.set(key, (b = centredRegion(fp, w, h)));
      } else b = fingerprints.get(j, w, h);
      return absCorr(a, b);
    });
  });
}

/**
 * Library × library matrix (Eq. 5): row i = mean over entry i's held-out enrolment residuals of
 * |corr(residual, fingerprint of entry j)|; on the diagonal the fingerprint excludes those residuals
 * (heldOutAbsCorrelations). Quadratic in the entries, so it is computed when the library changes
 * and stored in it (libraryMatrixKey); `signal` stops it between rows.
 */
export async function libraryMatrix(
  lib: { entries: readonly MatrixEntry[] },
  opts: { signal?: AbortSignal; onRow?: (done: number, total: number) => void } = {},
): Promise<LabelledMatrix> {
  matricesComputed++;
  const names = lib.entries.map((e) => e.name);
  const fingerprints = new FingerprintRegions(lib.entries);
  const values: number[][] = [];
  for (let i = 0; i < lib.entries.length; i++) {
    // A row takes up to a second for large libraries: let progress, cancellation and other work through.
    await new Promise((resolve) => setImmediate(resolve));
    throwIfAborted(opts.signal);
    const rows = heldOutAbsCorrelations(lib.entries, i, fingerprints);
    values.push(
      lib.entries.map((_, j) => {
        if (rows.length === 0) return NaN;
        let sum = 0;
        for (const row of rows) sum += row[j];
        return sum / rows.length;
      }),
    );
    opts.onRow?.(i + 1, lib.entries.length);
  }
  return labelled(names, names, values);
}

/**
 * Version of the matrix's computation: part of its key, so a release that computes it differently
 * never uses a matrix stored by an older one.
 */
export const LIBRARY_MATRIX_VERSION = 1;

/**
 * Digest of exactly what the matrix is computed from: the kind of residuals, and every entry's name,
 * fingerprint (with its image count, which the diagonal uses) and held-out residuals, in order.
 */
export function libraryMatrixKey(entries: readonly MatrixEntry[], residuals: string): string {
  const h = createHash('sha256').update(`library-matrix-v${LIBRARY_MATRIX_VERSION}|${residuals}|${entries.length}`);
  const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (const e of entries) {
    const fp = e.fingerprint;
    const held = e.heldOutResiduals;
    h.update(`\n${e.name.length}:${e.name}|fp ${fp.width}x${fp.height}x${fp.count}|held ${held ? `${held.width}x${held.height}x${held.count}` : 'none'}|`);
    h.update(bytes(fp.data));
    if (held) h.update(bytes(held.data));
  }
  return h.digest('hex');
}

/** The residual views of the library × library matrix: wavelet residuals, or the manifold projector's artifacts x − P(x). */
export type MatrixView = 'wavelet' | 'projector-artifacts';

/** One library × library matrix: its residual view, its key and what it is computed from. */
export interface MatrixPlan {
  view: MatrixView;
  key: string;
  entries: MatrixEntry[];
}

/** The plan for the matrix of entries as the view shows them (fingerprints and held-out residuals of that view). */
export function matrixPlan(view: MatrixView, entries: readonly MatrixEntry[]): MatrixPlan {
  const inputs = entries.map(({ name, fingerprint, heldOutResiduals }) => ({ name, fingerprint, heldOutResiduals }));
  return { view, key: libraryMatrixKey(inputs, view), entries: inputs };
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
