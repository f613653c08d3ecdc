// What a library costs to fit and to open, on synthetic libraries of any size: the numbers behind
// "the library is fitted when it changes, not when it is read" (docs/architecture.md). Used by
// scripts/bench-library.ts (and the project's benchmark); the tests use the synthetic entries too.
//
// The entries have the shapes of real ones (φ features 640-d, residual statistics 1,568-d, a 64-px
// fingerprint, 16 held-out residuals, 100 bag embeddings, the manifold parts) and features with a
// structure like real ones: generators in families, each a cloud in a low-dimensional space seen
// through a fixed random projection, dimensions on very different scales, so the classifier's fit
// takes a realistic number of iterations (it reports them).
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { FingerprintLibrary } from './library/index.js';
import { classifierFitCount, forgetClassifiers, prepareLibrary, type PreparedLibrary } from './attribution/prepared-library.js';
import { fitLibrary, type FitSummary } from './library-ops.js';
import { withClassifierStore } from './attributor.js';
import { createRandom, gaussian } from './util/random.js';
import { RESIDUAL_STATISTICS_DIM } from './residual/statistics.js';
import { libraryErrorRates } from './classifier/held-back-error.js';
import { BANK_VERSION, PROCESSING_GRID } from './attribution/banks.js';
import type { NewLibraryEntry, Progress } from './types.js';

export interface SyntheticLibraryOptions {
  entries: number;
  /** Reference images per entry. */
  references: number;
  /** Side of the fingerprints and held-out residuals (the reference images' size, capped at 64 for held-out residuals as in enrolment). */
  side?: number;
  /** Store the manifold method's parts too (as enrolment does where its models exist). */
  manifold?: boolean;
  seed?: number;
  /**
   * The set-encoder hash the entries' φ features are stored under (default: one naming no model).
   * The real φ's hash lets the CLI attribute real evidence against the library, to time it; the
   * verdicts are meaningless, the work is the real one.
   */
  modelHash?: string;
  /**
   * Reference banks per entry, the first this many processings of PROCESSING_GRID (default 0): each
   * holds the entry's features and statistics with more noise, as re-saved references have, so a
   * library change fits one more classifier and calibration per bank, as it does for an enrolled one.
   */
  banks?: number;
}

const PHI_DIM = 640;
const LATENT = 24;
const FAMILIES = 8;
/** A model hash that names no real model: synthetic features belong to no set-encoder. */
export const SYNTHETIC_MODEL_HASH = createHash('sha256').update('genprint synthetic library').digest('hex');
const SYNTHETIC_PROJECTOR_HASH = createHash('sha256').update('genprint synthetic projector').digest('hex');

/** Features of `count` images of one generator: latent cloud → fixed projection → per-dimension scale, plus noise. */
function featureRows(
  rand: () => number,
  projection: Float64Array,
  scales: Float64Array,
  centre: Float64Array,
  count: number,
  dim: number,
  spread: number,
  noise: number,
): Float32Array {
  const out = new Float32Array(count * dim);
  const z = new Float64Array(LATENT);
  for (let i = 0; i < count; i++) {
    for (let l = 0; l < LATENT; l++) z[l] = centre[l] + spread * gaussian(rand);
    for (let d = 0; d < dim; d++) {
      let v = 0;
      for (let l = 0; l < LATENT; l++) v += projection[d * LATENT + l] * z[l];
      out[i * dim + d] = scales[d] * (v + noise * gaussian(rand));
    }
  }
  return out;
}

const noiseArray = (rand: () => number, n: number, scale: number) => Float32Array.from({ length: n }, () => scale * gaussian(rand));

