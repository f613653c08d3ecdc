// Building a library entry from a generator's reference images: the residual fingerprint, the
// per-image φ features, residual statistics and bag embeddings, and the open-set calibration — all calibration numbers
// come from images held out of the statistics they are compared with (4-fold).
import { FingerprintAccumulator, centredCrop, corr } from '../residual/index.js';
import { residualStatistics, RESIDUAL_STATISTICS_DIM } from '../residual/statistics.js';
import type { SetEncoder } from '../features/set-encoder.js';
import type { Canvas, EntryCalibration, LibraryEntry, ResidualFingerprint } from '../types.js';
import { drawBags } from '../util/random.js';
import { ENROLMENT_BAGS } from '../defaults.js';
import { featureStats, novelty } from './prepared-library.js';

const FOLDS = 4;
/**
 * Residual tiles kept in memory for calibration (the fingerprint itself is streamed over all
 * images): 300 images of one tile, fewer images of several.
 */
const MAX_CALIBRATION_TILES = 300;
const HELD_OUT_STORED = 16;
const HELD_OUT_SIDE = 64;

export interface EnrolmentParts {
  residualFingerprint: ResidualFingerprint;
  calibration: EntryCalibration;
  imageFeatures?: LibraryEntry['imageFeatures'];
  bagEmbeddings?: LibraryEntry['bagEmbeddings'];
  centroid?: Float32Array;
  heldOutResiduals?: LibraryEntry['heldOutResiduals'];
  residualStatistics?: LibraryEntry['residualStatistics'];
}

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return { mean, std: Math.sqrt(v) };
}

/**
 * Open-set novelty calibration of per-image φ features (4-fold: each image's log novelty against
 * the statistics of the other folds), or undefined below FOLDS images.
 */
export function noveltyCalibration(features: Float32Array[]): EntryCalibration['dsf'] {
  const n = features.length;
  if (n < FOLDS) return undefined;
  const dim = features[0].length;
  const novelties: number[] = [];
  for (let f = 0; f < FOLDS; f++) {
    const train = features.filter((_, i) => i % FOLDS !== f);
    const tdata = new Float32Array(train.length * dim);
    train.forEach((t, i) => tdata.set(t, i * dim));
    const { mean, variance } = featureStats(tdata, dim);
    features.forEach((x, i) => {
      if (i % FOLDS === f) novelties.push(Math.log(novelty(x, mean, variance)));
    });
  }
  const { mean, std } = meanStd(novelties);
  return { meanDist: mean, stdDist: std, heldOut: novelties.length };
}

/** Mean and standard deviation of held-out |corr| values, the residual open-set calibration. */
export function correlationCalibration(corrs: number[]): EntryCalibration['residual'] {
  if (corrs.length === 0) return undefined;
  const { mean, std } = meanStd(corrs);
  return { meanCorr: mean, stdCorr: std, heldOut: corrs.length };
}

export { FOLDS as CALIBRATION_FOLDS };

/**
 * One image's |corr| with a fingerprint: the mean over its tiles, as attribution averages an
 * evidence image's tiles (Eq. 3 per tile), so calibration and evidence measure the same thing.
 */
export function meanAbsCorr(tiles: Canvas[], fingerprint: Canvas): number {
  let sum = 0;
  for (const t of tiles) sum += Math.abs(corr(t, fingerprint));
  return sum / tiles.length;
}

export class EnrolmentBuilder {
  private readonly total = new FingerprintAccumulator();
  /** Images kept for calibration, with all their tiles: an image's |corr| is the mean over its tiles, as evidence's is. */
  private readonly kept: { fold: number; residuals: Canvas[] }[] = [];
  private keptTiles = 0;
  private readonly features: Float32Array[] = [];
  private readonly shas: string[] = [];
  private readonly statistics: Float32Array[] = [];
  private readonly statisticsShas: string[] = [];
  private count = 0;
  private folds: ResidualFingerprint[] | null = null;

  constructor(
    private readonly opts: {
      encoder: SetEncoder | null;
      seed?: number;
      bags?: number;
      bagSize?: number;
      /** Store per-image residual statistics (wavelet residuals only: not for projector artifacts). */
      residualStatistics?: boolean;
    } = {
      encoder: null,
    },
  ) {}

  get imageCount(): number {
    return this.count;
  }

  /**
   * After finish(): fingerprint f of the calibration images outside fold f (image i is in fold
   * i mod FOLDS), so a processed copy of image i can be calibrated against a fingerprint its clean
   * version did not shape (bank-enrolment.ts). Null below FOLDS images.
   */
  foldFingerprints(): ResidualFingerprint[] | null {
    return this.folds;
  }

