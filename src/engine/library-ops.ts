// Library operations used by the CLI and the app: thin wrappers over ./library that open, act,
// save atomically and close, plus the library's own correlation analysis, clustering and error rates.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FingerprintLibrary, LibraryError, withLibrary, type StoredCalibration, type StoredClassifier, type StoredLibraryMatrix } from './library/index.js';
import { decorrelationScore, diagonalContrast } from './correlation.js';
import { clusterModels, clusterVectors } from './cluster.js';
import {
  fitPlannedClassifier,
  planCalibration,
  planClassifier,
  prepareLibrary,
  rememberCalibration,
  rememberClassifier,
  type CalibrationPlan,
  type ClassifierPlan,
} from './attribution/prepared-library.js';
import type { FusedClassifier } from './classifier/fused.js';
import { throwIfAborted } from './util/abort.js';
import { embeddingCentroid, libraryMatrix, matrixPlan, type MatrixPlan } from './attribution/library-analysis.js';
import { libraryMatrixFor, maybeEncoder, withClassifierStore, withLibraryAndCache, type EngineOptions, type LibraryMatrixOrigin } from './attributor.js';
import { defaultModelsDir, sha256File } from './features/set-encoder.js';
import { libraryErrorRates } from './classifier/held-back-error.js';
import type { HeldBackErrorRate } from '../shared/held-back-error.js';
import type { ClassifierEvidence, LibraryErrorRates, Progress } from './types.js';
import { ManifoldUnavailable, maybeManifoldModels, projectorView } from './manifold/index.js';
import { bankClassifierPlans } from './attribution/bank-classifiers.js';
import type { ClusteringResult, LabelledMatrix, LibraryEntry, LibraryEntrySummary, Linkage } from './types.js';

export interface LibraryInfo {
  path: string;
  sha256: string;
  schemaVersion: number;
  entries: LibraryEntrySummary[];
  /** The library classifiers stored in the file (empty: analyses fit one; `fitLibrary` stores it). */
  classifiers: { view: string; fittedAt: string; seconds: number }[];
  /** Entries written before schema v5, without a digest to check them against. */
  unverifiedEntries: string[];
}

async function info(lib: FingerprintLibrary): Promise<LibraryInfo> {
  return {
    path: lib.path,
    sha256: lib.fileSha256(),
    schemaVersion: lib.schemaVersion,
    entries: lib.listEntries(),
    classifiers: lib.storedClassifierKeys().map(({ view, fittedAt, seconds }) => ({ view, fittedAt, seconds })),
    unverifiedEntries: lib.unverifiedEntries(),
  };
}

export async function initLibrary(file: string): Promise<LibraryInfo> {
  const lib = await FingerprintLibrary.create(file);
  try {
    return await info(lib);
  } finally {
    lib.close();
  }
}

export async function listLibrary(file: string): Promise<LibraryInfo> {
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  try {
    return await info(lib);
  } finally {
    lib.close();
  }
}

/** Progress and cancellation of an operation that changes a library and then fits its classifier. */
export interface LibraryJobOptions {
  signal?: AbortSignal;
  /** Phase 'fit': regressions fitted out of all the library's classifiers need. */
  onProgress?: (p: Progress) => void;
}

export interface FitSummary {
  /** Views fitted now, with their seconds. */
  fitted: { view: string; seconds: number; regressions: number }[];
  /** Views whose stored classifier already matched the entries (or was copied from the source library). */
  kept: string[];
  /** Why a view has no classifier (fewer than two entries, features of different models, …), if one has none. */
  notes: string[];
  /** Library × library matrices (Eq. 5) computed now, per residual view, with their seconds. */
  matrices: { view: string; seconds: number }[];
  /** Residual views whose stored matrix already matched the entries (or was copied from the source library). */
  matricesKept: string[];
  /**
   * Classifier views whose calibration statistics (attribution/calibration.ts: what the calibrated
   * unknown and split thresholds of any rate are derived from) were computed now, with their seconds.
   */
  calibrations: { view: string; seconds: number }[];
  /** Classifier views whose stored calibration already matched (or was copied from the source library). */
  calibrationsKept: string[];
}

