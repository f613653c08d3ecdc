// An attribution session: a library prepared for attribution (fingerprints, classifier, open-set
// statistics) plus the set-encoder, able to examine evidence and judge any subset of it.
// `analyseCase` is built on it, and the evaluation harness uses it directly, so the numbers the
// evaluation reports are produced by the very code that produces investigators' verdicts.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { copyFileSync, existsSync } from 'node:fs';
import { ingestFiles, ingestFolder, type DecodedInfo } from './ingest/index.js';
import { throwIfAborted } from './util/abort.js';
import { FingerprintBank } from './correlation.js';
import { RESIDUAL_VERSION, residualEngine } from './residual/wavelet-onnx.js';
import { residualStatistics } from './residual/statistics.js';
import { FingerprintLibrary, withLibrary } from './library/index.js';
import { RecordLog } from './library/record-log.js';
import { libraryMatrix, matrixPlan, type MatrixPlan, type MatrixView } from './attribution/library-analysis.js';
import { defaultModelsDir, loadSetEncoder, type ProviderPreference, type SetEncoder } from './features/set-encoder.js';
import { prepareLibrary, type CalibrationPlan, type ClassifierPlan, type ClassifierStore, type PreparedLibrary } from './attribution/prepared-library.js';
import type { CalibrationStatistics } from './attribution/calibration.js';
import type { CalibrationSettings } from './attribution/calibration.js';
import type { FusedClassifier } from './classifier/fused.js';
import { imageEvidence, imageHistory, type ImageEvidence } from './attribution/judge.js';
import { FeatureSpill } from './attribution/feature-spill.js';
import { bankMatchKey, matchBank } from './attribution/banks.js';
import { judgeWithBanks, prepareBankLibraries } from './attribution/bank-classifiers.js';
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

export const DEFAULT_THREADS = 2;
/** Images per batch through the residual graph and φ (sized with `npm run bench`, docs/performance.md). */
export const DEFAULT_BATCH = 4;

/** Loads the set-encoder when the models folder has one; the residual method works without it. */
export async function maybeEncoder(opts: EngineOptions): Promise<SetEncoder | null> {
  const dir = opts.modelsDir ?? defaultModelsDir();
  if (!existsSync(path.join(dir, 'model-card.json'))) return null;
  return loadSetEncoder({ modelsDir: dir, provider: opts.provider, threads: opts.threads ?? DEFAULTS.threads });
}

export { throwIfAborted };

/**
 * The feature cache's model key for φ features taken with a crop limit: a mean over 16 tiles is not
 * the one-crop feature of the same bytes, so it is never served for it. Limit 1 keeps the bare model
 * hash, the key of caches written before the limit existed.
 */
export function featureCacheModel(phiSha256: string, maxCrops: number): string {
  return maxCrops <= 1 ? phiSha256 : `${phiSha256}|tiles:${maxCrops}`;
}

/**
 * φ features per image (mean over its crops, so the crops of one image make one feature vector and
 * one piece of evidence), served from the cache where the same bytes were seen with the same limit.
 */
