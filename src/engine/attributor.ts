// An attribution session: a library prepared for attribution (fingerprints, classifier, open-set
// statistics) plus the set-encoder, able to examine evidence and judge any subset of it.
// `analyseCase` is built on it, and the evaluation harness uses it directly, so the numbers the
// evaluation reports are produced by the very code that produces investigators' verdicts.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { ingestFiles, ingestFolder } from './ingest/index.js';
import { throwIfAborted } from './util/abort.js';
import { computeResidual, perImageCorrelations } from './residual/index.js';
import { residualStatistics } from './residual/statistics.js';
import { FingerprintLibrary, withLibrary } from './library/index.js';
import { libraryMatrix, matrixPlan, type MatrixPlan, type MatrixView } from './attribution/library-analysis.js';
import { defaultModelsDir, loadSetEncoder, type ProviderPreference, type SetEncoder } from './features/set-encoder.js';
import { prepareLibrary, type CalibrationPlan, type ClassifierPlan, type ClassifierStore, type PreparedLibrary } from './attribution/prepared-library.js';
import type { CalibrationStatistics } from './attribution/calibration.js';
import type { CalibrationSettings } from './attribution/calibration.js';
import type { FusedClassifier } from './classifier/fused.js';
import { imageEvidence, judge, type ImageEvidence } from './attribution/judge.js';
import { EngineError } from './errors.js';
import { DEFAULTS } from './defaults.js';
import { knnView, ManifoldUnavailable, maybeManifoldModels, projectorParams, projectorView } from './manifold/index.js';
import type {
  Canvas,
  ClassifierEvidence,
  EvidenceFile,
  LabelledMatrix,
  LibraryEntry,
  ManifoldOptions,
  ManifoldParams,
  MethodId,
  Progress,
  SkippedFile,
  Verdict,
} from './types.js';

export interface EngineOptions {
  /** Folder holding phi.onnx, rho.onnx and model-card.json. Default: <repo>/models. */
  modelsDir?: string;
  /** Execution provider preference; 'auto' tries CUDA/DirectML/CoreML/WebGPU, then CPU. */
  provider?: ProviderPreference;
  threads?: number;
}

const BATCH = 16;

/** Loads the set-encoder when the models folder has one; the residual method works without it. */
export async function maybeEncoder(opts: EngineOptions): Promise<SetEncoder | null> {
  const dir = opts.modelsDir ?? defaultModelsDir();
  if (!existsSync(path.join(dir, 'model-card.json'))) return null;
  return loadSetEncoder({ modelsDir: dir, provider: opts.provider, threads: opts.threads ?? DEFAULTS.threads });
}

export { throwIfAborted };

/** φ features per image (mean over its crops), served from the cache where the same bytes were seen. */
export async function featuresFor(encoder: SetEncoder, items: { sha256: string; crops: Canvas[] }[], cache: FeatureCache): Promise<Float32Array[]> {
  const out: (Float32Array | undefined)[] = items.map((it) => cache.get(it.sha256, encoder.phiSha256));
  const todo = items.map((_, i) => i).filter((i) => !out[i]);
  if (todo.length > 0) {
    const canvases: Canvas[] = [];
    const owner: number[] = [];
    for (const i of todo)
      for (const c of items[i].crops) {
        canvases.push(c);
        owner.push(i);
      }
    const feats = await encoder.embedImages(canvases);
    for (const i of todo) {
      const mine = feats.filter((_, j) => owner[j] === i);
      const mean = new Float32Array(mine[0].length);
      for (const f of mine) for (let d = 0; d < mean.length; d++) mean[d] += f[d] / mine.length;
      out[i] = mean;
      cache.put(items[i].sha256, encoder.phiSha256, mean);
    }
  }
  return out as Float32Array[];
}

