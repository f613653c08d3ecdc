// The library in the form attribution needs: fingerprints, per-entry feature statistics for the
// open-set test, the bag embeddings for Eq. 1, and the classifier over the entries — fitted on the
// enrolled per-image φ features and residual statistics whenever the library's content changes
// (library-ops.ts stores it in the library file), and read back, never refitted, by an analysis.
import { createHash } from 'node:crypto';
import { fitFusedClassifier, regressionCount, type EvidenceBlock, type FitOptions, type FusedClassifier } from '../classifier/fused.js';
import { SPECTRAL_DIM, PIXEL_DIM, RESIDUAL_STATISTICS_DIM } from '../residual/statistics.js';
import { columnMoments } from '../util/stats.js';
import { BANK_VIEW_PREFIX } from './banks.js';
import type { ClassifierEvidence, EntryCalibration, LibraryEntry, ResidualFingerprint } from '../types.js';
import {
  CALIBRATION_SETS_PER_ENTRY,
  CALIBRATION_VERSION,
  calibrationAt,
  calibrationData,
  calibrationStatistics,
  DEFAULT_CALIBRATION,
  type CalibrationSettings,
  type CalibrationStatistics,
  type LibraryCalibration,
} from './calibration.js';
import { libraryMatrixKey } from './library-analysis.js';

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
  /** Where the calibration's held-back statistics came from (absent without a calibration); see CalibrationOrigin. */
  calibrationOrigin?: CalibrationOrigin;
  /** Seconds spent computing them, when they were computed for this analysis. */
  calibrationSeconds?: number;
  /** Where the classifier came from (null without one); see ClassifierOrigin. */
  classifierOrigin?: ClassifierOrigin | null;
  /** Seconds spent fitting it, when it was fitted for this analysis. */
  classifierFitSeconds?: number;
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

/**
 * Version of the fit itself (classifier/fused.ts and what it calls): part of every classifier's
 * key, so a release that fits differently never uses a classifier stored by an older one.
 */
export const CLASSIFIER_FIT_VERSION = 1;

/** Digest of exactly what the classifier is fitted on: entry names in order and their feature bytes. */
function contentDigest(entries: LibraryEntry[], modelHash: string, view: string): string {
  const h = createHash('sha256').update(`fit-v${CLASSIFIER_FIT_VERSION}|${modelHash}|${view}`);
  const bytes = (a?: Float32Array) => (a ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : new Uint8Array(0));
  for (const e of entries) {
    h.update(`${e.name}|${e.imageFeatures?.data.length ?? 0}|${e.residualStatistics?.data.length ?? 0}\n`);
    h.update(bytes(e.imageFeatures?.data));
    h.update(bytes(e.residualStatistics?.data));
  }
  return h.digest('hex');
}

/** Where a prepared library's classifier came from. */
export type ClassifierOrigin =
  /** Stored in the library file by the change that last altered its entries (covered by the file's SHA-256). */
  | 'library'
  /** Fitted by an earlier analysis of this library content and kept in the feature-cache sidecar. */
  | 'feature-cache'
  /** Fitted for this analysis (no stored one matched). */
  | 'fitted';

/** Where a prepared library's calibration statistics came from (as the library × library matrix's). */
export type CalibrationOrigin =
  /** Stored in the library file with the classifier by the change that last altered its entries. */
  | 'library'
  /** Computed by an earlier analysis of this library content and kept in the feature-cache sidecar. */
  | 'feature-cache'
  /** Computed for this analysis (none stored matched). */
  | 'computed';

/** What one view's classifier is fitted on, and the key it is stored under. */
export interface ClassifierPlan {
  /** Digest of what it is fitted on (entry names, features, statistics, view, model, fit version). */
  key: string;
  view: string;
  modelHash: string;
  classes: string[];
  /** Regressions the fit runs (progress is counted in these). */
  regressions: number;
  /** The entries (in the view) it is fitted on. */
  entries: LibraryEntry[];
  /** The evidence blocks and labels, stacked on demand (they are large; a stored classifier never needs them). */
  build(): { blocks: EvidenceBlock[]; labels: Int32Array };
}