export async function featuresFor(
  encoder: SetEncoder,
  items: { sha256: string; crops: Canvas[] }[],
  cache: FeatureCache,
  maxCrops: number,
): Promise<Float32Array[]> {
  const model = featureCacheModel(encoder.phiSha256, maxCrops);
  const out: (Float32Array | undefined)[] = items.map((it) => cache.get(it.sha256, model));
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
      cache.put(items[i].sha256, model, mean);
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
  /** Canvas tiles per image at most (ingest/decode.ts cropRects); default the library's (`cropLimit`). */
  maxCrops?: number;
  /** Follow symbolic links that lead outside `root` (default false: listed as skipped). */
  followExternalLinks?: boolean;
  /** Images per batch (default DEFAULT_BATCH); memory grows with it, not with the folder. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface Examination {
  manifest: EvidenceFile[];
  skipped: SkippedFile[];
  evidence: ImageEvidence[];
  /** Images whose evidence came from the cache beside the library (not decoded, no residual, no φ). */
  cachedEvidence: number;
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
  /** The reference banks' prepared libraries (dsf method, banks every entry has), by bank id. */
  readonly banks: ReadonlyMap<string, PreparedLibrary>;
  /** The tile limit the library's references were enrolled with: examine's default. */
  readonly cropLimit: LibraryCropLimit;
  /** Reads, hashes and decodes the evidence and computes every image's evidence vector. */
  examine(req: ExamineRequest): Promise<Examination>;
  /**
   * The verdict for a set of examined images: by the reference bank all of them were matched to,
   * else by the references as enrolled. `banks: false` ignores the banks (the evaluation's
   * "references as enrolled" rows).
   */
  judge(items: ImageEvidence[], opts?: { withEmbedding?: boolean; banks?: boolean }): Promise<Verdict>;
  /** Stores newly computed φ features in the feature cache beside the library and releases it. */
  persistCache(): Promise<void>;
}

/**
 * The tile limit of a library's references: the entries' recorded limit (1 for entries enrolled
 * before it was recorded), the most common one where entries disagree, the larger on a tie.
 */
export interface LibraryCropLimit {
  limit: number;
  /** Every limit the entries were enrolled with, ascending; more than one: the entries disagree. */
  entryLimits: number[];
}