/**
 * The classifiers that depend on the library alone, one per entry view: plain φ with the residual
 * statistics (what `attribute` uses by default), and the manifold method's projector view when
 * every entry was enrolled with the same manifold models. Views that depend on choices made at
 * attribution time (φ alone, a knn reference set) are fitted when asked for and kept in the
 * feature-cache sidecar instead (attributor.ts).
 */
export function libraryClassifierPlans(entries: LibraryEntry[]): { plans: ClassifierPlan[]; notes: string[] } {
  const plans: ClassifierPlan[] = [];
  const notes: string[] = [];
  const models = new Set(entries.map((e) => e.modelVersion));
  const modelHash = models.size === 1 && !models.has('none') ? [...models][0] : null;
  const phi = planClassifier(entries, modelHash, 'phi', { classifierEvidence: 'all' });
  if (phi.plan) plans.push(phi.plan);
  else if (entries.length >= 2) notes.push(modelHash ? phi.note! : 'the entries were not all enrolled with the same set-encoder, or without one');
  const manifold = entries.map((e) => e.manifold);
  const first = manifold[0];
  if (first && manifold.every((m) => m && m.modelHash === first.modelHash && m.projectorHash === first.projectorHash)) {
    const view = projectorView(entries, { phiSha256: first.modelHash, projectorSha256: first.projectorHash });
    const projector = planClassifier(view, first.modelHash, 'manifold:projector');
    if (projector.plan) plans.push(projector.plan);
  }
  plans.push(...bankClassifierPlans(entries, modelHash));
  return { plans, notes };
}

/**
 * The library × library matrices that depend on the library alone: on the wavelet residuals (every
 * method but the manifold projector shows it), and on the manifold projector's artifacts when every
 * entry was enrolled with the same manifold models.
 */
export function libraryMatrixPlans(entries: LibraryEntry[]): MatrixPlan[] {
  if (entries.length === 0) return [];
  const plans = [
    matrixPlan(
      'wavelet',
      entries.map((e) => ({ name: e.name, fingerprint: e.residualFingerprint, heldOutResiduals: e.heldOutResiduals })),
    ),
  ];
  const first = entries[0].manifold;
  if (first && entries.every((e) => e.manifold && e.manifold.modelHash === first.modelHash && e.manifold.projectorHash === first.projectorHash))
    plans.push(
      matrixPlan(
        'projector-artifacts',
        entries.map((e) => ({ name: e.name, fingerprint: e.manifold!.artifactFingerprint, heldOutResiduals: e.manifold!.heldOutArtifacts })),
      ),
    );
  return plans;
}

/**
 * Fits and stores in `lib` (in memory: the caller saves) every classifier libraryClassifierPlans
 * names that is not stored yet, and every library × library matrix libraryMatrixPlans names, and
 * removes stored ones that no longer match the entries. `reuse` and `reuseMatrix` offer ones made
 * elsewhere from the same content (an export copies its source's).
 */