  /**
   * Adds one reference image: the residuals of its crops (wavelet residuals, or projector artifacts
   * for the manifold method's enrolment) and, with a model, its φ feature vector.
   */
  add(sha256: string, residuals: Canvas[], features: Float32Array | null): void {
    const fold = this.count % FOLDS;
    for (const residual of residuals) this.total.add(residual);
    if (residuals.length > 0 && this.keptTiles + residuals.length <= MAX_CALIBRATION_TILES) {
      this.kept.push({ fold, residuals });
      this.keptTiles += residuals.length;
    }
    if (features) {
      this.features.push(features);
      this.shas.push(sha256);
    }
    if (this.opts.residualStatistics && residuals.length > 0) {
      this.statistics.push(residualStatistics(residuals));
      this.statisticsShas.push(sha256);
    }
    this.count++;
  }

  async finish(): Promise<EnrolmentParts> {
    if (this.count === 0) throw new Error('no usable reference images: nothing to enrol');
    const residualFingerprint = this.total.result();
    const calibration: EntryCalibration = {};

    // Residual calibration: each kept image against the fingerprint of the other folds.
    if (this.count >= FOLDS) {
      const corrs: number[] = [];
      this.folds = [];
      for (let f = 0; f < FOLDS; f++) {
        const acc = new FingerprintAccumulator();
        for (const k of this.kept) if (k.fold !== f) for (const r of k.residuals) acc.add(r);
        const fp = acc.result();
        this.folds.push(fp);
        for (const k of this.kept) if (k.fold === f) corrs.push(meanAbsCorr(k.residuals, fp));
      }
      calibration.residual = correlationCalibration(corrs);
    }

    // Held-out residuals for the library × library matrix (Eq. 5): fold 0 never shapes the other
    // folds' statistics; cropped to the common centre so the library stays small.
    const held = this.kept
      .filter((k) => k.fold === 0)
      .slice(0, HELD_OUT_STORED)
      .map((k) => ({ residual: k.residuals[0] }));
    let heldOutResiduals: EnrolmentParts['heldOutResiduals'];
    if (held.length > 0) {
      const w = Math.min(HELD_OUT_SIDE, ...held.map((k) => k.residual.width));
      const h = Math.min(HELD_OUT_SIDE, ...held.map((k) => k.residual.height));
      const data = new Float32Array(held.length * 3 * w * h);
      held.forEach((k, i) => data.set(centredCrop(k.residual, w, h).data, i * 3 * w * h));
      heldOutResiduals = { width: w, height: h, count: held.length, data };
    }

    const parts: EnrolmentParts = { residualFingerprint, calibration, heldOutResiduals };
    if (this.statistics.length > 0) {
      const data = new Float32Array(this.statistics.length * RESIDUAL_STATISTICS_DIM);
      this.statistics.forEach((s, i) => data.set(s, i * RESIDUAL_STATISTICS_DIM));
      parts.residualStatistics = { dim: RESIDUAL_STATISTICS_DIM, sha256: [...this.statisticsShas], data };
    }
    const encoder = this.opts.encoder;
    if (encoder && this.features.length > 0) {
      const dim = this.features[0].length;
      const n = this.features.length;
      const data = new Float32Array(n * dim);
      this.features.forEach((f, i) => data.set(f, i * dim));
      parts.imageFeatures = { dim, sha256: [...this.shas], data };

      if (n >= FOLDS) calibration.dsf = noveltyCalibration(this.features);

      // Bag embeddings z = ρ(mean φ) over random bags of the reference images (paper: 100 bags).
      const bagSize = Math.max(1, Math.min(this.opts.bagSize ?? ENROLMENT_BAGS.bagSize, Math.floor(n / 2) || 1));
      const bags = drawBags(n, bagSize, this.opts.bags ?? ENROLMENT_BAGS.bags, this.opts.seed ?? 1);
      const pooled = bags.map((bag) => {
        const m = new Float32Array(dim);
        for (const i of bag) for (let d = 0; d < dim; d++) m[d] += this.features[i][d] / bag.length;
        return m;
      });
      const z = await encoder.embedBags(pooled);
      const zd = z[0].length;
      const zdata = new Float32Array(z.length * zd);
      z.forEach((v, i) => zdata.set(v, i * zd));
      const centroid = new Float32Array(zd);
      for (const v of z) for (let d = 0; d < zd; d++) centroid[d] += v[d] / z.length;
      parts.bagEmbeddings = { dim: zd, count: z.length, bagSize, data: zdata };
      parts.centroid = centroid;
    }
    return parts;
  }
}
