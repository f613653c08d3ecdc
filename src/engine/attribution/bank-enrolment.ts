// Computing an entry's reference banks (banks.ts) at enrolment: after the clean pass, every
// reference file is read again (its SHA-256 must match the clean pass's, else it is left out of the
// banks), re-saved in memory with sharp at each processing of the grid, decoded exactly as evidence
// is (ingest/decode.ts: same crops, no resampling), and run through the residual graph and φ. Per
// bank and image this keeps φ features and residual statistics; per bank the open-set calibration:
// the novelty of the re-saved features (4-fold) and the |corr| of each re-saved image's residual
// with the fingerprint of the other folds' clean references (the fingerprint evidence is compared
// with). Nothing is written to disk but the library.
import { constants as fsc, promises as fsp } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { decodeImageBuffer, decodeBmp, sniffFormat, sha256Hex, scanFiles, scanFolder } from '../ingest/index.js';
import { residualStatistics, RESIDUAL_STATISTICS_DIM } from '../residual/statistics.js';
import { throwIfAborted } from '../util/abort.js';
import { featuresFor, type FeatureCache } from '../attributor.js';
import type { SetEncoder } from '../features/set-encoder.js';
import type { Canvas, Progress, ReferenceBank, ResidualFingerprint } from '../types.js';
import { BANK_VERSION, PROCESSING_GRID, type Processing } from './banks.js';
import { CALIBRATION_FOLDS, correlationCalibration, meanAbsCorr, noveltyCalibration } from './enrolment.js';

/** Re-saves an image file's bytes with `p` (sharp; alpha dropped as ingest drops it). BMP, which libvips does not read, goes through ingest's own decoder. */
export async function resave(bytes: Buffer, p: Processing): Promise<Buffer> {
  let img: Sharp;
  if (sniffFormat(bytes) === 'bmp') {
    const bmp = decodeBmp(bytes, Number.MAX_SAFE_INTEGER);
    if ('skip' in bmp) throw new Error(bmp.message);
    img = sharp(Buffer.from(bmp.rgb), { raw: { width: bmp.width, height: bmp.height, channels: 3 } });
  } else img = sharp(bytes, { pages: 1, animated: false, ignoreIcc: true }).removeAlpha();
  return p.format === 'jpeg'
    ? img.jpeg({ quality: p.quality, chromaSubsampling: p.chroma ?? '4:2:0' }).toBuffer()
    : img.webp({ quality: p.quality }).toBuffer();
}