export async function fitStoredClassifiers(
  lib: FingerprintLibrary,
  opts: LibraryJobOptions & {
    reuse?: (key: string) => StoredClassifier | null;
    reuseMatrix?: (key: string) => StoredLibraryMatrix | null;
    reuseCalibration?: (key: string) => StoredCalibration | null;
  } = {},
): Promise<FitSummary> {
  const entries = lib.getAllEntries();
  const { plans, notes } = libraryClassifierPlans(entries);
  const stored = new Set(lib.storedClassifierKeys().map((c) => c.key));
  const summary: FitSummary = { fitted: [], kept: [], notes, matrices: [], matricesKept: [], calibrations: [], calibrationsKept: [] };
  const todo: ClassifierPlan[] = [];
  /** Every plan's classifier, stored, copied or fitted now: its calibration is computed from it. */
  const classifiers: { plan: ClassifierPlan; classifier: FusedClassifier }[] = [];
  for (const plan of plans) {
    // A stored one is read back (its digest checked): a damaged one is fitted again, as its error message advises.
    const kept = stored.has(plan.key) ? readIntact(() => lib.storedClassifier(plan.key)) : null;
    const copy = kept ? null : opts.reuse?.(plan.key);
    if (copy) lib.putClassifier(copy);
    const found = kept ?? copy;
    if (found) {
      summary.kept.push(plan.view);
      classifiers.push({ plan, classifier: found.classifier });
    } else todo.push(plan);
  }
  const total = todo.reduce((s, p) => s + p.regressions, 0);
  let offset = 0;
  for (const plan of todo) {
    const t0 = performance.now();
    const classifier = await fitPlannedClassifier(plan, {
      signal: opts.signal,
      onProgress: (p) => opts.onProgress?.({ phase: 'fit', done: offset + p.done, total }),
    });
    const seconds = (performance.now() - t0) / 1000;
    offset += plan.regressions;
    lib.putClassifier({ key: plan.key, view: plan.view, modelHash: plan.modelHash, seconds, classifier });
    rememberClassifier(plan.key, classifier, 'library');
    summary.fitted.push({ view: plan.view, seconds, regressions: plan.regressions });
    classifiers.push({ plan, classifier });
  }
  lib.removeClassifiers(plans.map((p) => p.key));
  const matrixKeys = await storeLibraryMatrices(lib, libraryMatrixPlans(entries), summary, opts);
  const calibrationKeys = await storeCalibrations(lib, classifiers, summary, opts);
  lib.removeAnalyses([...matrixKeys, ...calibrationKeys]);
  return summary;
}

/** What `read` returns, or null where the stored bytes fail their digest ('damaged': computed again). */
function readIntact<T>(read: () => T | null): T | null {
  try {
    return read();
  } catch (err) {
    if (err instanceof LibraryError && err.code === 'damaged') return null;
    throw err;
  }
}

/**
 * Computes and stores the calibration statistics of every classifier that kept held-back data
 * (phase 'calibrate': classifiers done of all), unless stored or copied already; returns their keys.
 * They are what the calibrated "unknown generator" and split thresholds of any rate come from, so
 * an analysis of the unchanged library derives its thresholds without drawing a set.
 */
async function storeCalibrations(
  lib: FingerprintLibrary,
  classifiers: { plan: ClassifierPlan; classifier: FusedClassifier }[],
  summary: FitSummary,
  opts: LibraryJobOptions & { reuseCalibration?: (key: string) => StoredCalibration | null },
): Promise<string[]> {
  const stored = new Set(lib.storedAnalysisKeys().map((a) => a.key));
  const plans = classifiers.map(({ plan, classifier }) => planCalibration(plan, classifier)).filter((p): p is CalibrationPlan => p !== null);
  const todo: CalibrationPlan[] = [];
  for (const plan of plans) {
    const kept = stored.has(plan.key) && readIntact(() => lib.storedCalibration(plan.key)) !== null;
    const copy = kept ? null : opts.reuseCalibration?.(plan.key);
    if (copy) lib.putCalibration(copy);
    if (kept || copy) summary.calibrationsKept.push(plan.view);
    else todo.push(plan);
  }
  for (const [i, plan] of todo.entries()) {
    throwIfAborted(opts.signal);
    opts.onProgress?.({ phase: 'calibrate', done: i, total: todo.length });
    // Let progress and cancellation through before a second of drawing.
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = performance.now();
    const statistics = plan.compute();
    const seconds = (performance.now() - t0) / 1000;
    lib.putCalibration({ key: plan.key, view: plan.view, seconds, statistics });
    rememberCalibration(plan.key, statistics, 'library');
    summary.calibrations.push({ view: plan.view, seconds });
    opts.onProgress?.({ phase: 'calibrate', done: i + 1, total: todo.length });
  }
  throwIfAborted(opts.signal);
  return plans.map((p) => p.key);
}

