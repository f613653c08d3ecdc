// Data shapes that travel: the CLI's JSON, the case and report files, Electron IPC and the HTTP
// bridge all carry these unchanged, so they are plain, structured-cloneable data and live in
// src/shared, below every layer that uses them. Shapes only the engine handles (decoded canvases,
// library entries with their feature arrays) are in src/engine/types.ts.
import type { CompressionCheck, ReferenceMatch } from './compression.js';
import type { ConsistencyTest } from './consistency.js';
import type { HeldBackErrorRate } from './held-back-error.js';
import type { NeighbourCheck, OpenSetCalibration, SplitTest } from './calibration.js';
import type { EarlierJpegFinding, ProcessingHistoryCheck, ResamplingFinding } from './processing-history.js';

/** Why a file of the evidence folder was not analysed. Stable codes: reports and tests key on them. */
export type SkipReason =
  | 'empty-file' // zero bytes
  | 'truncated' // image header is valid but the pixel data ends early
  | 'corrupt' // the decoder rejected the pixel data
  | 'not-an-image' // no image signature (e.g. text renamed to .png)
  | 'unsupported-format' // an image format this build of sharp cannot decode (e.g. SVG, PDF)
  | 'pixel-limit' // declared dimensions exceed the pixel-bomb limit
  | 'too-small' // smaller than the minimum canvas (28×28)
  | 'permission-denied' // cannot be opened for reading
  | 'symlink-loop' // a symbolic link that points back into its own ancestry
  | 'outside-folder' // a symbolic link whose target is outside the evidence folder (not followed unless asked)
  | 'not-a-regular-file' // FIFO, socket, device, dangling link
  | 'io-error'; // any other read failure

/** One evidence file that was read and decoded. Paths relative to the case root use '/' separators. */
export interface EvidenceFile {
  relPath: string;
  /** Set when the on-disk name is not valid UTF-8: the raw name bytes, hex encoded, so nothing is lost. */
  rawNameHex?: string;
  sha256: string;
  sizeBytes: number;
  mtimeMs: number;
  format: string; // sharp's format id: png, jpeg, webp, tiff, gif, heif, ...
  width: number;
  height: number;
  channels: number; // as stored, before canonicalisation to RGB
  bitDepth: number; // 8 or 16
  hasExif: boolean;
  /** Canvas tiles taken from this image (1 below twice the canvas both ways; at most the tile limit). One image, one piece of evidence: its tiles are averaged. */
  crops: number;
  /**
   * Compression history read from the file (ingest/compression.ts): 'lossless', 'jpeg-q90',
   * 'webp-lossy', … Absent in case files written before it was recorded.
   */
  compression?: string;
  /**
   * Set for a colour JPEG whose pixels carry no colour (R = G = B to within 1 everywhere: grey
   * content saved as a three-channel JPEG). Its chroma subsampling then changed nothing, so reference
   * banks are matched to it by quality alone (attribution/banks.ts). Absent otherwise.
   */
  colourless?: boolean;
  /**
   * Set when the file decoded only with warnings (damaged data the decoder concealed, e.g. corrupt
   * JPEG entropy data): the decoder's first warning. Absent for a clean decode (and in older cases).
   */
  decodeWarning?: string;
  /**
   * Whether the pixels show the periodic trace of a resize after generation, with the estimated
   * factor (ingest/resampling.ts). Absent in case files written before it was recorded.
   */
  resampling?: ResamplingFinding;
  /**
   * For a file saved losslessly (PNG, BMP, TIFF, GIF, lossless WebP): whether its pixels show the
   * 8×8 block traces of an earlier JPEG compression, with the estimated quality
   * (ingest/jpeg-history.ts). Absent for lossy files and in older case files.
   */
  earlierJpeg?: EarlierJpegFinding;
}

export interface SkippedFile {
  relPath: string;
  rawNameHex?: string;
  reason: SkipReason;
  message: string;
  sha256?: string;
  sizeBytes?: number;
}

export interface Progress {
  phase: string;
  done: number;
  total: number;
  /** Items per second over the job so far. */
  rate?: number;
  etaSeconds?: number;
}

export type MethodId = 'dsf' | 'residual' | 'manifold';

/**
 * How the manifold method (ManiFPT) estimates the projection of an image onto the real-image manifold:
 * 'projector' — the learned restoration network models/projector.onnx, artifact = x − P(x) in pixels, fed to
 * the manifold set-encoder; 'knn' — the k nearest images of a real reference entry in φ feature space,
 * artifact = φ(x) − Σ w_k φ(r_k).
 */