/** Entries shaped like enrolled ones (see the file comment), deterministic for a seed. */
export function syntheticEntries(opts: SyntheticLibraryOptions): NewLibraryEntry[] {
  const rand = createRandom(opts.seed ?? 1);
  const side = opts.side ?? 64;
  const held = Math.min(side, 64);
  const R = opts.references;
  const space = (dim: number) => ({
    projection: Float64Array.from({ length: dim * LATENT }, () => gaussian(rand) / Math.sqrt(LATENT)),
    scales: Float64Array.from({ length: dim }, () => Math.exp(1.5 * gaussian(rand))),
  });
  const phi = space(PHI_DIM);
  const stats = space(RESIDUAL_STATISTICS_DIM);
  const manifoldPhi = space(PHI_DIM);
  const family = Array.from({ length: FAMILIES }, () => Float64Array.from({ length: LATENT }, () => 1.5 * gaussian(rand)));
  return Array.from({ length: opts.entries }, (_, k) => {
    const centre = Float64Array.from(family[k % FAMILIES], (v) => v + 0.35 * gaussian(rand));
    const shas = Array.from({ length: R }, (_, i) =>
      createHash('sha256')
        .update(`synthetic ${opts.seed ?? 1} ${k} ${i}`)
        .digest('hex'),
    );
    const fingerprint = { width: side, height: side, count: R, data: noiseArray(rand, 3 * side * side, 0.01) };
    const heldOut = { width: held, height: held, count: 16, data: noiseArray(rand, 16 * 3 * held * held, 0.02) };
    const bags = { dim: 64, count: 100, bagSize: 10, data: noiseArray(rand, 100 * 64, 1) };
    const entry: NewLibraryEntry = {
      name: `synthetic-${String(k + 1).padStart(3, '0')}`,
      family: `family-${k % FAMILIES}`,
      notes: 'synthetic entry (library-bench.ts)',
      provenance: {
        sourceFolders: ['/synthetic'],
        fileCount: R,
        skippedCount: 0,
        sha256ListDigest: createHash('sha256').update(shas.join('\n')).digest('hex'),
        compression: { lossless: R },
      },
      method: opts.manifold === false ? 'residual+dsf' : 'residual+dsf+manifold',
      modelVersion: opts.modelHash ?? SYNTHETIC_MODEL_HASH,
      calibration: {
        residual: { meanCorr: 0.05 + 0.02 * rand(), stdCorr: 0.01 + 0.005 * rand(), heldOut: R },
        dsf: { meanDist: 0.1 + 0.1 * rand(), stdDist: 0.2 + 0.1 * rand(), heldOut: R },
      },
      residualFingerprint: fingerprint,
      imageFeatures: { dim: PHI_DIM, sha256: shas, data: featureRows(rand, phi.projection, phi.scales, centre, R, PHI_DIM, 1.0, 0.5) },
      residualStatistics: {
        dim: RESIDUAL_STATISTICS_DIM,
        sha256: shas,
        data: featureRows(rand, stats.projection, stats.scales, centre, R, RESIDUAL_STATISTICS_DIM, 1.4, 0.8),
      },
      bagEmbeddings: bags,
      centroid: noiseArray(rand, 64, 1),
      heldOutResiduals: heldOut,
    };
    const addNoise = (x: Float32Array, scale: number) => Float32Array.from(x, (v) => v + scale * gaussian(rand));
    if (opts.banks)
      entry.banks = PROCESSING_GRID.slice(0, opts.banks).map((p, b) => ({
        id: p.id,
        processing: JSON.stringify({ ...p, bankVersion: BANK_VERSION, synthetic: true }),
        modelHash: entry.modelVersion,
        sha256: shas,
        features: { dim: PHI_DIM, data: addNoise(entry.imageFeatures!.data, 0.5 * (b + 1)) },
        statistics: { dim: RESIDUAL_STATISTICS_DIM, data: addNoise(entry.residualStatistics!.data, 0.5 * (b + 1)) },
        calibration: entry.calibration,
      }));
    if (opts.manifold !== false)
      entry.manifold = {
        modelHash: SYNTHETIC_MODEL_HASH,
        projectorHash: SYNTHETIC_PROJECTOR_HASH,
        calibration: {
          residual: { meanCorr: 0.1 + 0.05 * rand(), stdCorr: 0.02 + 0.01 * rand(), heldOut: R },
          dsf: { meanDist: 0.2 + 0.1 * rand(), stdDist: 0.2 + 0.1 * rand(), heldOut: R },
        },
        artifactFingerprint: { ...fingerprint, data: noiseArray(rand, 3 * side * side, 0.01) },
        imageFeatures: { dim: PHI_DIM, sha256: shas, data: featureRows(rand, manifoldPhi.projection, manifoldPhi.scales, centre, R, PHI_DIM, 1.2, 0.6) },
        bagEmbeddings: { ...bags, data: noiseArray(rand, 100 * 64, 1) },
        centroid: noiseArray(rand, 64, 1),
        heldOutArtifacts: { ...heldOut, data: noiseArray(rand, 16 * 3 * held * held, 0.02) },
      };
    return entry;
  });
}