export interface AttributorRequest extends EngineOptions {
  libraryPath: string;
  method: MethodId;
  /** Manifold method only: which projection estimate (default projector) and, for knn, the reference. */
  manifold?: ManifoldOptions;
  /** dsf method: the classifier's evidence, φ with the residual statistics (default) or φ alone. */
  classifierEvidence?: ClassifierEvidence;
  /**
   * The rates the library's calibrated decisions are set for (attribution/calibration.ts; default
   * 5 % / 1 %); null keeps the fixed thresholds and an untested split (the evaluation's "before").
   */
  calibration?: CalibrationSettings | null;
  /** Cancels a classifier fit that no stored classifier spares (phase 'fit' progress). */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface ExamineRequest {
  /** Evidence folder; relative paths in the results are relative to it. */
  root: string;
  /** Restrict to these files below root (absolute paths); default: the whole folder. */
  files?: string[];
  canvas: number;
  /** Canvas crops per image for images at least twice the canvas (default 1, the centre). */
  maxCrops?: number;
  /** Follow symbolic links that lead outside `root` (default false: listed as skipped). */
  followExternalLinks?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface Examination {
  manifest: EvidenceFile[];
  skipped: SkippedFile[];
  evidence: ImageEvidence[];
}

export interface Attributor {
  readonly method: MethodId;
  readonly library: PreparedLibrary;
  readonly libraryPath: string;
  readonly librarySha256: string;
  /** Entries written before schema v5, whose content has no digest to be checked against (none when all were checked). */
  readonly unverifiedEntries: string[];
  readonly encoder: SetEncoder | null;
  /** Manifold method: the estimate, its definition and (knn) the real reference set used. */
  readonly manifold: ManifoldParams | null;
  /**
   * The library × library matrix (Eq. 5) of the method's residual view: stored in the library by the
   * change that last altered its entries, kept in the sidecar by an earlier analysis, or computed now.
   */
  readonly libraryMatrix: LibraryMatrix;
  /** Reads, hashes and decodes the evidence and computes every image's evidence vector. */
  examine(req: ExamineRequest): Promise<Examination>;
  /** The verdict for a set of examined images. */
  judge(items: ImageEvidence[], opts?: { withEmbedding?: boolean }): Promise<Verdict>;
  /** Stores newly computed φ features in the feature cache beside the library and releases it. */
  persistCache(): Promise<void>;
}

/** Where an analysis's library × library matrix came from. */
export type LibraryMatrixOrigin = 'library' | 'feature-cache' | 'computed';

export interface LibraryMatrix {
  view: MatrixView;
  matrix: LabelledMatrix;
  origin: LibraryMatrixOrigin;
  /** Seconds spent computing it, when it was computed for this analysis. */
  seconds?: number;
}

/** Sidecar file holding the φ feature cache, so analyses never change the library file itself
 * (its SHA-256 is quoted in reports and must stay verifiable). */
export function featureCachePath(libraryPath: string): string {
  return `${libraryPath}.feature-cache`;
}

/** Classifiers fitted on demand that the sidecar keeps (the newest; each is up to a few MiB). */
const SIDECAR_CLASSIFIERS = 4;
/** Library × library matrices computed on demand that the sidecar keeps (the newest). */
const SIDECAR_MATRICES = 4;
/** Calibration statistics computed on demand that the sidecar keeps (the newest). */
const SIDECAR_CALIBRATIONS = 4;

/**
 * Reads cached features from the sidecar and collects new ones for one atomic write at the end.
 * It also keeps classifiers that an analysis had to fit (views chosen at attribution time, or a
 * library written without one), so the next analysis of the same content does not fit them again.
 */
export class FeatureCache {
  readonly added: { sha256: string; model: string; features: Float32Array }[] = [];
  private readonly fitted: { plan: ClassifierPlan; classifier: FusedClassifier; seconds: number }[] = [];
  private readonly matrices: { plan: MatrixPlan; matrix: LabelledMatrix; seconds: number }[] = [];
  private readonly calibrations: { plan: CalibrationPlan; statistics: CalibrationStatistics; seconds: number }[] = [];
  private constructor(
    private readonly libraryPath: string,
    private store: FingerprintLibrary | null,
  ) {}

  static async open(libraryPath: string): Promise<FeatureCache> {
    const file = featureCachePath(libraryPath);
    let store: FingerprintLibrary | null = null;
    if (existsSync(file)) {
      try {
        store = await FingerprintLibrary.open(file, { readOnly: true });
      } catch {
        store = null; // an unreadable cache only costs recomputation
      }
    }
    return new FeatureCache(libraryPath, store);
  }

  get(sha256: string, model: string): Float32Array | undefined {
    return this.store?.getCachedFeatures(sha256, model) ?? this.added.find((a) => a.sha256 === sha256 && a.model === model)?.features;
  }

  put(sha256: string, model: string, features: Float32Array): void {
    this.added.push({ sha256, model, features });
  }

  getClassifier(key: string): FusedClassifier | null {
    try {
      return this.store?.storedClassifier(key)?.classifier ?? this.fitted.find((f) => f.plan.key === key)?.classifier ?? null;
    } catch {
      return null; // a damaged cached classifier only costs a fit
    }
  }

  putClassifier(plan: ClassifierPlan, classifier: FusedClassifier, seconds: number): void {
    this.fitted.push({ plan, classifier, seconds });
  }

  getLibraryMatrix(key: string): LabelledMatrix | null {
    try {
      return this.store?.storedLibraryMatrix(key)?.matrix ?? this.matrices.find((m) => m.plan.key === key)?.matrix ?? null;
    } catch {
      return null; // a damaged cached matrix only costs computing it again
    }
  }

  putLibraryMatrix(plan: MatrixPlan, matrix: LabelledMatrix, seconds: number): void {
    this.matrices.push({ plan, matrix, seconds });
  }

  getCalibration(key: string): CalibrationStatistics | null {
    try {
      return this.store?.storedCalibration(key)?.statistics ?? this.calibrations.find((c) => c.plan.key === key)?.statistics ?? null;
    } catch {
      return null; // damaged cached statistics only cost computing them again
    }
  }

  putCalibration(plan: CalibrationPlan, statistics: CalibrationStatistics, seconds: number): void {
    this.calibrations.push({ plan, statistics, seconds });
  }

  /** Releases the sidecar without writing. */
  close(): void {
    this.store?.close();
    this.store = null;
  }

  /** Writes the new features and classifiers to the sidecar (best effort: a locked cache just means no caching). */
  async persist(): Promise<void> {
    this.close();
    if (this.added.length === 0 && this.fitted.length === 0 && this.matrices.length === 0 && this.calibrations.length === 0) return;
    const file = featureCachePath(this.libraryPath);
    try {
      if (!existsSync(file)) (await FingerprintLibrary.create(file)).close();
      await withLibrary(file, async (w) => {
        for (const c of this.added) w.putCachedFeatures(c.sha256, c.model, c.features);
        for (const { plan, classifier, seconds } of this.fitted)
          w.putClassifier({ key: plan.key, view: plan.view, modelHash: plan.modelHash, seconds, classifier });
        const newest = w
          .storedClassifierKeys()
          .sort((a, b) => b.fittedAt.localeCompare(a.fittedAt))
          .slice(0, SIDECAR_CLASSIFIERS);
        w.removeClassifiers(newest.map((c) => c.key));
        for (const { plan, matrix, seconds } of this.matrices) w.putLibraryMatrix({ key: plan.key, view: plan.view, seconds, matrix });
        for (const { plan, statistics, seconds } of this.calibrations) w.putCalibration({ key: plan.key, view: plan.view, seconds, statistics });
        const newestAnalyses = (kind: string, count: number) =>
          w
            .storedAnalysisKeys()
            .filter((a) => a.kind === kind)
            .sort((a, b) => b.computedAt.localeCompare(a.computedAt))
            .slice(0, count)
            .map((a) => a.key);
        w.removeAnalyses([...newestAnalyses('library-matrix', SIDECAR_MATRICES), ...newestAnalyses('calibration', SIDECAR_CALIBRATIONS)]);
      });
      this.added.length = 0;
      this.fitted.length = 0;
      this.matrices.length = 0;
      this.calibrations.length = 0;
    } catch {
      /* cache only */
    }
  }
}

/**
 * Where an analysis finds a fitted classifier: the library file (stored by the last change of its
 * entries), then the feature-cache sidecar (fitted by an earlier analysis); one fitted now goes to
 * the sidecar, never into the library, whose SHA-256 the report quotes.
 */
export function classifierStore(lib: FingerprintLibrary, cache: FeatureCache): ClassifierStore {
  return {
    get(key) {
      const stored = lib.storedClassifier(key);
      if (stored) return { classifier: stored.classifier, origin: 'library' };
      const cached = cache.getClassifier(key);
      return cached ? { classifier: cached, origin: 'feature-cache' } : null;
    },
    put: (plan, classifier, seconds) => cache.putClassifier(plan, classifier, seconds),
    getCalibration(key) {
      const stored = lib.storedCalibration(key);
      if (stored) return { statistics: stored.statistics, origin: 'library' };
      const cached = cache.getCalibration(key);
      return cached ? { statistics: cached, origin: 'feature-cache' } : null;
    },
    putCalibration: (plan, statistics, seconds) => cache.putCalibration(plan, statistics, seconds),
  };
}

/**
 * Reads the library (read-only; every entry checked against its digest) and runs `fn` with its
 * entries and the classifier store; a classifier fitted on demand is then kept in the sidecar.
 */
export async function withClassifierStore<T>(libraryPath: string, fn: (entries: LibraryEntry[], store: ClassifierStore) => Promise<T>): Promise<T> {
  const lib = await FingerprintLibrary.open(libraryPath, { readOnly: true });
  const cache = await FeatureCache.open(libraryPath);
  let result: T;
  try {
    result = await fn(lib.getAllEntries(), classifierStore(lib, cache));
  } catch (err) {
    cache.close();
    throw err;
  } finally {
    lib.close();
  }
  await cache.persist();
  return result;
}

export async function openAttributor(req: AttributorRequest): Promise<Attributor> {
  // The library is read once and closed: an analysis never holds it open or writes to it.
  const lib = await FingerprintLibrary.open(req.libraryPath, { readOnly: true });
  const cache = await FeatureCache.open(req.libraryPath);
  let librarySha256: string;
  let unverifiedEntries: string[];
  let setup: AttributionSetup;
  let matrix: LibraryMatrix;
  try {
    librarySha256 = lib.fileSha256();
    const entries = lib.getAllEntries();
    unverifiedEntries = lib.unverifiedEntries();
    if (entries.length === 0) throw new EngineError('empty-library', `the library ${req.libraryPath} has no entries: enrol reference folders first`);
    setup = await attributionSetup(req, entries, classifierStore(lib, cache));
    matrix = await libraryMatrixFor(matrixPlan(setup.matrixView, setup.prepared.entries), lib, cache, req.signal);
  } catch (err) {
    cache.close();
    throw err;
  } finally {
    lib.close();
  }
  const { encoder, prepared } = setup;
  const fingerprints = prepared.entries.map((e) => e.fingerprint);
  const needsStatistics = prepared.classifier?.blocks.some((b) => b.name === 'spectrum' || b.name === 'pixels') ?? false;

  return {
    method: req.method,
    library: prepared,
    libraryPath: req.libraryPath,
    librarySha256,
    unverifiedEntries,
    encoder,
    manifold: setup.manifold,
    libraryMatrix: matrix,
    async examine(x) {
      const manifest: EvidenceFile[] = [];
      const skipped: SkippedFile[] = [];
      const evidence: ImageEvidence[] = [];
      let pending: { file: EvidenceFile; crops: Canvas[] }[] = [];
      const flush = async () => {
        const feats =
          encoder && prepared.classifier
            ? await featuresFor(
                encoder,
                pending.map((p) => ({ sha256: p.file.sha256, crops: p.crops })),
                cache,
              )
            : null;
        for (let i = 0; i < pending.length; i++) {
          const p = pending[i];
          // Eq. 3 per crop, averaged over the crops of one image.
          const corrs = new Float64Array(fingerprints.length);
          const residuals = await setup.residuals(p.crops);
          for (const residual of residuals) {
            const c = perImageCorrelations(residual, fingerprints);
            for (let k = 0; k < c.length; k++) corrs[k] += Math.abs(c[k]) / p.crops.length;
          }
          const f = feats ? setup.features(feats[i]) : null;
          const stats = needsStatistics ? residualStatistics(residuals) : null;
          const ev = imageEvidence(prepared, p.file.relPath, p.file.sha256, corrs, f, stats, p.file.compression);
          if (p.file.decodeWarning) ev.decodedWithWarnings = true;
          evidence.push(ev);
        }
        pending = [];
      };
      const opts = { canvas: x.canvas, maxCrops: x.maxCrops, followExternalLinks: x.followExternalLinks, signal: x.signal, onProgress: x.onProgress };
      const events = x.files ? ingestFiles(x.root, x.files, opts) : ingestFolder(x.root, opts);
      for await (const ev of events) {
        throwIfAborted(x.signal);
        if (ev.kind === 'skipped') {
          skipped.push(ev.skipped);
          continue;
        }
        manifest.push(ev.image.file);
        pending.push({ file: ev.image.file, crops: ev.image.crops });
        if (pending.length >= BATCH) await flush();
      }
      await flush();
      return { manifest, skipped, evidence };
    },
    judge(items, opts = {}) {
      return judge(prepared, items, req.method, opts.withEmbedding === false ? null : setup.embeddingEncoder);
    },
    persistCache() {
      return cache.persist();
    },
  };
}

/**
 * The library × library matrix of `plan`: the one stored in the library (the last change of its
 * entries computed it), else one an earlier analysis kept in the sidecar, else computed now and
 * handed to the sidecar (never to the library, whose SHA-256 the report quotes).
 */
export async function libraryMatrixFor(plan: MatrixPlan, lib: FingerprintLibrary, cache: FeatureCache, signal?: AbortSignal): Promise<LibraryMatrix> {
  const stored = lib.storedLibraryMatrix(plan.key);
  if (stored) return { view: plan.view, matrix: stored.matrix, origin: 'library' };
  const cached = cache.getLibraryMatrix(plan.key);
  if (cached) return { view: plan.view, matrix: cached, origin: 'feature-cache' };
  const t0 = performance.now();
  const matrix = await libraryMatrix(plan, { signal });
  const seconds = (performance.now() - t0) / 1000;
  cache.putLibraryMatrix(plan, matrix, seconds);
  return { view: plan.view, matrix, origin: 'computed', seconds };
}

interface AttributionSetup {
  encoder: SetEncoder | null;
  /** The encoder whose ρ embeds bags for Eq. 1, or null where the features are not ρ's input. */
  embeddingEncoder: SetEncoder | null;
  prepared: PreparedLibrary;
  manifold: ManifoldParams | null;
  /** What the correlation evidence is computed on: wavelet residuals, or projector artifacts. */
  residuals(crops: Canvas[]): Promise<Canvas[]>;
  /** The residual view of the entries' fingerprints and held-out residuals (the library × library matrix's). */
  matrixView: MatrixView;
  /** Evidence φ features as the classifier sees them (identity, or the knn artifact). */
  features(f: Float32Array): Float32Array;
}

const waveletResiduals = async (crops: Canvas[]) => crops.map((c) => computeResidual(c));
const identity = (f: Float32Array) => f;

/** The library, encoder and evidence transforms of one method (and, for manifold, one estimate). */
async function attributionSetup(req: AttributorRequest, entries: LibraryEntry[], store: ClassifierStore): Promise<AttributionSetup> {
  const fit = { store, signal: req.signal, onProgress: req.onProgress };
  if (req.method !== 'manifold') {
    const encoder = req.method === 'dsf' ? await maybeEncoder(req) : null;
    return {
      encoder,
      embeddingEncoder: encoder,
      prepared: await prepareLibrary(entries, encoder?.phiSha256 ?? null, 'phi', {
        ...fit,
        classifierEvidence: req.classifierEvidence,
        calibration: req.calibration,
      }),
      manifold: null,
      residuals: waveletResiduals,
      matrixView: 'wavelet',
      features: identity,
    };
  }
  const estimate = req.manifold?.estimate ?? 'projector';
  let setup: AttributionSetup;
  if (estimate === 'projector') {
    const models = await maybeManifoldModels(req);
    if (!models)
      throw new ManifoldUnavailable(`the manifold method needs models/projector.onnx and models/manifold/: run 'npm run train:manifold' or restore models/`);
    const prepared = await prepareLibrary(projectorView(entries, models), models.encoder.phiSha256, 'manifold:projector', fit);
    prepared.featureDescription = "the manifold set-encoder's features of each image's artifact x − P(x) (learned projector)";
    prepared.correlationDescription = "Artifact correlation (x − P(x) against each entry's artifact fingerprint)";
    setup = {
      encoder: models.encoder,
      embeddingEncoder: models.encoder,
      prepared,
      manifold: projectorParams(models),
      residuals: (crops) => models.projector.artifacts(crops),
      matrixView: 'projector-artifacts',
      features: identity,
    };
  } else {
    const encoder = await maybeEncoder(req);
    if (!encoder) throw new ManifoldUnavailable(`the manifold method (knn) needs the set-encoder in models/`);
    const { view, projector, params } = await knnView(entries, encoder, req.manifold!);
    const prepared = await prepareLibrary(view, encoder.phiSha256, `manifold:knn:${params.reference!.id}:${projector.k}`, fit);
    prepared.featureDescription = `per-image artifacts φ(x) − Σ w_k φ(r_k) against the real reference set "${params.reference!.name}" (k = ${projector.k}, ${projector.indexKind})`;
    setup = {
      encoder,
      embeddingEncoder: null,
      prepared,
      manifold: params,
      residuals: waveletResiduals,
      matrixView: 'wavelet',
      features: (f) => projector.artifact(f),
    };
  }
  if (!setup.prepared.classifier)
    throw new ManifoldUnavailable(`the manifold method cannot attribute with this library: ${setup.prepared.classifierNote ?? 'no classifier'}`);
  return setup;
}