/** Where classifiers are looked up before one is fitted, and where one fitted on demand is kept. */
export interface ClassifierStore {
  get(key: string): { classifier: FusedClassifier; origin: ClassifierOrigin } | null;
  /** Keeps a classifier fitted on demand (best effort; an analysis never writes the library itself). */
  put?(plan: ClassifierPlan, classifier: FusedClassifier, seconds: number): void;
  /** The calibration statistics stored under `key` (calibrationKey), with where they were found. */
  getCalibration?(key: string): { statistics: CalibrationStatistics; origin: CalibrationOrigin } | null;
  /** Keeps calibration statistics computed on demand (best effort, as `put`). */
  putCalibration?(plan: CalibrationPlan, statistics: CalibrationStatistics, seconds: number): void;
}

/**
 * Digest of exactly what a classifier's calibration is computed from: the classifier's own key
 * (entry names, features, residual statistics, view, model, fit version), the entries' residual
 * fingerprints and held-out residuals (libraryMatrixKey) and their enrolment correlation
 * statistics, the calibration's version and its sets per entry. Any change of the entries changes it.
 */
export function calibrationKey(classifierKey: string, entries: readonly PreparedEntry[], setsPerEntry = CALIBRATION_SETS_PER_ENTRY): string {
  return createHash('sha256')
    .update(`calibration-v${CALIBRATION_VERSION}|sets ${setsPerEntry}|${classifierKey}|${libraryMatrixKey(entries, 'wavelet')}|`)
    .update(JSON.stringify(entries.map((e) => e.calibration.residual ?? null)))
    .digest('hex');
}

/** The calibration of one stored classifier: its key, and how to compute it (about a second for a few entries). */
export interface CalibrationPlan {
  key: string;
  /** The classifier's view. */
  view: string;
  compute(): CalibrationStatistics;
}

/**
 * The calibration plan of a classifier, or null where it kept no held-back data (one evidence
 * block, or an entry with fewer than 4 enrolment images): the fixed thresholds then apply.
 */
export function planCalibration(plan: ClassifierPlan, classifier: FusedClassifier, prepared?: PreparedEntry[]): CalibrationPlan | null {
  if (!classifier.heldBack) return null;
  const entries = prepared ?? prepareEntries(plan.entries, plan.modelHash);
  return {
    key: calibrationKey(plan.key, entries),
    view: plan.view,
    compute() {
      const data = calibrationData(
        { entries, classifier },
        plan.entries.map((e) => e.imageFeatures),
      );
      if (!data) throw new Error(`calibration: the ${plan.view} classifier's held-back data do not match its entries`);
      calibrationsComputed++;
      return calibrationStatistics(data);
    },
  };
}

let calibrationsComputed = 0;

/** How many calibrations this process has computed (tests use it to prove that an analysis of a fitted library computes none). */
export function calibrationComputeCount(): number {
  return calibrationsComputed;
}

/** Calibration statistics already read or computed in this process, by key. */
const calibrationMemory = new Map<string, { statistics: CalibrationStatistics; origin: CalibrationOrigin }>();

/** Keeps calibration statistics for later analyses in this process (the change that computed them hands them over). */
export function rememberCalibration(key: string, statistics: CalibrationStatistics, origin: CalibrationOrigin): void {
  calibrationMemory.delete(key);
  calibrationMemory.set(key, { statistics, origin });
  while (calibrationMemory.size > MEMORY_LIMIT) calibrationMemory.delete(calibrationMemory.keys().next().value as string);
}

/**
 * The calibration statistics of `plan`: from memory, the store (library, then sidecar), or computed
 * now and handed to `store.putCalibration`.
 */