export function libraryCropLimit(entries: readonly Pick<LibraryEntry, 'provenance'>[]): LibraryCropLimit {
  const counts = new Map<number, number>();
  for (const e of entries) {
    const l = e.provenance.maxCrops ?? 1;
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  const entryLimits = [...counts.keys()].sort((a, b) => a - b);
  let limit = entryLimits[0] ?? 1;
  for (const l of entryLimits) if (counts.get(l)! >= counts.get(limit)!) limit = l;
  return { limit, entryLimits };
}

/**
 * What a case must say about its tile limit, or null: evidence taken with another limit than the
 * references (the mean of many tiles' features spreads less than one tile's, and the classifier's
 * temperature and calibration were fitted on the references' spread), or references that disagree.
 */
export function cropLimitCaution(used: number, library: LibraryCropLimit): string | null {
  const tiles = (n: number) => `${n} tile${n === 1 ? '' : 's'}`;
  if (library.entryLimits.length > 1)
    return (
      `the library's entries were enrolled with different tile limits (${library.entryLimits.join(', ')} per image); the evidence was taken with ` +
      `up to ${tiles(used)} per image, so some entries' references were measured unlike the evidence: re-enrol them with one limit`
    );
  if (used !== library.limit)
    return (
      `the evidence was taken with up to ${tiles(used)} per image, the library's references with up to ${tiles(library.limit)}: features averaged ` +
      `over more tiles spread less than the classifier's temperature and calibration were fitted for, so its probabilities and error rates may not hold`
    );
  return null;
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

/** The per-image half of the sidecar (φ features and evidence records): an append-only record log. */
export function featureLogPath(libraryPath: string): string {
  return `${libraryPath}.feature-log`;
}

/** Both sidecar files of a library, those that exist. */
export function sidecarFiles(libraryPath: string): string[] {
  return [featureCachePath(libraryPath), featureLogPath(libraryPath)].filter((f) => existsSync(f));
}

/** Copies a library's sidecar files to serve `dest` (the eval reuses one library's cache for another). */
export function copySidecar(libraryPath: string, dest: string): void {
  if (existsSync(featureCachePath(libraryPath))) copyFileSync(featureCachePath(libraryPath), featureCachePath(dest));
  if (existsSync(featureLogPath(libraryPath))) copyFileSync(featureLogPath(libraryPath), featureLogPath(dest));
}

/** Classifiers fitted on demand that the sidecar keeps (the newest; each is up to a few MiB). */
const SIDECAR_CLASSIFIERS = 4;
/** Library × library matrices computed on demand that the sidecar keeps (the newest). */
const SIDECAR_MATRICES = 4;
/** Calibration statistics computed on demand that the sidecar keeps (the newest). */
const SIDECAR_CALIBRATIONS = 4;

/** Per-image records held in memory before they are appended to the log: bounds memory on large folders. */
const LOG_FLUSH_RECORDS = 256;

/**
 * Reads cached per-image features and evidence records from the sidecar's record log and appends
 * new ones as they accumulate (memory stays bounded whatever the folder size). It also keeps, in
 * the sidecar database, classifiers that an analysis had to fit (views chosen at attribution time,
 * or a library written without one), so the next analysis of the same content does not fit them
 * again; those are written once, by persist().
 */
export class FeatureCache {
  /** Records computed in this session and not yet in the log, by `${model}|${sha256}`. */
  private readonly added = new Map<string, Float32Array>();
  private readonly fitted: { plan: ClassifierPlan; classifier: FusedClassifier; seconds: number }[] = [];
  private readonly matrices: { plan: MatrixPlan; matrix: LabelledMatrix; seconds: number }[] = [];
  private readonly calibrations: { plan: CalibrationPlan; statistics: CalibrationStatistics; seconds: number }[] = [];
  private constructor(
    private readonly libraryPath: string,
    private store: FingerprintLibrary | null,
    private log: RecordLog | null,
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
    return new FeatureCache(libraryPath, store, RecordLog.open(featureLogPath(libraryPath)));
  }

  get(sha256: string, model: string): Float32Array | undefined {
    const key = `${model}|${sha256}`;
    const added = this.added.get(key);
    if (added) return added;
    const logged = this.log?.get(key);
    // Copied out: the payload sits at an arbitrary offset of the read buffer, a float view needs 4-byte alignment.
    if (logged && logged.byteLength % 4 === 0) return new Float32Array(new Uint8Array(logged).buffer);
    // Sidecars written before the record log kept features in the database.
    return this.store?.getCachedFeatures(sha256, model);
  }

  put(sha256: string, model: string, features: Float32Array): void {
    this.added.set(`${model}|${sha256}`, features);
    if (this.added.size >= LOG_FLUSH_RECORDS) this.flushRecords();
  }

  /** Appends the records held in memory to the log (best effort: a locked log means no caching). */
  private flushRecords(): void {
    if (this.added.size === 0) return;
    this.log ??= RecordLog.open(featureLogPath(this.libraryPath));
    this.log.append([...this.added].map(([key, f]) => ({ key, payload: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) })));
    this.added.clear();
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

  /** Releases the sidecar without writing what is still held in memory (records already appended stay). */
  close(): void {
    this.store?.close();
    this.store = null;
    this.log?.close();
    this.log = null;
  }

  /** Writes the new records, classifiers and analyses to the sidecar (best effort: a locked cache just means no caching). */
  async persist(): Promise<void> {
    this.flushRecords();
    this.close();
    if (this.fitted.length === 0 && this.matrices.length === 0 && this.calibrations.length === 0) return;
    const file = featureCachePath(this.libraryPath);
    try {
      if (!existsSync(file)) (await FingerprintLibrary.create(file)).close();
      await withLibrary(file, async (w) => {
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
      this.fitted.length = 0;
      this.matrices.length = 0;
      this.calibrations.length = 0;
    } catch {
      /* cache only */
    }
  }
}

/**
 * The per-image evidence that depends on the library (|corr| per entry, the classifier's
 * log-probabilities and novelty), cached beside φ features in the sidecar so that re-analysing
 * unchanged files skips the residual too. Kept in the same table as the features, under a key that
 * names everything the numbers depend on (see `evidenceKey`); float64 values are stored bit for bit.
 */
export const evidenceCodec = {
  /**
   * Layout: float64 [entries, flags, info bytes, corr × n, logProba × n, novelty × n, and with a
   * matched reference bank its logProba × n, novelty × n] (absent parts NaN), then the decoded-file
   * fields as UTF-8 JSON, padded to whole float32 values. The bank's id is not stored: it follows
   * from the file's compression and the library's banks (banks.ts, matchBank).
   */
  encode(e: Pick<ImageEvidence, 'corr' | 'logProba' | 'novelty' | 'matched'>, info: DecodedInfo): Float32Array {
    const n = e.corr.length;
    const json = new TextEncoder().encode(JSON.stringify(info));
    const m = e.matched;
    const numbers = new Float64Array(3 + (m ? 5 : 3) * n).fill(NaN);
    numbers[0] = n;
    numbers[1] = (e.logProba ? 1 : 0) + (e.novelty ? 2 : 0) + (m ? 4 : 0) + (m?.novelty ? 8 : 0);
    numbers[2] = json.length;
    numbers.set(e.corr, 3);
    if (e.logProba) numbers.set(e.logProba, 3 + n);
    if (e.novelty) numbers.set(e.novelty, 3 + 2 * n);
    if (m?.logProba) numbers.set(m.logProba, 3 + 3 * n);
    if (m?.novelty) numbers.set(m.novelty, 3 + 4 * n);
    const bytes = new Uint8Array(numbers.byteLength + Math.ceil(json.length / 4) * 4);
    bytes.set(new Uint8Array(numbers.buffer), 0);
    bytes.set(json, numbers.byteLength);
    return new Float32Array(bytes.buffer);
  },
  decode(
    data: Float32Array,
    entries: number,
  ):
    | (Pick<ImageEvidence, 'corr' | 'logProba' | 'novelty'> & {
        matched: { logProba: Float64Array | null; novelty: Float64Array | null } | null;
        info: DecodedInfo;
      })
    | null {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    if (bytes.length < 24) return null;
    const head = new Float64Array(bytes.buffer, 0, 3);
    const [n, flags, infoLength] = head;
    // Flag 4: a matched bank's part follows (its log-probabilities are NaN where its classifier gave none).
    const banked = flags >= 4;
    const numbersLength = 8 * (3 + (banked ? 5 : 3) * n);
    if (n !== entries || !(Number.isInteger(flags) && flags >= 0 && flags <= 15) || !(infoLength >= 0) || bytes.length < numbersLength + infoLength)
      return null;
    const v = new Float64Array(bytes.buffer, 0, numbersLength / 8);
    let info: DecodedInfo;
    try {
      info = JSON.parse(new TextDecoder().decode(bytes.subarray(numbersLength, numbersLength + infoLength))) as DecodedInfo;
    } catch {
      return null;
    }
    return {
      corr: v.slice(3, 3 + n),
      logProba: flags & 1 ? v.slice(3 + n, 3 + 2 * n) : null,
      novelty: flags & 2 ? v.slice(3 + 2 * n, 3 + 3 * n) : null,
      matched: banked
        ? {
            logProba: v.slice(3 + 3 * n, 3 + 4 * n).some(Number.isNaN) ? null : v.slice(3 + 3 * n, 3 + 4 * n),
            novelty: flags & 8 ? v.slice(3 + 4 * n, 3 + 5 * n) : null,
          }
        : null,
      info,
    };
  },
};

/** The manifest fields an evidence record keeps (everything but names, hash, size and time). */
function decodedInfo(file: EvidenceFile): DecodedInfo {
  const { relPath: _r, rawNameHex: _h, sha256: _s, sizeBytes: _b, mtimeMs: _m, ...info } = file;
  return info;
}

/**
 * Bump when what an evidence record holds, or how it is computed, changes (3: processing-history
 * findings and the matched bank's part; 4: a seeded choice of tiles above the limit; 5: JPEG
 * compression keys name their chroma subsampling, so a 4:4:4 file is no longer matched to a 4:2:0
 * bank, and grey content in a colour JPEG is flagged `colourless`; 6: a lossless file with the
 * traces of an earlier JPEG on its own grid is matched to that JPEG's bank, banks.ts bankMatchKey;
 * 7: a lossy WebP's key carries the quality its quantisers fit, ingest/webp-quality.ts).
 */
const EVIDENCE_RECORD_VERSION = 7;

/** ImageEvidence.history from a manifest entry, as a spreadable part. */
function withHistory(file: EvidenceFile): Pick<ImageEvidence, 'history'> {
  const history = imageHistory(file);
  return history ? { history } : {};
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
  return withLibraryAndCache(libraryPath, (lib, cache) => fn(lib.getAllEntries(), classifierStore(lib, cache)));
}

/**
 * Runs `fn` with the library open read-only and its feature-cache sidecar, closes the library,
 * then writes what `fn` left in the cache (nothing when `fn` fails): the library file is never
 * written by a reader, so its SHA-256 stays what reports quote.
 */
export async function withLibraryAndCache<T>(libraryPath: string, fn: (lib: FingerprintLibrary, cache: FeatureCache) => Promise<T>): Promise<T> {
  const lib = await FingerprintLibrary.open(libraryPath, { readOnly: true });
  const cache = await FeatureCache.open(libraryPath);
  let result: T;
  try {
    result = await fn(lib, cache);
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
  // ONNX Runtime's sessions (φ and ρ, the residual graph) are started first: they are created on
  // this thread while the library file is read on libuv's threads (FingerprintLibrary.open), and
  // attributionSetup below finds them in their caches. A failure surfaces there, not here.
  if (req.method === 'dsf') maybeEncoder(req).catch(() => undefined);
  if (req.method !== 'manifold') residualEngine({ provider: req.provider, threads: req.threads ?? DEFAULT_THREADS }).catch(() => undefined);
  // The library is read once and closed: an analysis never holds it open or writes to it.
  const lib = await FingerprintLibrary.open(req.libraryPath, { readOnly: true });
  const cache = await FeatureCache.open(req.libraryPath);
  let librarySha256: string;
  let unverifiedEntries: string[];
  let setup: AttributionSetup;
  let matrix: LibraryMatrix;
  let banks: Map<string, PreparedLibrary>;
  let cropLimit: LibraryCropLimit;
  try {
    librarySha256 = lib.fileSha256();
    const entries = lib.getAllEntries();
    unverifiedEntries = lib.unverifiedEntries();
    if (entries.length === 0) throw new EngineError('empty-library', `the library ${req.libraryPath} has no entries: enrol reference folders first`);
    cropLimit = libraryCropLimit(entries);
    setup = await attributionSetup(req, entries, classifierStore(lib, cache));
    // Reference banks: the dsf method's classifier, fitted on references re-saved like lossy evidence.
    banks =
      req.method === 'dsf' && setup.prepared.classifier
        ? await prepareBankLibraries(entries, setup.prepared.modelHash, {
            store: classifierStore(lib, cache),
            signal: req.signal,
            onProgress: req.onProgress,
            classifierEvidence: req.classifierEvidence,
          })
        : new Map();
    matrix = await libraryMatrixFor(matrixPlan(setup.matrixView, setup.prepared.entries), lib, cache, req.signal);
  } catch (err) {
    cache.close();
    throw err;
  } finally {
    lib.close();
  }
  const { encoder, prepared } = setup;
  const fingerprints = prepared.entries.map((e) => e.fingerprint);
  const bank = new FingerprintBank(fingerprints);
  const needsStatistics = [prepared, ...banks.values()].some((p) => p.classifier?.blocks.some((b) => b.name === 'spectrum' || b.name === 'pixels') ?? false);
  const bankIds = [...banks.keys()];

  return {
    method: req.method,
    library: prepared,
    libraryPath: req.libraryPath,
    librarySha256,
    unverifiedEntries,
    encoder,
    manifold: setup.manifold,
    libraryMatrix: matrix,
    banks,
    cropLimit,
    async examine(x) {
      const maxCrops = Math.max(1, Math.floor(x.maxCrops ?? cropLimit.limit));
      const manifest: EvidenceFile[] = [];
      const skipped: SkippedFile[] = [];
      const evidence: ImageEvidence[] = [];
      // Evidence records are valid for exactly this library file, method, models, canvas and tile limit.
      const recordKey = setup.evidenceKey
        ? `evidence:${createHash('sha256')
            .update(JSON.stringify([EVIDENCE_RECORD_VERSION, librarySha256, req.method, setup.evidenceKey, x.canvas, maxCrops]))
            .digest('hex')}`
        : null;
      const entryCount = prepared.entries.length;
      let cachedEvidence = 0;
      // Each image's φ features go to a file and are read back per verdict (feature-spill.ts): they
      // are most of what the analysis would otherwise hold per image until the folder is judged.
      const spill = encoder && prepared.classifier ? FeatureSpill.create() : null;

      const examineBatch = async (batch: { file: EvidenceFile; crops: Canvas[] }[]) => {
        const cached = batch.map((p) => {
          const hit = recordKey ? cache.get(p.file.sha256, recordKey) : undefined;
          return hit ? evidenceCodec.decode(hit, entryCount) : null;
        });
        const todo = batch.filter((_, i) => !cached[i]);
        const owner = todo.flatMap((p, i) => p.crops.map(() => i));
        // The residuals (ONNX graph or projector) and φ run at the same time on ONNX Runtime's threads.
        const [residuals, feats] = await Promise.all([
          todo.length > 0 ? setup.residuals(todo.flatMap((p) => p.crops)) : Promise.resolve([]),
          encoder && prepared.classifier
            ? featuresFor(
                encoder,
                batch.map((p) => ({ sha256: p.file.sha256, crops: p.crops })),
                cache,
                maxCrops,
              )
            : Promise.resolve(null),
        ]);
        for (let i = 0, t = 0; i < batch.length; i++) {
          const p = batch[i];
          const f = feats ? setup.features(feats[i]) : null;
          const hit = cached[i];
          const key = bankMatchKey(p.file.compression, p.file.earlierJpeg);
          const assumed = key.assumed && key.key ? { assumed: key.key } : {};
          if (hit) {
            cachedEvidence++;
            const matched = matchBank(key.key, bankIds, p.file.colourless);
            const ev: ImageEvidence = {
              relPath: p.file.relPath,
              sha256: p.file.sha256,
              corr: hit.corr,
              logProba: hit.logProba,
              novelty: hit.novelty,
              features: f,
              ...(matched && hit.matched ? { matched: { bank: matched.id, ...hit.matched, ...assumed } } : {}),
              ...(p.file.compression ? { compression: p.file.compression } : {}),
              ...(p.file.decodeWarning ? { decodedWithWarnings: true } : {}),
              ...withHistory(p.file),
            };
            evidence.push(spill ? spill.attach(ev) : ev);
            continue;
          }
          // Only files whose record and features are cached are left undecoded (`known` below).
          if (p.crops.length === 0) throw new Error(`internal: ${p.file.relPath} was not decoded but its cached evidence is gone`);
          const mine = residuals.filter((_, j) => owner[j] === t);
          t++;
          // Eq. 3 per crop, averaged over the crops of one image.
          const corrs = new Float64Array(fingerprints.length);
          for (const residual of mine) {
            const c = bank.absCorrelations(residual);
            for (let k = 0; k < c.length; k++) corrs[k] += c[k] / mine.length;
          }
          const stats = needsStatistics ? residualStatistics(mine) : null;
          const ev = imageEvidence(prepared, p.file.relPath, p.file.sha256, corrs, f, stats, p.file.compression);
          const matched = matchBank(key.key, bankIds, p.file.colourless);
          if (matched) {
            const b = imageEvidence(banks.get(matched.id)!, p.file.relPath, p.file.sha256, corrs, f, stats, p.file.compression);
            ev.matched = { bank: matched.id, logProba: b.logProba, novelty: b.novelty, ...assumed };
          }
          if (p.file.decodeWarning) ev.decodedWithWarnings = true;
          Object.assign(ev, withHistory(p.file));
          if (recordKey) cache.put(p.file.sha256, recordKey, evidenceCodec.encode(ev, decodedInfo(p.file)));
          evidence.push(spill ? spill.attach(ev) : ev);
        }
      };

      // Decoding the next batch overlaps the ONNX work and the JavaScript scoring of this one. At most
      // two batches of decoded canvases are held at once, whatever the folder size.
      const batchSize = Math.max(1, Math.floor(x.batchSize ?? DEFAULT_BATCH));
      let inflight: Promise<void> = Promise.resolve();
      let pending: { file: EvidenceFile; crops: Canvas[] }[] = [];
      // A file whose evidence record (with the decoded-file fields) and φ features are cached is
      // hashed but not decoded: the record is keyed by the SHA-256 of exactly these bytes.
      const wantFeatures = encoder && prepared.classifier ? featureCacheModel(encoder.phiSha256, maxCrops) : null;
      const known = recordKey
        ? (sha256: string) => {
            const hit = cache.get(sha256, recordKey);
            const rec = hit ? evidenceCodec.decode(hit, entryCount) : null;
            if (!rec || (wantFeatures && !cache.get(sha256, wantFeatures))) return undefined;
            return rec.info;
          }
        : undefined;
      const opts = { canvas: x.canvas, maxCrops, followExternalLinks: x.followExternalLinks, signal: x.signal, onProgress: x.onProgress, known };
      const events = x.files ? ingestFiles(x.root, x.files, opts) : ingestFolder(x.root, opts);
      try {
        for await (const ev of events) {
          throwIfAborted(x.signal);
          if (ev.kind === 'skipped') {
            skipped.push(ev.skipped);
            continue;
          }
          manifest.push(ev.image.file);
          pending.push({ file: ev.image.file, crops: ev.image.crops });
          if (pending.length >= batchSize) {
            const batch = pending;
            pending = [];
            await inflight;
            inflight = examineBatch(batch);
            inflight.catch(() => undefined); // awaited below; this only keeps a failure from going unhandled meanwhile
          }
        }
      } finally {
        await inflight.catch(() => undefined);
      }
      await inflight;
      if (pending.length > 0) await examineBatch(pending);
      spill?.flush();
      return { manifest, skipped, evidence, cachedEvidence };
    },
    judge(items, opts = {}) {
      return judgeWithBanks(prepared, banks, items, req.method, opts.withEmbedding === false ? null : setup.embeddingEncoder, opts.banks !== false);
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
  /**
   * What, besides the library file and the canvas, the per-image evidence depends on; null where it
   * is not cached (the manifold method's views depend on more than the library file).
   */
  evidenceKey: string | null;
  /** Evidence φ features as the classifier sees them (identity, or the knn artifact). */
  features(f: Float32Array): Float32Array;
}

/** Wavelet residuals through the ONNX residual graph (wavelet-onnx.ts) on the session's provider. */
function waveletResiduals(opts: EngineOptions): (crops: Canvas[]) => Promise<Canvas[]> {
  const engine = residualEngine({ provider: opts.provider, threads: opts.threads ?? DEFAULT_THREADS });
  return async (crops) => (await engine).residuals(crops);
}
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
      residuals: waveletResiduals(req),
      matrixView: 'wavelet',
      evidenceKey: JSON.stringify([RESIDUAL_VERSION, encoder?.phiSha256 ?? null, req.classifierEvidence ?? 'fused']),
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
      evidenceKey: null,
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
      residuals: waveletResiduals(req),
      matrixView: 'wavelet',
      evidenceKey: null,
      features: (f) => projector.artifact(f),
    };
  }
  if (!setup.prepared.classifier)
    throw new ManifoldUnavailable(`the manifold method cannot attribute with this library: ${setup.prepared.classifierNote ?? 'no classifier'}`);
  return setup;
}
