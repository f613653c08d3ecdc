// Library operations used by the CLI and the app: thin wrappers over ./library that open, act,
// save atomically and close, plus the library's own correlation analysis, clustering and error rates.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { FingerprintLibrary, withLibrary } from './library/index.js';
import { decorrelationScore, diagonalContrast } from './correlation.js';
import { clusterModels, clusterVectors } from './cluster.js';
import { prepareLibrary } from './attribution/prepared-library.js';
import { embeddingCentroid, libraryMatrix } from './attribution/library-analysis.js';
import { maybeEncoder, type EngineOptions } from './attributor.js';
import { defaultModelsDir, sha256File } from './features/set-encoder.js';
import { libraryErrorRates } from './classifier/held-back-error.js';
import type { HeldBackErrorRate } from '../shared/held-back-error.js';
import type { ClassifierEvidence, LibraryErrorRates } from './types.js';
import { ManifoldUnavailable, maybeManifoldModels, projectorView } from './manifold/index.js';
import type { ClusteringResult, LabelledMatrix, LibraryEntry, LibraryEntrySummary, Linkage } from './types.js';

export interface LibraryInfo {
  path: string;
  sha256: string;
  schemaVersion: number;
  entries: LibraryEntrySummary[];
}

async function info(lib: FingerprintLibrary): Promise<LibraryInfo> {
  return { path: lib.path, sha256: lib.fileSha256(), schemaVersion: lib.schemaVersion, entries: lib.listEntries() };
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

export async function renameEntry(file: string, nameOrId: string, newName: string): Promise<void> {
  await withLibrary(file, async (lib) => lib.renameEntry(nameOrId, newName));
}

export async function removeEntry(file: string, nameOrId: string): Promise<void> {
  await withLibrary(file, async (lib) => lib.removeEntry(nameOrId));
}

/** Writes the chosen entries (all when names is empty) into a new single-file library at dest. */
export async function exportLibrary(file: string, dest: string, names: string[] = []): Promise<LibraryInfo> {
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  try {
    await lib.exportEntries(dest, names.length ? names : undefined);
  } finally {
    lib.close();
  }
  return listLibrary(dest);
}

/** Merges the entries of another library file; name clashes get a numeric suffix, never overwrite. */
export async function importLibrary(file: string, source: string): Promise<LibraryInfo> {
  await withLibrary(file, async (lib) => lib.importFrom(source));
  return listLibrary(file);
}

/** Every entry with its stored parts, read from a library opened read-only. */
async function readAllEntries(file: string): Promise<LibraryEntry[]> {
  const lib = await FingerprintLibrary.open(file, { readOnly: true });
  try {
    return lib.getAllEntries();
  } finally {
    lib.close();
  }
}

export interface LibraryAnalysis {
  libraryVsLibrary: LabelledMatrix;
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
  let entries = await readAllEntries(file);
  let encoder = opts.space === 'residual' ? null : await maybeEncoder(opts);
  if (opts.residuals === 'projector') {
    const models = await maybeManifoldModels(opts);
    if (!models)
      throw new ManifoldUnavailable("projector artifacts need models/projector.onnx and models/manifold/: run 'npm run train:manifold' or restore models/");
    entries = projectorView(entries, models);
    encoder = opts.space === 'residual' ? null : models.encoder;
  }
  const prepared = prepareLibrary(entries, encoder?.phiSha256 ?? null, opts.residuals === 'projector' ? 'manifold:projector' : 'phi');
  const matrix = libraryMatrix(prepared);
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
      },
    };
  } finally {
    lib.close();
  }
}

/**
 * How reliably the library's classifier tells its entries apart, before any case: every entry's
 * error rate on held-back reference sets of each size (classifier/held-back-error.ts). Fits the
 * library classifier as attribution would (cached per library content).
 */
export async function estimateLibraryErrorRates(
  file: string,
  opts: { sizes: number[]; modelsDir?: string; classifierEvidence?: ClassifierEvidence },
): Promise<LibraryErrorRates> {
  const entries = await readAllEntries(file);
  const phi = path.join(opts.modelsDir ?? defaultModelsDir(), 'phi.onnx');
  const prepared = prepareLibrary(entries, existsSync(phi) ? sha256File(phi) : null, 'phi', { classifierEvidence: opts.classifierEvidence });
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
