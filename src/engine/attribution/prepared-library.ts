// The library in the form attribution needs: fingerprints, per-entry feature statistics for the
// open-set test, the bag embeddings for Eq. 1, and the classifier over the entries — fitted on the
// enrolled per-image φ features and residual statistics whenever the library's content changes.
import { createHash } from 'node:crypto';
import { fitFusedClassifier, type EvidenceBlock, type FusedClassifier } from '../classifier/fused.js';
import { SPECTRAL_DIM, PIXEL_DIM, RESIDUAL_STATISTICS_DIM } from '../residual/statistics.js';
import { columnMoments } from '../util/stats.js';
import type { ClassifierEvidence, EntryCalibration, LibraryEntry, ResidualFingerprint } from '../types.js';
import { calibrateLibrary, calibrationData, DEFAULT_CALIBRATION, type CalibrationSettings, type LibraryCalibration } from './calibration.js';

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
  /** How the reference images were saved (counts per compression key); null for entries enrolled before it was recorded. */
  referenceCompression?: Record<string, number> | null;
}

export interface PreparedLibrary {
  entries: PreparedEntry[];
  /** SHA-256 of the φ model whose features the classifier was fitted on, or null (residual only). */
  modelHash: string | null;
  classifier: FusedClassifier | null;
  /** Why no classifier exists, when it doesn't. */
  classifierNote: string | null;
  /** Why the classifier uses φ alone where residual statistics would normally join it, or null. */
  classifierCaveat: string | null;
  /**
   * The calibrated open-set and split thresholds (attribution/calibration.ts), computed from the
   * classifier's held-back data; null where it kept none (the fixed thresholds apply, and the split
   * is not tested). Absent in libraries prepared without it (tests that build one by hand).
   */
  calibration?: LibraryCalibration | null;
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

const classifierCache = new Map<string, FusedClassifier>();
/** Calibrations per classifier and setting: computed once per library content and setting (about a second). */
const calibrationCache = new WeakMap<FusedClassifier, Map<string, LibraryCalibration>>();

/**
 * The library's calibration under `settings`, from its classifier's held-back data and the entries'
 * φ features (the ones the classifier was fitted on); null where the classifier kept no held-back data.
 */
export function libraryCalibration(prepared: PreparedLibrary, entries: LibraryEntry[], settings: CalibrationSettings): LibraryCalibration | null {
  const classifier = prepared.classifier;
  if (!classifier?.heldBack) return null;
  const byKey = calibrationCache.get(classifier) ?? new Map<string, LibraryCalibration>();
  calibrationCache.set(classifier, byKey);
  const key = `${settings.falseUnknownRate}|${settings.falseSplitRate}`;
  const hit = byKey.get(key);
  if (hit) return hit;
  const data = calibrationData(
    prepared,
    entries.map((e) => e.imageFeatures),
  );
  if (!data) return null;
  const calibration = calibrateLibrary(data, settings);
  byKey.set(key, calibration);
  return calibration;
}

/** The classifier's evidence blocks for plain φ: the set-encoder's features, then the residual statistics. */
const PHI_BLOCK = { name: 'phi', description: "the set-encoder's per-image φ features" };
const SPECTRUM_BLOCK = { name: 'spectrum', description: 'the residual log power spectrum' };
const PIXELS_BLOCK = { name: 'pixels', description: 'the centred 32×32 residual pixels' };

/**
 * One image's feature vector per classifier block, in the classifier's block order. `statistics`
 * (residual/statistics.ts) is needed only when the classifier has residual blocks.
 */
export function classifierParts(classifier: FusedClassifier, features: Float32Array, statistics: Float32Array | null): Float32Array[] | null {
  const parts: Float32Array[] = [];
  for (const b of classifier.blocks) {
    if (b.name === 'spectrum' || b.name === 'pixels') {
      if (!statistics) return null;
      parts.push(b.name === 'spectrum' ? statistics.subarray(0, SPECTRAL_DIM) : statistics.subarray(SPECTRAL_DIM));
    } else parts.push(features);
  }
  return parts;
}

/** Entries whose residual statistics are missing or not row-aligned with their φ features. */
function withoutStatistics(entries: LibraryEntry[]): LibraryEntry[] {
  return entries.filter((e) => {
    const s = e.residualStatistics;
    const f = e.imageFeatures!;
    return !s || s.dim !== RESIDUAL_STATISTICS_DIM || s.sha256.length !== f.sha256.length || s.sha256.some((h, i) => h !== f.sha256[i]);
  });
}

/** Digest of exactly what the classifier is fitted on: entry names in order and their feature bytes. */
function contentDigest(entries: LibraryEntry[], modelHash: string, view: string): string {
  const h = createHash('sha256').update(`${modelHash}|${view}`);
  const bytes = (a?: Float32Array) => (a ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : new Uint8Array(0));
  for (const e of entries) {
    h.update(`${e.name}|${e.imageFeatures?.data.length ?? 0}|${e.residualStatistics?.data.length ?? 0}\n`);
    h.update(bytes(e.imageFeatures?.data));
    h.update(bytes(e.residualStatistics?.data));
  }
  return h.digest('hex');
}

/**
 * `view` names what the entries' features are (plain φ, or a manifold method's artifacts): the same
 * entries and model give different features under different views, and the fitted classifier is
 * cached by content.
 */
export function prepareLibrary(
  entries: LibraryEntry[],
  modelHash: string | null,
  view = 'phi',
  /** `calibration`: the rates to calibrate for (default 5 % / 1 %); null keeps the fixed thresholds (the evaluation's "before" rows). */
  opts: { classifierEvidence?: ClassifierEvidence; calibration?: CalibrationSettings | null } = {},
): PreparedLibrary {
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
      referenceCompression: e.provenance?.compression ?? null,
    };
  });

  let classifier: FusedClassifier | null = null;
  let classifierNote: string | null = null;
  let classifierCaveat: string | null = null;
  if (modelHash === null) classifierNote = 'no set-encoder model is loaded';
  else if (prepared.length < 2) classifierNote = 'the classifier needs at least two library entries';
  else if (prepared.some((p) => p.featureCount === 0))
    classifierNote = `entries ${prepared
      .filter((p) => p.featureCount === 0)
      .map((p) => `"${p.name}"`)
      .join(', ')} have no features from the current model (re-enrol them)`;
  else {
    // Residual statistics join φ only for the plain set-encoder view (a manifold view's features
    // are artifacts of another kind) and only when every entry has them.
    const wanted = view === 'phi' && opts.classifierEvidence !== 'phi';
    const stale = wanted ? withoutStatistics(entries) : [];
    const fused = wanted && stale.length === 0;
    if (stale.length > 0)
      classifierCaveat = `the classifier uses φ alone: entries ${stale.map((e) => `"${e.name}"`).join(', ')} have no residual statistics (enrolled before schema v4; re-enrol them)`;
    const key = contentDigest(entries, modelHash, `${view}|${fused ? 'fused' : 'phi-only'}`);
    classifier = classifierCache.get(key) ?? null;
    if (!classifier) {
      const total = prepared.reduce((s, p) => s + p.featureCount, 0);
      const y = new Int32Array(total);
      let row = 0;
      prepared.forEach((p, k) => {
        y.fill(k, row, row + p.featureCount);
        row += p.featureCount;
      });
      const stack = (dim: number, part: (e: LibraryEntry) => { data: Float32Array; width: number; offset: number }): Float32Array => {
        const X = new Float32Array(total * dim);
        let r = 0;
        for (const e of entries) {
          const { data, width, offset } = part(e);
          const n = data.length / width;
          for (let i = 0; i < n; i++, r++) X.set(data.subarray(i * width + offset, i * width + offset + dim), r * dim);
        }
        return X;
      };
      const dim = entries[0].imageFeatures!.dim;
      const blocks: EvidenceBlock[] = [
        {
          ...PHI_BLOCK,
          description: view === 'phi' ? PHI_BLOCK.description : 'features',
          dim,
          data: stack(dim, (e) => ({ data: e.imageFeatures!.data, width: dim, offset: 0 })),
        },
      ];
      if (fused) {
        const stat = (offset: number) => (e: LibraryEntry) => ({ data: e.residualStatistics!.data, width: RESIDUAL_STATISTICS_DIM, offset });
        blocks.push({ ...SPECTRUM_BLOCK, dim: SPECTRAL_DIM, data: stack(SPECTRAL_DIM, stat(0)) });
        blocks.push({ ...PIXELS_BLOCK, dim: PIXEL_DIM, data: stack(PIXEL_DIM, stat(SPECTRAL_DIM)) });
      }
      classifier = fitFusedClassifier(
        blocks,
        y,
        prepared.map((p) => p.name),
      );
      classifierCache.set(key, classifier);
    }
  }
  const lib: PreparedLibrary = { entries: prepared, modelHash, classifier, classifierNote, classifierCaveat };
  lib.calibration = opts.calibration === null ? null : libraryCalibration(lib, entries, opts.calibration ?? DEFAULT_CALIBRATION);
  return lib;
}
