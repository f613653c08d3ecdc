// Earlier JPEG compression of a file that is saved losslessly now (a JPEG re-saved as PNG).
//
// The file's bytes say "lossless" (compression.ts), but JPEG quantised the image's 8×8 block DCT
// coefficients to multiples of its table's steps, and decoding to 8-bit pixels moves them only by
// the rounding error. So for each of the 64 possible grid offsets the lowest coefficients are
// compared with the steps of every libjpeg quality; at the offset that fits best, all coefficients
// give the quality, and how much closer they sit to its multiples than uniform rounding would leave
// them is the score. The offset tells where the grid starts: not 0 after a crop made after the JPEG.
// The boundary blockiness of Fan & de Queiroz (2003) is computed too, for the measurement script
// only: at q90 and above the block edges are too faint to find the grid by.
// Generators' period-2/4 traces do not fit a quantisation table; a resize after the JPEG destroys
// the grid (then nothing is detected).
// Thresholds and detection rates are measured in docs/robustness-detection.md.

import type { EarlierJpegFinding } from '../../shared/processing-history.js';
import { lumaRegion, type Luma } from './resampling.js';

export const JPEG_HISTORY_REGION = 512;
export const JPEG_HISTORY_MIN_SIZE = 64;
/**
 * Score (see `earlierJpegScore`) at and above which an earlier JPEG is suspected. No clean corpus
 * image of 388 reaches it (the 1 % point is 1.25; clean images score about 1), while JPEGs at q75
 * and q90 saved as PNG score 10–100 or more (docs/robustness-detection.md).
 */
export const EARLIER_JPEG_THRESHOLD = 1.5;

/** ITU-T T.81 Annex K luminance table, natural (row-major) order. */
const STD_LUMINANCE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103,
  77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** libjpeg's quality scaling (baseline, clamped to 1..255), natural order. */