/** Computes and stores the matrices not stored yet (phase 'library matrix': rows done of all); returns their keys (the caller removes stale ones). */
async function storeLibraryMatrices(
  lib: FingerprintLibrary,
  plans: MatrixPlan[],
  summary: FitSummary,
  opts: LibraryJobOptions & { reuseMatrix?: (key: string) => StoredLibraryMatrix | null },
): Promise<string[]> {
  const stored = new Set(lib.storedAnalysisKeys().map((a) => a.key));
  const todo: MatrixPlan[] = [];
  for (const plan of plans) {
    const kept = stored.has(plan.key) && readIntact(() => lib.storedLibraryMatrix(plan.key)) !== null;
    const copy = kept ? null : opts.reuseMatrix?.(plan.key);
    if (copy) lib.putLibraryMatrix(copy);
    if (kept || copy) summary.matricesKept.push(plan.view);
    else todo.push(plan);
  }
  const total = todo.reduce((s, p) => s + p.entries.length, 0);
  let offset = 0;
  for (const plan of todo) {
    const t0 = performance.now();
    const matrix = await libraryMatrix(plan, {
      signal: opts.signal,
      onRow: (done) => opts.onProgress?.({ phase: 'library matrix', done: offset + done, total }),
    });
    const seconds = (performance.now() - t0) / 1000;
    offset += plan.entries.length;
    lib.putLibraryMatrix({ key: plan.key, view: plan.view, seconds, matrix });
    summary.matrices.push({ view: plan.view, seconds });
  }
  return plans.map((p) => p.key);
}

/**
 * Fits the library's classifiers where they are missing or stale and stores them in the file: for
 * libraries written by older versions (or changed without a fit), so analyses need not fit them.
 */
export async function fitLibrary(file: string, opts: LibraryJobOptions = {}): Promise<FitSummary> {
  return withLibrary(file, (lib) => fitStoredClassifiers(lib, opts));
}

export async function renameEntry(file: string, nameOrId: string, newName: string, opts: LibraryJobOptions = {}): Promise<FitSummary> {
  return withLibrary(file, async (lib) => {
    lib.renameEntry(nameOrId, newName);
    return fitStoredClassifiers(lib, opts);
  });
}

export async function removeEntry(file: string, nameOrId: string, opts: LibraryJobOptions = {}): Promise<FitSummary> {
  return withLibrary(file, async (lib) => {
    lib.removeEntry(nameOrId);
    return fitStoredClassifiers(lib, opts);
  });
}

/** Writes the chosen entries (all when names is empty) into a new single-file library at dest, fitted. */
export async function exportLibrary(file: string, dest: string, names: string[] = [], opts: LibraryJobOptions = {}): Promise<LibraryInfo> {
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  try {
    await lib.exportEntries(dest, names.length ? names : undefined);
    try {
      await withLibrary(dest, (out) =>
        fitStoredClassifiers(out, {
          ...opts,
          reuse: (key) => lib.storedClassifier(key),
          reuseMatrix: (key) => lib.storedLibraryMatrix(key),
          reuseCalibration: (key) => lib.storedCalibration(key),
        }),
      );
    } catch (err) {
      rmSync(dest, { force: true }); // written by this call moments ago: a cancelled export leaves nothing behind
      throw err;
    }
  } finally {
    lib.close();
  }
  return listLibrary(dest);
}

/** Merges the entries of another library file; name clashes get a numeric suffix, never overwrite. */
export async function importLibrary(file: string, source: string, opts: LibraryJobOptions = {}): Promise<LibraryInfo> {
  await withLibrary(file, async (lib) => {
    await lib.importFrom(source);
    await fitStoredClassifiers(lib, opts);
  });
  return listLibrary(file);
}