function calibrationFor(plan: CalibrationPlan, store?: ClassifierStore): { statistics: CalibrationStatistics; origin: CalibrationOrigin; seconds?: number } {
  const found = calibrationMemory.get(plan.key) ?? store?.getCalibration?.(plan.key) ?? null;
  if (found) {
    rememberCalibration(plan.key, found.statistics, found.origin);
    return found;
  }
  const t0 = performance.now();
  const statistics = plan.compute();
  const seconds = (performance.now() - t0) / 1000;
  store?.putCalibration?.(plan, statistics, seconds);
  rememberCalibration(plan.key, statistics, 'computed');
  return { statistics, origin: 'computed', seconds };
}

/**
 * `view` names what the entries' features are (plain φ, or a manifold method's artifacts): the same
 * entries and model give different features under different views. Returns the plan for the view's
 * classifier, or why there is none.
 */
export function planClassifier(
  entries: LibraryEntry[],
  modelHash: string | null,
  view = 'phi',
  opts: { classifierEvidence?: ClassifierEvidence } = {},
): { plan: ClassifierPlan | null; note: string | null; caveat: string | null } {
  const counts = entries.map((e) =>
    modelHash !== null && e.modelVersion === modelHash && e.imageFeatures && e.imageFeatures.data.length > 0 ? e.imageFeatures.sha256.length : 0,
  );
  if (modelHash === null) return { plan: null, note: 'no set-encoder model is loaded', caveat: null };
  if (entries.length < 2) return { plan: null, note: 'the classifier needs at least two library entries', caveat: null };
  if (counts.some((c) => c === 0))
    return {
      plan: null,
      note: `entries ${entries
        .filter((_, k) => counts[k] === 0)
        .map((e) => `"${e.name}"`)
        .join(', ')} have no features from the current model (re-enrol them)`,
      caveat: null,
    };
  // Residual statistics join φ only for the plain set-encoder view and its reference banks (a
  // manifold view's features are artifacts of another kind) and only when every entry has them.
  const wanted = (view === 'phi' || view.startsWith(BANK_VIEW_PREFIX)) && opts.classifierEvidence !== 'phi';
  const stale = wanted ? withoutStatistics(entries) : [];
  const fused = wanted && stale.length === 0;
  const caveat =
    stale.length > 0
      ? `the classifier uses φ alone: entries ${stale.map((e) => `"${e.name}"`).join(', ')} have no residual statistics (enrolled before schema v4; re-enrol them)`
      : null;
  const blockCount = fused ? 3 : 1;
  const plan: ClassifierPlan = {
    key: contentDigest(entries, modelHash, `${view}|${fused ? 'fused' : 'phi-only'}`),
    view,
    modelHash,
    classes: entries.map((e) => e.name),
    regressions: regressionCount(blockCount, counts),
    entries,
    build() {
      const total = counts.reduce((a, b) => a + b, 0);
      const labels = new Int32Array(total);
      let row = 0;
      counts.forEach((n, k) => {
        labels.fill(k, row, row + n);
        row += n;
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
          description: view === 'phi' || view.startsWith(BANK_VIEW_PREFIX) ? PHI_BLOCK.description : 'features',
          dim,
          data: stack(dim, (e) => ({ data: e.imageFeatures!.data, width: dim, offset: 0 })),
        },
      ];
      if (fused) {
        const stat = (offset: number) => (e: LibraryEntry) => ({ data: e.residualStatistics!.data, width: RESIDUAL_STATISTICS_DIM, offset });
        blocks.push({ ...SPECTRUM_BLOCK, dim: SPECTRAL_DIM, data: stack(SPECTRAL_DIM, stat(0)) });
        blocks.push({ ...PIXELS_BLOCK, dim: PIXEL_DIM, data: stack(PIXEL_DIM, stat(SPECTRAL_DIM)) });
      }
      return { blocks, labels };
    },
  };
  return { plan, note: null, caveat };
}

let fitsRun = 0;

/** How many library classifiers this process has fitted (tests use it to prove that an analysis of a fitted library fits none). */
export function classifierFitCount(): number {
  return fitsRun;
}