/** Writes a new library of synthetic entries at `file`, without fitting it. */
export async function writeSyntheticLibrary(file: string, opts: SyntheticLibraryOptions): Promise<void> {
  const lib = await FingerprintLibrary.create(file);
  try {
    for (const e of syntheticEntries(opts)) lib.addEntry(e);
    lib.save();
  } finally {
    lib.close();
  }
}

/**
 * What an analysis does to get the library classifier, without the evidence: open the file
 * read-only, read and check every entry, find the stored classifier for the default view.
 */
export async function openFittedLibrary(file: string, modelHash: string): Promise<PreparedLibrary> {
  return withClassifierStore(file, (entries, store) => prepareLibrary(entries, modelHash, 'phi', { store }));
}

export interface LibraryBenchRow {
  entries: number;
  references: number;
  fileMiB: number;
  /** Writing the unfitted library (entries, digests, one save). */
  writeSeconds: number;
  /** `genprint library fit`: open for writing, read and check the entries, fit every view, save. */
  fitSeconds: number;
  /** CPU time of this process during that fit, all threads (on a busy machine a steadier measure than wall time). */
  fitCpuSeconds: number;
  /** Of which the regressions themselves, per view. */
  fit: FitSummary;
  /** Opening the file read-only (read, header and quick_check, SHA-256). */
  openSeconds: number;
  /** Open, read and check every entry, load the stored classifier: what an analysis waits for before the evidence. */
  readySeconds: number;
  /** Drawing the held-back error rates at 1, 10 and 50 images (200 sets per entry each), as the first verdicts of a case do. */
  errorRateSeconds: number;
  /** Where the ready library's classifier came from ('library' unless something is wrong). */
  origin: string | null;
  /** Fits run while getting ready (0 unless something is wrong). */
  fitsWhileReady: number;
  /** Out-of-fold accuracy of the fitted classifier on the synthetic images (a sanity check of the data, not of Genprint). */
  heldOutAccuracy: number | null;
  iterations: Record<string, number>;
}

/** Builds a synthetic library of `entries` × `references` in `dir`, fits it, and times opening it ready for attribution. */
export async function benchLibrary(
  dir: string,
  opts: SyntheticLibraryOptions & { onProgress?: (p: Progress) => void; signal?: AbortSignal },
): Promise<LibraryBenchRow & { file: string }> {
  const file = path.join(dir, `synthetic-${opts.entries}x${opts.references}.gplib`);
  let t = performance.now();
  await writeSyntheticLibrary(file, opts);
  const writeSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const cpu = process.cpuUsage();
  const fit = await fitLibrary(file, { onProgress: opts.onProgress, signal: opts.signal });
  const fitSeconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const fitCpuSeconds = (used.user + used.system) / 1e6;
  forgetClassifiers(); // measure reading it back, not this process's memory
  t = performance.now();
  (await FingerprintLibrary.open(file, { readOnly: true })).close();
  const openSeconds = (performance.now() - t) / 1000;
  const fits = classifierFitCount();
  t = performance.now();
  const ready = await openFittedLibrary(file, opts.modelHash ?? SYNTHETIC_MODEL_HASH);
  const readySeconds = (performance.now() - t) / 1000;
  t = performance.now();
  if (ready.classifier) for (const n of [1, 10, 50]) libraryErrorRates(ready.classifier, n);
  const errorRateSeconds = (performance.now() - t) / 1000;
  return {
    file,
    entries: opts.entries,
    references: opts.references,
    fileMiB: statSync(file).size / 2 ** 20,
    writeSeconds,
    fitSeconds,
    fitCpuSeconds,
    fit,
    openSeconds,
    readySeconds,
    errorRateSeconds,
    origin: ready.classifierOrigin ?? null,
    fitsWhileReady: classifierFitCount() - fits,
    heldOutAccuracy: ready.classifier?.heldOutAccuracy ?? null,
    iterations: Object.fromEntries(ready.classifier?.blocks.map((b) => [b.name, b.model.iterations]) ?? []),
  };
}