export interface LibraryAnalysis {
  libraryVsLibrary: LabelledMatrix;
  /** Where the matrix came from: stored in the library, kept in the feature-cache sidecar, or computed now. */
  libraryVsLibraryOrigin: LibraryMatrixOrigin;
  decorrelationScore: number;
  diagonalContrast: number;
  clustering: ClusteringResult | null;
  /** What the clustering compared: learned embeddings (dsf) or residual correlations. */
  clusteredOn: 'embeddings' | 'residual-correlation' | 'none';
  /** What the fingerprints and held-out residuals are: wavelet residuals or projector artifacts x − P(x). */
  residuals: 'wavelet' | 'projector-artifacts';
}

/** The library's own correlation analysis (Eq. 5–6) and hierarchical clustering into families. */
export async function analyseLibrary(
  file: string,
  opts: EngineOptions & {
    linkage?: Linkage;
    space?: 'auto' | 'embeddings' | 'residual';
    /** 'projector': the same analysis on the manifold method's artifact fingerprints (ManiFPT). */
    residuals?: 'wavelet' | 'projector';
  } = {},
): Promise<LibraryAnalysis> {
  const { prepared, stored } = await withLibraryAndCache(file, async (lib, cache) => {
    let entries = lib.getAllEntries();
    let encoder = opts.space === 'residual' ? null : await maybeEncoder(opts);
    if (opts.residuals === 'projector') {
      const models = await maybeManifoldModels(opts);
      if (!models)
        throw new ManifoldUnavailable("projector artifacts need models/projector.onnx and models/manifold/: run 'npm run train:manifold' or restore models/");
      entries = projectorView(entries, models);
      encoder = opts.space === 'residual' ? null : models.encoder;
    }
    // Correlations and clustering use the fingerprints and bag embeddings only: no classifier.
    const prepared = await prepareLibrary(entries, encoder?.phiSha256 ?? null, opts.residuals === 'projector' ? 'manifold:projector' : 'phi', {
      withClassifier: false,
    });
    // The matrix stored by the library's last change (or kept in the sidecar, or computed now).
    const stored = await libraryMatrixFor(matrixPlan(opts.residuals === 'projector' ? 'projector-artifacts' : 'wavelet', prepared.entries), lib, cache);
    return { prepared, stored };
  });
  const matrix = stored.matrix;
  const finite = matrix.values.flat().every((v) => Number.isFinite(v));
  const linkage = opts.linkage ?? 'average';
  let clustering: ClusteringResult | null = null;
  let clusteredOn: LibraryAnalysis['clusteredOn'] = 'none';
  if (prepared.entries.length >= 2) {
    const haveEmbeddings = prepared.entries.every((e) => e.bagEmbeddings);
    if (haveEmbeddings && opts.space !== 'residual') {
      clustering = clusterVectors(
        prepared.entries.map((e) => embeddingCentroid(e.bagEmbeddings!)),
        matrix.rows,
        linkage,
      );
      clusteredOn = 'embeddings';
    } else if (finite) {
      clustering = clusterModels(matrix, linkage);
      clusteredOn = 'residual-correlation';
    }
  }
  return {
    libraryVsLibrary: matrix,
    libraryVsLibraryOrigin: stored.origin,
    decorrelationScore: finite ? decorrelationScore(matrix) : NaN,
    diagonalContrast: finite ? diagonalContrast(matrix) : NaN,
    clustering,
    clusteredOn,
    residuals: opts.residuals === 'projector' ? 'projector-artifacts' : 'wavelet',
  };
}

export interface EntryDetails extends LibraryEntrySummary {
  calibration: LibraryEntry['calibration'];
  stored: {
    residualFingerprint: string;
    imageFeatures: string | null;
    bagEmbeddings: string | null;
    heldOutResiduals: string | null;
    /** Per-image residual statistics for the library classifier, or null (enrolled before schema v4). */
    residualStatistics: string | null;
    /** The manifold method's parts (projector estimate), or null when enrolled without its models. */
    manifold: string | null;
    /** The reference banks (the references re-saved as JPEG/WebP, attribution/banks.ts), one line each; empty without banks. */
    referenceBanks: string[];
  };
}