export function luminanceTable(quality: number): number[] {
  const scale = quality < 50 ? Math.floor(5000 / quality) : 200 - quality * 2;
  return STD_LUMINANCE.map((v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}
const TABLES = Array.from({ length: 100 }, (_, i) => luminanceTable(i + 1));

/** Orthonormal 8-point DCT basis (JPEG's FDCT is orthonormal): BASIS[u * 8 + x]. */
const BASIS = (() => {
  const b = new Float64Array(64);
  for (let u = 0; u < 8; u++) for (let x = 0; x < 8; x++) b[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  return b;
})();

/** Mean |first difference| per boundary offset: out[p] averages the differences between pixel 8k+p and 8k+p+1. */
function boundaryProfile(y: Float64Array, w: number, h: number, axis: 'x' | 'y'): Float64Array {
  const sum = new Float64Array(8);
  const n = new Float64Array(8);
  const along = axis === 'x' ? w : h;
  const across = axis === 'x' ? h : w;
  const step = axis === 'x' ? 1 : w;
  for (let a = 0; a < across; a++) {
    const base = axis === 'x' ? a * w : a;
    for (let i = 0; i + 1 < along; i++) {
      const p = base + i * step;
      sum[i & 7] += Math.abs(y[p + step] - y[p]);
      n[i & 7]++;
    }
  }
  return Float64Array.from(sum, (s, p) => s / Math.max(1, n[p]));
}

/**
 * How much the strongest boundary offset stands out from the second strongest, relative to the
 * mean difference, and the offsets ordered by strength. One offset standing out is JPEG's grid; a
 * generator's period-2 or period-4 pattern raises four or two offsets alike and scores near 0.
 */
function blockiness(profile: Float64Array): { excess: number; order: number[] } {
  const order = [0, 1, 2, 3, 4, 5, 6, 7].sort((a, b) => profile[b] - profile[a]);
  const mean = profile.reduce((s, v) => s + v, 0) / 8;
  return { excess: mean > 0 ? (profile[order[0]] - profile[order[1]]) / mean : 0, order };
}

/** Blocks whose coefficients are fitted at most (a 181×181 region's worth). */
const MAX_BLOCKS = 512;
/**
 * A low-frequency misfit at or above this at the best offset means no JPEG grid (a JPEG at q90
 * fits its low frequencies to about 0.2–0.4, one at q75 better): the score is then taken from it.
 */
const NO_GRID_MISFIT = 0.8;

/** DCT coefficients (natural order, 64 per block) of the 8×8 blocks starting at (x0, y0). */
function blockCoefficients(y: Float64Array, w: number, h: number, x0: number, y0: number, maxBlocks: number, freqs: readonly number[]): Float64Array {
  const bx = Math.floor((w - x0) / 8);
  const by = Math.floor((h - y0) / 8);
  // Every `stride`-th block row and column, about maxBlocks blocks at most: the fit needs a few
  // thousand coefficients, not all of a large image's.
  const stride = Math.max(1, Math.ceil(Math.sqrt((bx * by) / maxBlocks)));
  const cols = Math.ceil(bx / stride);
  const rows = Math.ceil(by / stride);
  const out = new Float64Array(cols * rows * 64);
  const tmp = new Float64Array(64);
  // The row pass needs only the horizontal frequencies the coefficients asked for use. Indexed
  // loops over typed arrays instead of for…of over arrays: the same sums in the same order, with no
  // iterator in the innermost loops.
  const us = Int32Array.from(new Set(freqs.map((k) => k & 7)));
  const ks = Int32Array.from(freqs);
  for (let jj = 0; jj < rows; jj++) {
    for (let ii = 0; ii < cols; ii++) {
      const i = ii * stride;
      const j = jj * stride;
      const base = (jj * cols + ii) * 64;
      // rows: tmp[r*8+u] = Σ_x block[r][x] · basis[u][x], level-shifted by 128 as JPEG does
      for (let r = 0; r < 8; r++) {
        const row = (y0 + j * 8 + r) * w + x0 + i * 8;
        for (let ui = 0; ui < us.length; ui++) {
          const u = us[ui];
          let s = 0;
          for (let x = 0; x < 8; x++) s += (y[row + x] - 128) * BASIS[u * 8 + x];
          tmp[r * 8 + u] = s;
        }
      }
      for (let ki = 0; ki < ks.length; ki++) {
        const k = ks[ki];
        const v = k >> 3;
        const u = k & 7;
        let s = 0;
        for (let r = 0; r < 8; r++) s += tmp[r * 8 + u] * BASIS[v * 8 + r];
        out[base + k] = s;
      }
    }
  }
  return out;
}

/**
 * Qualities searched. Below 20 the steps are so coarse that few coefficients leave zero and a
 * chance fit of those few reads as a JPEG; such files are rare as evidence.
 */
const MIN_QUALITY = 20;

/**
 * Per coefficient k: the distinct steps ≥ 2 of qualities MIN_QUALITY..99 (`steps`), and for each
 * quality the index of its step there, or −1 for a step of 1 (`stepOf[q]`). Many qualities share a
 * coefficient's step, so the sums are computed once per step; built once instead of per call.
 */
const STEPS_BY_COEFFICIENT = Array.from({ length: 64 }, (_, k) => {
  const distinct = new Set<number>();
  for (let q = MIN_QUALITY; q <= 99; q++) if (TABLES[q - 1][k] >= 2) distinct.add(TABLES[q - 1][k]);
  // Ascending, so that a coefficient's loop over the steps stops at the first it does not reach.
  const steps = Float64Array.from([...distinct].sort((a, b) => a - b));
  const stepOf = new Int32Array(100).fill(-1);
  for (let q = MIN_QUALITY; q <= 99; q++) stepOf[q] = steps.indexOf(TABLES[q - 1][k]);
  return { steps, stepOf };
});

/**
 * For every quality from MIN_QUALITY to 99: how far the coefficients sit from the multiples of
 * that quality's steps, relative to the uniform rounding error a table that does not fit would
 * leave (1 ≈ no fit; a JPEG at its own quality ≈ 0.03–0.4), and how many coefficients counted.
 * Only coefficients the table would not quantise to zero count, and steps of 1 say nothing.
 * The additions are the same, in the same order, as when the sums were cached in a Map per call
 * (test/pixel-history-speed.test.ts holds the results to that code's).
 */
function misfitByQuality(coef: Float64Array, freqs: readonly number[]): { misfit: Float64Array; used: Float64Array } {
  const misfit = new Float64Array(100).fill(1);
  const used = new Float64Array(100);
  const num = new Float64Array(100);
  const den = new Float64Array(100);
  const sq = new Float64Array(100);
  const rounding = new Float64Array(100);
  const counted = new Float64Array(100);
  for (const k of freqs) {
    const { steps, stepOf } = STEPS_BY_COEFFICIENT[k];
    sq.fill(0, 0, steps.length);
    rounding.fill(0, 0, steps.length);
    counted.fill(0, 0, steps.length);
    // Coefficient by coefficient, each over the steps it reaches (|c| ≥ t/2, t ascending): every
    // step's sums still add its coefficients in block order, without a branch that random content
    // mispredicts half the time.
    for (let b = k; b < coef.length; b += 64) {
      const c = coef[b];
      const reach = 2 * Math.abs(c);
      for (let i = 0; i < steps.length; i++) {
        const t = steps[i];
        if (t > reach) break;
        const d = c - t * Math.round(c / t);
        sq[i] += d * d;
        rounding[i] += (t * t) / 12;
        counted[i]++;
      }
    }
    for (let q = MIN_QUALITY; q <= 99; q++) {
      const i = stepOf[q];
      if (i < 0) continue;
      num[q] += sq[i];
      den[q] += rounding[i];
      used[q] += counted[i];
    }
  }
  for (let q = MIN_QUALITY; q <= 99; q++) if (den[q] > 0) misfit[q] = num[q] / den[q];
  return { misfit, used };
}

/** Fewer fitted coefficients than this (and than two per block) say too little about a table. */
const MIN_COEFFICIENTS = 200;
/** The grid search fits the DC and the five lowest AC coefficients (natural order) of fewer blocks. */
const LOW_FREQUENCIES = [0, 1, 8, 16, 9, 2] as const;
const ALL_FREQUENCIES = Array.from({ length: 64 }, (_, k) => k);
const PHASE_BLOCKS = 160;
const MIN_PHASE_COEFFICIENTS = 100;

export interface EarlierJpegDetail {
  blockinessX: number;
  blockinessY: number;
  /** Best table misfit over qualities 20–99 at the grid found (1 ≈ no fit; the low-frequency misfit when no grid fits). */
  misfit: number;
  quality: number | null;
  offset: { x: number; y: number };
}

/** The measurements behind `detectEarlierJpeg`, for the measurement script. */
export function earlierJpegDetail(rgb: Uint8Array, width: number, height: number): EarlierJpegDetail | null {
  if (width < JPEG_HISTORY_MIN_SIZE || height < JPEG_HISTORY_MIN_SIZE) return null;
  const luma = lumaRegion(rgb, width, height, JPEG_HISTORY_REGION);
  const bx = blockiness(boundaryProfile(luma.y, luma.w, luma.h, 'x'));
  const byy = blockiness(boundaryProfile(luma.y, luma.w, luma.h, 'y'));
  return { blockinessX: bx.excess, blockinessY: byy.excess, ...gridFit(luma) };
}

/** The table fit at the best grid offset: what the detection uses (the blockiness is not). */
function gridFit({ y, w, h, left, top }: Luma): Pick<EarlierJpegDetail, 'misfit' | 'quality' | 'offset'> {
  // The grid: the offset whose blocks' lowest DCT coefficients best fit some quality's steps. The
  // blockiness offsets alone miss the grid of high qualities, whose block edges are faint.
  let phase = { misfit: Infinity, x0: 0, y0: 0 };
  for (let y0 = 0; y0 < 8; y0++) {
    for (let x0 = 0; x0 < 8; x0++) {
      const fit = misfitByQuality(blockCoefficients(y, w, h, x0, y0, PHASE_BLOCKS, LOW_FREQUENCIES), LOW_FREQUENCIES);
      for (let q = MIN_QUALITY; q <= 99; q++) {
        if (fit.used[q] >= MIN_PHASE_COEFFICIENTS && fit.misfit[q] < phase.misfit) phase = { misfit: fit.misfit[q], x0, y0 };
      }
    }
  }
  // No offset fits even the lowest frequencies: not a JPEG grid, and the full fit is not needed
  // (most evidence; the full fit is most of the cost).
  if (!(phase.misfit < NO_GRID_MISFIT)) {
    return {
      misfit: Number.isFinite(phase.misfit) ? phase.misfit : 1,
      quality: null,
      offset: { x: (phase.x0 + left) & 7, y: (phase.y0 + top) & 7 },
    };
  }
  const coef = blockCoefficients(y, w, h, phase.x0, phase.y0, MAX_BLOCKS, ALL_FREQUENCIES);
  let best = { misfit: Infinity, quality: null as number | null };
  const blocks = coef.length / 64;
  const fit = misfitByQuality(coef, ALL_FREQUENCIES);
  for (let q = MIN_QUALITY; q <= 99; q++) {
    if (fit.used[q] >= Math.max(MIN_COEFFICIENTS, 2 * blocks) && fit.misfit[q] < best.misfit) best = { misfit: fit.misfit[q], quality: q };
  }
  return {
    misfit: Number.isFinite(best.misfit) ? best.misfit : 1,
    quality: best.quality,
    offset: { x: (phase.x0 + left) & 7, y: (phase.y0 + top) & 7 },
  };
}

/** Score from the details: how many times better the best table fits than uniform rounding would. */
export function earlierJpegScore(d: Pick<EarlierJpegDetail, 'misfit'>): number {
  return 1 / Math.max(d.misfit, 1e-3);
}

/**
 * Earlier-JPEG analysis of decoded RGB pixels (interleaved, 3 bytes per pixel) of a losslessly
 * saved file. `luma`: lumaRegion(rgb, width, height, JPEG_HISTORY_REGION) when the caller has it
 * already (the resampling check uses the same region).
 */
export function detectEarlierJpeg(rgb: Uint8Array, width: number, height: number, luma?: Luma): EarlierJpegFinding {
  const d = width < JPEG_HISTORY_MIN_SIZE || height < JPEG_HISTORY_MIN_SIZE ? null : gridFit(luma ?? lumaRegion(rgb, width, height, JPEG_HISTORY_REGION));
  if (!d) return { measured: false, suspected: false, score: null, threshold: EARLIER_JPEG_THRESHOLD, quality: null, gridOffset: null };
  const score = Math.round(earlierJpegScore(d) * 100) / 100;
  const suspected = score >= EARLIER_JPEG_THRESHOLD;
  return {
    measured: true,
    suspected,
    score,
    threshold: EARLIER_JPEG_THRESHOLD,
    quality: suspected ? d.quality : null,
    gridOffset: suspected ? d.offset : null,
  };
}