export interface BankEnrolmentRequest {
  folders: string[];
  /** The files enrolled (absolute, below the single folder), when not whole folders. */
  files?: string[];
  followExternalLinks?: boolean;
  canvas: number;
  /** Canvas tiles per image at most, as in the clean pass (the same tiles: seeded by the original's SHA-256). */
  maxCrops: number;
  /** SHA-256 of the references the clean pass enrolled, in its order (image i is in fold i mod 4). */
  shas: string[];
  /** EnrolmentBuilder.foldFingerprints() of the clean pass (null: too few images for calibration). */
  folds: ResidualFingerprint[] | null;
  encoder: SetEncoder;
  residuals: (crops: Canvas[]) => Promise<Canvas[]>;
  cache: FeatureCache;
  grid?: readonly Processing[];
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface BankEnrolmentResult {
  banks: ReferenceBank[];
  /** Wall-clock seconds per bank (re-save, decode, residuals, φ), and for reading the references again. */
  seconds: { bank: string; seconds: number }[];
  readSeconds: number;
  /** References left out of the banks (changed since the clean pass, or unreadable now). */
  leftOut: number;
}

const BATCH = 16;

interface BankAccumulator {
  p: Processing;
  sha256: string[];
  features: Float32Array[];
  statistics: Float32Array[];
  corrs: number[];
  ms: number;
  pending: { index: number; sha256: string; resavedSha: string; crops: Canvas[] }[];
}

export async function computeBanks(req: BankEnrolmentRequest): Promise<BankEnrolmentResult> {
  const grid = req.grid ?? PROCESSING_GRID;
  const libvips = sharp.versions.vips;
  const index = new Map<string, number>();
  req.shas.forEach((s, i) => {
    if (!index.has(s)) index.set(s, i);
  });
  const acc: BankAccumulator[] = grid.map((p) => ({ p, sha256: [], features: [], statistics: [], corrs: [], ms: 0, pending: [] }));
  let readMs = 0;
  let leftOut = 0;
  let done = 0;
  const seen = new Set<string>();

  const flush = async (a: BankAccumulator) => {
    if (a.pending.length === 0) return;
    const t0 = performance.now();
    const batch = a.pending;
    a.pending = [];
    const [residuals, feats] = await Promise.all([
      req.residuals(batch.flatMap((b) => b.crops)),
      featuresFor(
        req.encoder,
        batch.map((b) => ({ sha256: b.resavedSha, crops: b.crops })),
        req.cache,
        req.maxCrops,
      ),
    ]);
    let next = 0;
    batch.forEach((b, i) => {
      const mine = residuals.slice(next, next + b.crops.length);
      next += b.crops.length;
      a.sha256.push(b.sha256);
      a.features.push(feats[i]);
      a.statistics.push(residualStatistics(mine));
      const fold = req.folds?.[b.index % CALIBRATION_FOLDS];
      const comparable = fold ? mine.filter((t) => t.width === fold.width && t.height === fold.height) : [];
      if (fold && comparable.length > 0) a.corrs.push(meanAbsCorr(comparable, fold));
    });
    a.ms += performance.now() - t0;
  };

  for (const folder of req.folders) {
    const scan = req.files
      ? await scanFiles(folder, req.files, { signal: req.signal, followExternalLinks: req.followExternalLinks })
      : await scanFolder(folder, { signal: req.signal, followExternalLinks: req.followExternalLinks });
    for (const file of scan.files) {
      throwIfAborted(req.signal);
      const t0 = performance.now();
      let bytes: Buffer;
      try {
        const handle = await fsp.open(file.absPath, fsc.O_RDONLY | fsc.O_NONBLOCK);
        try {
          bytes = await handle.readFile();
        } finally {
          await handle.close();
        }
      } catch {
        continue; // skipped by the clean pass too, or gone since: not in `shas`
      }
      const sha256 = sha256Hex(bytes);
      readMs += performance.now() - t0;
      const i = index.get(sha256);
      if (i === undefined || seen.has(sha256)) {
        if (i === undefined) leftOut++;
        continue;
      }
      seen.add(sha256);
      for (const a of acc) {
        const t1 = performance.now();
        let crops: Canvas[];
        let resavedSha: string;
        try {
          const resaved = await resave(bytes, a.p);
          resavedSha = sha256Hex(resaved);
          const decoded = await decodeImageBuffer(resaved, { canvas: req.canvas, maxCrops: req.maxCrops, tileSeed: sha256 });
          if ('skip' in decoded) continue;
          crops = decoded.crops;
        } catch {
          continue; // this processing cannot be applied to this file: the bank has one image fewer
        }
        a.ms += performance.now() - t1;
        a.pending.push({ index: i, sha256, resavedSha, crops });
        if (a.pending.length >= BATCH) await flush(a);
      }
      done++;
      req.onProgress?.({ phase: 'banks', done, total: req.shas.length });
    }
  }
  for (const a of acc) await flush(a);
  throwIfAborted(req.signal);

  const banks: ReferenceBank[] = [];
  for (const a of acc) {
    if (a.features.length === 0) continue;
    const dim = a.features[0].length;
    const features = new Float32Array(a.features.length * dim);
    a.features.forEach((f, k) => features.set(f, k * dim));
    const statistics = new Float32Array(a.statistics.length * RESIDUAL_STATISTICS_DIM);
    a.statistics.forEach((s, k) => statistics.set(s, k * RESIDUAL_STATISTICS_DIM));
    const dsf = noveltyCalibration(a.features);
    const residual = correlationCalibration(a.corrs);
    banks.push({
      id: a.p.id,
      processing: JSON.stringify({ ...a.p, bankVersion: BANK_VERSION, libvips }),
      modelHash: req.encoder.phiSha256,
      sha256: a.sha256,
      features: { dim, data: features },
      statistics: { dim: RESIDUAL_STATISTICS_DIM, data: statistics },
      calibration: { ...(residual ? { residual } : {}), ...(dsf ? { dsf } : {}) },
    });
  }
  return { banks, seconds: acc.map((a) => ({ bank: a.p.id, seconds: a.ms / 1000 })), readSeconds: readMs / 1000, leftOut };
}