/** One entry with its calibration and a description of what it stores (no raw arrays). */
export async function showEntry(file: string, nameOrId: string): Promise<EntryDetails> {
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  try {
    const e = lib.getEntry(nameOrId);
    const { residualFingerprint: fp, imageFeatures: f, bagEmbeddings: b, heldOutResiduals: h } = e;
    return {
      id: e.id,
      name: e.name,
      family: e.family,
      notes: e.notes,
      createdAt: e.createdAt,
      provenance: e.provenance,
      method: e.method,
      modelVersion: e.modelVersion,
      calibration: e.calibration,
      stored: {
        residualFingerprint: `${fp.width}×${fp.height}×3 mean of ${fp.count} residuals`,
        imageFeatures: f ? `${f.sha256.length} images × ${f.dim} φ features` : null,
        bagEmbeddings: b ? `${b.count} bags of ${b.bagSize} images × ${b.dim}-d z` : null,
        heldOutResiduals: h ? `${h.count} held-out residuals, ${h.width}×${h.height}` : null,
        residualStatistics: e.residualStatistics
          ? `${e.residualStatistics.sha256.length} images × ${e.residualStatistics.dim} residual statistics (log spectrum + centred 32×32 pixels)`
          : null,
        manifold: e.manifold
          ? `artifact fingerprint ${e.manifold.artifactFingerprint.width}×${e.manifold.artifactFingerprint.height}×3 of ${e.manifold.artifactFingerprint.count} images` +
            `${e.manifold.imageFeatures ? `, ${e.manifold.imageFeatures.sha256.length} × ${e.manifold.imageFeatures.dim} manifold φ features` : ''}` +
            ` (projector ${e.manifold.projectorHash.slice(0, 12)}, manifold φ ${e.manifold.modelHash.slice(0, 12)})`
          : null,
        referenceBanks: (e.banks ?? []).map(
          (b) =>
            `${b.id}: ${b.sha256.length} re-saved images × ${b.features.dim} φ features` +
            `${b.statistics ? ` + ${b.statistics.dim} residual statistics` : ''}, calibrated on them`,
        ),
      },
    };
  } finally {
    lib.close();
  }
}

/**
 * How reliably the library's classifier tells its entries apart, before any case: every entry's
 * error rate on held-back reference sets of each size (classifier/held-back-error.ts), from the
 * classifier attribution would use — the one stored in the library, or one fitted now and kept in
 * the feature-cache sidecar where none is stored for these settings.
 */
export async function estimateLibraryErrorRates(
  file: string,
  opts: { sizes: number[]; modelsDir?: string; classifierEvidence?: ClassifierEvidence; signal?: AbortSignal; onProgress?: (p: Progress) => void },
): Promise<LibraryErrorRates> {
  const phi = path.join(opts.modelsDir ?? defaultModelsDir(), 'phi.onnx');
  const modelHash = existsSync(phi) ? sha256File(phi) : null;
  const prepared = await withClassifierStore(file, (entries, store) =>
    // The error rates need the classifier alone, not the calibration of its unknown and split tests.
    prepareLibrary(entries, modelHash, 'phi', {
      classifierEvidence: opts.classifierEvidence,
      store,
      signal: opts.signal,
      onProgress: opts.onProgress,
      calibration: null,
    }),
  );
  const sizes = [...new Set(opts.sizes.filter((n) => Number.isInteger(n) && n >= 1))].sort((a, b) => a - b);
  if (!prepared.classifier) return { sizes: [], rates: [], note: prepared.classifierNote ?? 'no library classifier' };
  const rates = sizes.map((n) => libraryErrorRates(prepared.classifier!, n));
  if (rates.some((r) => r === null))
    return {
      sizes: [],
      rates: [],
      note: `the classifier keeps no held-back enrolment logits (${prepared.classifier.weighting}), so no error rate can be estimated`,
    };
  return { sizes, rates: rates as HeldBackErrorRate[][], note: null };
}