export type ManifoldEstimate = 'projector' | 'knn';

export interface ManifoldOptions {
  estimate: ManifoldEstimate;
  /** knn only: the library entry (family "real") whose images stand for the real manifold; name or id. */
  reference?: string;
  /** knn only: neighbours per projection (default 8). */
  k?: number;
}

/** Library family whose entries can serve as the knn estimate's real reference set. */
export const REAL_FAMILY = 'real';
/** Neighbours per knn projection when none is set. */
export const DEFAULT_MANIFOLD_K = 8;

/** What a case's manifold analysis used, as reported. */
export interface ManifoldParams {
  estimate: ManifoldEstimate;
  /** Human-readable definition of the artifact under this estimate. */
  definition: string;
  projectorSha256?: string;
  reference?: { id: number; name: string; family: string; images: number };
  k?: number;
  featureSpace?: string;
  /** Which nearest-neighbour search ran: exact scan or the HNSW index. */
  index?: string;
}

export interface EnrolmentProvenance {
  sourceFolders: string[];
  fileCount: number;
  skippedCount: number;
  /** SHA-256 over the sorted, newline-joined SHA-256 list of the enrolled files. */
  sha256ListDigest: string;
  /**
   * How the reference images were saved: image count per compression key (ingest/compression.ts).
   * Absent for entries enrolled before it was recorded.
   */
  compression?: Record<string, number>;
  /**
   * Canvas tiles per reference image at most (ingest/decode.ts cropRects) the entry was enrolled
   * with. Absent for entries enrolled before it was recorded: those took the centre crop only (1).
   */
  maxCrops?: number;
}

/** Per-entry open-set calibration, fitted on enrolment images held out from the fingerprint. */
export interface EntryCalibration {
  residual?: {
    /** Held-out images' |corr| with this entry's fingerprint: mean and standard deviation. */
    meanCorr: number;
    stdCorr: number;
    heldOut: number;
  };
  dsf?: {
    /**
     * Held-out images' log novelty (log of the mean per-dimension variance-normalised squared
     * distance to the entry's mean φ feature): mean and standard deviation.
     */
    meanDist: number;
    stdDist: number;
    heldOut: number;
  };
}

export interface LibraryEntrySummary {
  id: number;
  name: string;
  family: string;
  notes: string;
  createdAt: string; // ISO 8601 with offset
  provenance: EnrolmentProvenance;
  method: string; // which analyses were stored, e.g. "residual+dsf"
  modelVersion: string; // SHA-256 of the φ model used for features, or "none"
}

/** A square matrix or a rectangular table of numbers with its row and column labels. */
export interface LabelledMatrix {
  rows: string[];
  cols: string[];
  values: number[][];
}

export type Linkage = 'average' | 'complete' | 'ward';

export interface DendrogramNode {
  /** Leaf index into the labels, for leaves. */
  index?: number;
  label?: string;
  height: number;
  children?: DendrogramNode[];
}

export interface ClusteringResult {
  linkage: Linkage;
  labels: string[];
  /** Leaf order, used to sort the heatmaps. */
  order: number[];
  tree: DendrogramNode;
  /** Cophenetic correlation between the input distances and the tree. */
  copheneticCorrelation: number;
  /** What was compared: the set-encoder's bag-embedding centroids, or the Eq. 5 residual correlations. */
  space?: 'embeddings' | 'residual-correlation';
}

export interface ScoredCandidate {
  name: string;
  family: string;
  /** Posterior probability in [0,1] for dsf; mean |corr| for residual. */
  score: number;
}