/** Fits the planned classifier (phase 'fit' progress, cancellable through `signal`). */
export async function fitPlannedClassifier(plan: ClassifierPlan, opts: FitOptions = {}): Promise<FusedClassifier> {
  const { blocks, labels } = plan.build();
  fitsRun++;
  return fitFusedClassifier(blocks, labels, plan.classes, opts);
}

/** Classifiers already read or fitted in this process, by key (the app analyses one library many times). */
const memory = new Map<string, { classifier: FusedClassifier; origin: ClassifierOrigin }>();
const MEMORY_LIMIT = 8;

/** Forgets the classifiers and calibrations kept in this process (benchmarks and tests that measure reading them back). */
export function forgetClassifiers(): void {
  memory.clear();
  calibrationMemory.clear();
}

/** Keeps a classifier for later analyses in this process (the fit at a library change hands it over). */
export function rememberClassifier(key: string, classifier: FusedClassifier, origin: ClassifierOrigin): void {
  remember(key, { classifier, origin });
}

function remember(key: string, value: { classifier: FusedClassifier; origin: ClassifierOrigin }): void {
  memory.delete(key);
  memory.set(key, value);
  while (memory.size > MEMORY_LIMIT) memory.delete(memory.keys().next().value as string);
}

export function prepareEntries(entries: LibraryEntry[], modelHash: string | null): PreparedEntry[] {
  return entries.map((e) => {
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
}

export interface PrepareOptions extends FitOptions {
  classifierEvidence?: ClassifierEvidence;
  /** Where a fitted classifier is looked up (the library file, the sidecar) before one is fitted. */
  store?: ClassifierStore;
  /** false: entries only, no classifier (correlation and clustering need none). */
  withClassifier?: boolean;
  /** The rates to calibrate for (default 5 % / 1 %); null keeps the fixed thresholds (the evaluation's "before" rows). */
  calibration?: CalibrationSettings | null;
}

/**
 * The library as attribution needs it. The classifier is taken from memory or `store` when one
 * was fitted on exactly this content; otherwise it is fitted now (counted by classifierFitCount)
 * and handed to `store.put`.
 */
export async function prepareLibrary(entries: LibraryEntry[], modelHash: string | null, view = 'phi', opts: PrepareOptions = {}): Promise<PreparedLibrary> {
  const prepared = prepareEntries(entries, modelHash);
  if (opts.withClassifier === false)
    return { entries: prepared, modelHash, classifier: null, classifierNote: 'not needed here', classifierCaveat: null, classifierOrigin: null };
  const { plan, note, caveat } = planClassifier(entries, modelHash, view, opts);
  if (!plan) return { entries: prepared, modelHash, classifier: null, classifierNote: note, classifierCaveat: caveat, classifierOrigin: null };
  let found = memory.get(plan.key) ?? opts.store?.get(plan.key) ?? null;
  let fitSeconds: number | undefined;
  if (!found) {
    const t0 = performance.now();
    const classifier = await fitPlannedClassifier(plan, opts);
    fitSeconds = (performance.now() - t0) / 1000;
    found = { classifier, origin: 'fitted' };
    opts.store?.put?.(plan, classifier, fitSeconds);
  }
  remember(plan.key, found);
  const lib: PreparedLibrary = {
    entries: prepared,
    modelHash,
    classifier: found.classifier,
    classifierNote: null,
    classifierCaveat: caveat,
    classifierOrigin: found.origin,
    ...(fitSeconds !== undefined ? { classifierFitSeconds: fitSeconds } : {}),
  };
  // The calibration's held-back statistics are stored with the classifier (or computed once and
  // kept); the thresholds of the chosen rates are derived from them (milliseconds).
  const calibrationPlan = opts.calibration === null ? null : planCalibration(plan, found.classifier, prepared);
  if (calibrationPlan) {
    const c = calibrationFor(calibrationPlan, opts.store);
    lib.calibration = calibrationAt(c.statistics, opts.calibration ?? DEFAULT_CALIBRATION);
    lib.calibrationOrigin = c.origin;
    if (c.seconds !== undefined) lib.calibrationSeconds = c.seconds;
  } else lib.calibration = null;
  return lib;
}
