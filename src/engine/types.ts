// Data shapes only the engine handles: decoded canvases, ingest events and library entries with
// their feature arrays. Everything that travels over JSON and IPC is declared in src/shared/types.ts
// and re-exported here, so engine modules import their types from one place.
import type { EntryCalibration, LibraryEntrySummary, Progress, SkippedFile, EvidenceFile } from '../shared/types.js';

export * from '../shared/types.js';

/**
 * An image region as the fingerprint methods see it: 3 channels (RGB), planar (CHW), 8-bit values
 * scaled to [0, 1]. Never resampled: a crop of the original pixel grid.
 */
export interface Canvas {
  width: number;
  height: number;
  data: Float32Array; // length 3 * width * height
}

export interface DecodedImage {
  file: EvidenceFile;
  crops: Canvas[];
}

export interface IngestOptions {
  /** Side of the square canvas; larger images are centre-cropped to it. Default 256. */
  canvas?: number;
  /** Smallest accepted side. Default 28. */
  minSize?: number;
  /** Crops per image for images at least twice the canvas in both directions. Default 1. */
  maxCrops?: number;
  /** Pixel-bomb guard (width × height). Default 100 million. */
  pixelLimit?: number;
  /** Follow symbolic links that lead outside the folder (default false: skipped as 'outside-folder'). */
  followExternalLinks?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export type IngestEvent = { kind: 'image'; image: DecodedImage } | { kind: 'skipped'; skipped: SkippedFile };

/** A model's residual fingerprint: the per-position mean of zero-mean residuals (Marra et al. 2019). */
export interface ResidualFingerprint {
  width: number;
  height: number;
  data: Float32Array; // CHW, 3 channels
  count: number; // images averaged
}

export interface LibraryEntry extends LibraryEntrySummary {
  residualFingerprint: ResidualFingerprint;
  calibration: EntryCalibration;
  /** Per-image φ features of the enrolment images (row-major count × dim), with their SHA-256s. */
  imageFeatures?: { dim: number; sha256: string[]; data: Float32Array };
  /** Bag embeddings z (row-major count × dim), paper Sec. 4.1 uses 100 bags. */
  bagEmbeddings?: { dim: number; count: number; bagSize: number; data: Float32Array };
  centroid?: Float32Array;
  /**
   * The same enrolment computed on projector artifacts x − P(x) instead of wavelet residuals, with
   * the manifold set-encoder's features (manifold method, 'projector' estimate). Absent for entries
   * enrolled without the manifold models.
   */
  manifold?: ManifoldParts;
  /**
   * Up to 16 enrolment residuals held out from the fingerprint, centre-cropped to at most 64×64
   * (count × 3 × height × width), so the library × library matrix of Eq. 5 can be computed on
   * images that did not shape the fingerprints.
   */
  heldOutResiduals?: { width: number; height: number; count: number; data: Float32Array };
  /**
   * Per-image residual statistics of the enrolment images (log spectrum, then centred residual
   * pixels; residual/statistics.ts), rows aligned with their SHA-256s: the library classifier's
   * evidence beside φ. Absent for entries enrolled before schema v4.
   */
  residualStatistics?: { dim: number; sha256: string[]; data: Float32Array };
  /**
   * The references re-saved with each processing of the grid (attribution/banks.ts), ordered by id;
   * absent for entries enrolled before schema v7 or without banks.
   */
  banks?: ReferenceBank[];
}

/**
 * One entry's references re-saved with one processing of the grid (attribution/banks.ts; table
 * `reference_banks`, schema v7).
 */
export interface ReferenceBank {
  /** Processing id ('jpeg-q75'). */
  id: string;
  /** What exactly was done, as stored (JSON of the Processing, the bank version and sharp's libvips version). */
  processing: string;
  /** SHA-256 of the set-encoder whose features these are. */
  modelHash: string;
  /** SHA-256 of the original reference files, row-aligned with `features` and `statistics`. */
  sha256: string[];
  features: { dim: number; data: Float32Array };
  /** Residual statistics (residual/statistics.ts) of the re-saved images, or null. */
  statistics: { dim: number; data: Float32Array } | null;
  /** Open-set calibration measured on the re-saved references (novelty; |corr| with the other folds' clean fingerprint). */
  calibration: EntryCalibration;
}

export interface ManifoldParts {
  /** SHA-256 of models/manifold/phi.onnx and of models/projector.onnx the parts were computed with. */
  modelHash: string;
  projectorHash: string;
  artifactFingerprint: ResidualFingerprint;
  calibration: EntryCalibration;
  imageFeatures?: LibraryEntry['imageFeatures'];
  bagEmbeddings?: LibraryEntry['bagEmbeddings'];
  centroid?: Float32Array;
  heldOutArtifacts?: LibraryEntry['heldOutResiduals'];
}

export interface NewLibraryEntry extends Omit<LibraryEntry, 'id' | 'createdAt'> {
  createdAt?: string;
}