/** One attribution decision with everything needed to explain it. */
export interface Verdict {
  /** Library entry name, or null when the evidence is attributed to no entry. */
  label: string | null;
  family: string | null;
  unknown: boolean;
  score: number;
  runnerUp: string | null;
  margin: number;
  evidenceCount: number;
  method: MethodId;
  candidates: ScoredCandidate[];
  /** Which evidence decided (classifier, embedding distance, residual correlation) and whether they agree. */
  decidedBy: string;
  agreement: { classifier?: string | null; embedding?: string | null; residual?: string | null; agree: boolean };
  /**
   * The open-set tests behind `unknown` (dsf: feature novelty and fingerprint correlation for the
   * chosen entry; residual: fingerprint correlation), each with its statistic, threshold and
   * exceedance (> 0 rejects; unitless, in tolerance-band units). `unknownScore` is the largest
   * exceedance — a continuous "unknown" score for evaluations; kind/statistic/threshold repeat the
   * decisive test.
   */
  openSet: {
    kind: 'novelty' | 'correlation';
    statistic: number;
    threshold: number;
    /** null when no open-set test could run (an entry without calibration). */
    unknownScore: number | null;
    tests: { kind: 'novelty' | 'correlation'; statistic: number; threshold: number; exceedance: number }[];
    /**
     * Present when the thresholds were calibrated on the library's held-back reference sets
     * (attribution/calibration.ts): the false-unknown rate they were set for and the estimated
     * rate at which a generator missing from the library is caught, at this evidence size. Absent:
     * the fixed thresholds (3 standard errors) of a library without held-back data, or older cases.
     */
    calibration?: OpenSetCalibration;
  };
  /**
   * Classifier verdicts of a calibrated library: whether the evidence is closer to the runner-up
   * than the chosen entry's own held-back reference images are. When it is, the verdict is worded weak.
   */
  neighbour?: NeighbourCheck;
  /**
   * Folder verdicts whose images the mixture split into groups: the split test behind "mixed"
   * (attribution/calibration.ts). A split it does not support is "one source, heterogeneous".
   */
  split?: SplitTest;
  /** Set on a folder verdict when the evidence splits into several groups (see the group verdicts). */
  mixed?: boolean;
  /**
   * The evidence's compression history against the nearest entry's reference images (absent where
   * the evidence's was not read). Re-compressed evidence is a known weakness of attribution.
   */
  compression?: CompressionCheck;
  /**
   * Classifier verdicts on lossy evidence: the reference bank (references re-saved like the
   * evidence) whose classifier, error rates and calibration judged it, or why the references as
   * enrolled were used. Absent for lossless evidence.
   */
  references?: ReferenceMatch;
  /**
   * Classifier verdicts on two or more images: whether the images consistently favour the chosen
   * entry over the runner-up (attribution/consistency.ts). Inconsistent evidence is worded weak.
   */
  consistency?: ConsistencyTest;
  /**
   * Classifier verdicts whose library kept held-back logits: how often a verdict for the chosen
   * entry on this many images is wrong, estimated on held-back reference images
   * (classifier/held-back-error.ts). At or above its limit the verdict is worded weak.
   */
  errorRate?: HeldBackErrorRate;
  /**
   * How many of the verdict's images decoded only with warnings (their manifest entries carry
   * `decodeWarning`); absent when none did. Damaged pixels are a caution in the statement.
   */
  decodedWithWarnings?: number;
  /**
   * How many of the verdict's images look resized, or were JPEG-compressed before being saved
   * losslessly (EvidenceFile.resampling, EvidenceFile.earlierJpeg); absent where not recorded.
   */
  processingHistory?: ProcessingHistoryCheck;
  /** Plain-language statement that never overstates ("consistent with …"). */
  statement: string;
  /** How the score was computed, for the UI tooltip and the report. */
  explanation: string;
}

export interface BagVerdict extends Verdict {
  bagIndex: number;
  files: string[]; // relPaths
}

export interface GroupVerdict extends Verdict {
  groupIndex: number;
  files: string[];
}

export interface ImageResult {
  relPath: string;
  sha256: string;
  group: number;
  /** Top candidate for this image alone, and its score (weak evidence on its own). */
  topCandidate: string | null;
  score: number;
  residualCorr: Record<string, number>;
}

export interface StabilityPoint {
  bagSize: number;
  bags: number;
  /** Mean ± std of the probability (or score) of the folder verdict's label across bags of this size. */
  meanScore: number;
  stdScore: number;
  /** Fraction of bags of this size whose verdict equals the folder verdict. */
  agreement: number;
  /** Decorrelation score (Eq. 6) of the evidence vs library correlation at this bag size. */
  decorrelation: number;
}

export interface CaseParams {
  method: MethodId;
  bagSize: number;
  bags: number;
  seed: number;
  canvas: number;
  provider: string;
  threads: number;
  /**
   * Whether symbolic links leading outside the case folder were followed (absent in cases written
   * before it was recorded; those are verified as if false: nothing outside the folder is read).
   */
  followExternalLinks?: boolean;
  /** Manifold method only: the estimate and, for knn, the real reference set. */
  manifold?: ManifoldParams;
  /** Canvas tiles per evidence image at most (absent in cases written before it was recorded: 1). */
  maxCrops?: number;
  /**
   * Why the evidence's tile limit differs from the one the references were enrolled with (an
   * override, or entries enrolled with different limits); absent when they agree.
   */
  cropLimitCaution?: string;
}

