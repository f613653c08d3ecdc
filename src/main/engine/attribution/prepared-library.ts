// The library in the form attribution needs: fingerprints, per-entry feature statistics for the
// open-set test, the bag embeddings for Eq. 1, and the classifier over the entries — fitted on the
// enrolled per-image φ features whenever the library's content changes.
import { createHash } from 'node:crypto';
import { fitSoftmaxRegression, type SoftmaxRegressionModel } from '../classifier/softmax-regression.js';
import { columnMoments } from '../util/stats.js';
import type { EntryCalibration, LibraryEntry, ResidualFingerprint } from '../types.js';

export interface PreparedEntry {
  id: number;
  name: string;
  family: string;
  fingerprint: ResidualFingerprint;
  calibration: EntryCalibration;
  /** Per-dimension mean and variance of the entry's enrolment φ features (open-set test). */
  featureMean?: Float64Array;
  featureVar?: Float64Array;
  featureCount: number;
  bagEmbeddings?: { dim: number; count: number; data: Float32Array };
  heldOutResiduals?: LibraryEntry['heldOutResiduals'];
}

export interface PreparedLibrary {
  entries: PreparedEntry[];
  /** SHA-256 of the φ model whose features the classifier was fitted on, or null (residual only). */
  modelHash: string | null;
  classifier: SoftmaxRegressionModel | null;
  /** Why no classifier exists, when it doesn't. */
  classifierNote: string | null;
  /** What the classifier's features are, for verdict explanations (default: the set-encoder's φ). */
  featureDescription?: string;
  /** What the correlation evidence compares (default: wavelet residuals with residual fingerprints). */
  correlationDescription?: string;
}

/** Floor on per-dimension variance, relative to the mean variance, so a constant feature can't explode the distance. */
const VARIANCE_FLOOR = 1e-3;

export function featureStats(data: Float32Array, dim: number): { mean: Float64Array; variance: Float64Array } {
  const { n, mean, sumSq: variance } = columnMoments(data, dim);
  let avg = 0;
  for (let d = 0; d < dim; d++) avg += variance[d] /= Math.max(1, n - 1);
  avg /= dim;
  const floor = VARIANCE_FLOOR * avg + 1e-12;
  for (let d = 0; d < dim; d++) variance[d] = Math.max(variance[d], floor);
  return { mean, variance };
}

/**
 * Novelty of one image with respect to an entry: the mean over feature dimensions of the squared,
 * variance-normalised deviation from the entry's mean (a diagonal Mahalanobis distance divided by
 * the dimension). About 1 for images like the enrolment images, larger for foreign ones.
 */
export function novelty(x: ArrayLike<number>, mean: Float64Array, variance: Float64Array): number {
  let s = 0;
  for (let d = 0; d < mean.length; d++) {
    const v = x[d] - mean[d];
    s += (v * v) / variance[d];
  }
  return s / mean.length;
}

const classifierCache = new Map<string, SoftmaxRegressionModel>();

function contentDigest(entries: LibraryEntry[], modelHash: string, view: string): string {
  const h = createHash('sha256').update(`${modelHash}|${view}`);
  for (const e of entries)
    h.update(`${e.id}|${e.name}|${e.createdAt}|${e.provenance.sha256ListDigest}|${e.imageFeatures?.data.length ?? 0}\n`);
  return h.digest('hex');
}

/**
 * `view` names what the entries' features are (plain φ, or a manifold method's artifacts): the same
 * entries and model give different features under different views, and the fitted classifier is
 * cached by content.
 */
export function prepareLibrary(entries: LibraryEntry[], modelHash: string | null, view = 'phi'): PreparedLibrary {
  const prepared: PreparedEntry[] = entries.map((e) => {
    const usable = modelHash !== null && e.modelVersion === modelHash && e.imageFeatures && e.imageFeatures.data.length > 0;
    const stats = usable ? featureStats(e.imageFeatures!.data, e.imageFeatures!.dim) : null;
    return {
      id: e.id,
      name: e.name,
      family: e.family,
      fingerprint: e.residualFingerprint,
      calibration: e.calibration,
      featureMean: stats?.mean,
      featureVar: stats?.variance,
      featureCount: usable ? e.imageFeatures!.data.length / e.imageFeatures!.dim : 0,
      bagEmbeddings: usable ? e.bagEmbeddings : undefined,
      heldOutResiduals: e.heldOutResiduals,
    };
  });

  let classifier: SoftmaxRegressionModel | null = null;
  let classifierNote: string | null = null;
  if (modelHash === null) classifierNote = 'no set-encoder model is loaded';
  else if (prepared.length < 2) classifierNote = 'the classifier needs at least two library entries';
  else if (prepared.some((p) => p.featureCount === 0))
    classifierNote = `entries ${prepared
      .filter((p) => p.featureCount === 0)
      .map((p) => `"${p.name}"`)
      .join(', ')} have no features from the current model (re-enrol them)`;
  else {
    const key = contentDigest(entries, modelHash, view);
    classifier = classifierCache.get(key) ?? null;
    if (!classifier) {
      const dim = entries[0].imageFeatures!.dim;
      const total = prepared.reduce((s, p) => s + p.featureCount, 0);
      const X = new Float32Array(total * dim);
      const y = new Int32Array(total);
      let row = 0;
      entries.forEach((e, k) => {
        X.set(e.imageFeatures!.data, row * dim);
        y.fill(k, row, row + prepared[k].featureCount);
        row += prepared[k].featureCount;
      });
      classifier = fitSoftmaxRegression(
        X,
        dim,
        y,
        prepared.map((p) => p.name),
      );
      classifierCache.set(key, classifier);
    }
  }
  return { entries: prepared, modelHash, classifier, classifierNote };
}