/** The library classifier's evidence: φ with the residual statistics (default), or φ alone. */
export type ClassifierEvidence = 'all' | 'phi';
export const CLASSIFIER_EVIDENCE: readonly ClassifierEvidence[] = ['all', 'phi'];

export interface ClassifierSummary {
  /** One multinomial logistic regression per block; per-image logits are Σ weight · block logits. */
  blocks: { name: string; description: string; weight: number }[];
  /** How the weights were obtained. */
  weighting: string;
  /** Out-of-fold per-image accuracy of the combined model on the enrolment images, when weights were fitted. */
  heldOutAccuracy: number | null;
  /** α of the bag temperature τ(n) = n^α (classifier/bag-temperature.ts); null or absent: untempered. */
  bagTemperatureExponent?: number | null;
  /** Why residual blocks are missing where they would normally be used, or null. */
  caveat: string | null;
  /**
   * Every entry's error rate on held-back reference sets of the case's bag size
   * (classifier/held-back-error.ts), in library order; null or absent where it cannot be estimated.
   */
  errorRates?: HeldBackErrorRate[] | null;
  /**
   * Where the classifier came from: 'library' (stored in the library file by the change that last
   * altered its entries; covered by the library's SHA-256), 'feature-cache' (fitted by an earlier
   * analysis of the same content and kept in the sidecar), 'fitted' (fitted for this analysis).
   * Absent in results written before it was recorded.
   */
  origin?: 'library' | 'feature-cache' | 'fitted';
  /** Seconds the fit took, when origin is 'fitted'. */
  fitSeconds?: number;
  /**
   * Where the calibration's held-back statistics (the calibrated unknown and split thresholds are
   * derived from them for the case's rates) came from: 'library' (stored with the classifier by the
   * change that last altered the entries), 'feature-cache' (computed by an earlier analysis and kept
   * in the sidecar) or 'computed' (for this analysis, in `seconds`). Absent where the classifier
   * keeps no held-back data (the fixed thresholds apply) and in results written before it was recorded.
   */
  calibration?: { origin: 'library' | 'feature-cache' | 'computed'; seconds?: number };
}

/** The library's error rates before any case (library-ops.ts estimateLibraryErrorRates). */
export interface LibraryErrorRates {
  /** Set sizes the rates were estimated at, ascending; `rates[i]` holds every entry's rate at `sizes[i]`. */
  sizes: number[];
  /** Per size, every entry's held-back error rate in library order (classifier/held-back-error.ts). */
  rates: HeldBackErrorRate[][];
  /** Why there are no rates (no set-encoder, too few entries or images, φ-only classifier), else null. */
  note: string | null;
}

export interface CaseResult {
  schema: 'genprint.case/1';
  caseId: string;
  createdAt: string;
  caseRoot: string;
  examiner?: string;
  notes?: string;
  software: { name: string; version: string; gitCommit: string | null };
  params: CaseParams;
  model: { phiSha256: string | null; rhoSha256: string | null; modelCardVersion: string | null };
  library: {
    path: string;
    sha256: string;
    entries: { id: number; name: string; family: string }[];
    /** The library classifier the verdicts used (classifier methods only): its evidence blocks and their weights. */
    classifier?: ClassifierSummary;
    /**
     * Entries written before library schema v5, which carry no digest, so damage to them cannot be
     * detected (every other entry was checked against its digest); absent when there are none.
     */
    unverifiedEntries?: string[];
  };
  manifest: EvidenceFile[];
  skipped: SkippedFile[];
  images: ImageResult[];
  verdicts: { folder: Verdict; groups: GroupVerdict[]; bags: BagVerdict[] };
  correlation: {
    /** Evidence groups × library entries, Eq. 4 with the evidence as held-out images. */
    evidenceVsLibrary: LabelledMatrix;
    /** Library × library (Eq. 5) on the entries' calibration images. */
    libraryVsLibrary: LabelledMatrix;
    decorrelationScore: number;
    /**
     * Where libraryVsLibrary came from: stored in the library by its last change ('library'), kept
     * in the feature-cache sidecar by an earlier analysis, or computed for this analysis (a library
     * written before schema v6; `genprint library fit` stores it). Absent in cases written before.
     */
    libraryVsLibraryOrigin?: 'library' | 'feature-cache' | 'computed';
  };
  clustering: ClusteringResult | null;
  stability: StabilityPoint[];
  timings: Record<string, number>;
}

/** Whether a method's verdict score is a probability (the classifier methods) or a mean |corr| (residual). */
export function scoreIsProbability(method: MethodId): boolean {
  return method !== 'residual';
}
