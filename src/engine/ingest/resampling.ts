// Resampling detection: was the image resized after it was generated?
//
// Interpolation computes every output pixel as a weighted sum of input pixels whose weights depend
// on where the output pixel falls between input pixels. For a factor r that position repeats with
// the fractional part of i/r, so the local smoothness of the result, and with it the magnitude of a
// fixed linear predictor's residue, varies periodically along rows and columns (Popescu & Farid
// 2005; Gallagher 2005; Kirchner 2008). We take the second derivative along each axis (a fixed
// predictor: x[i] − (x[i−1] + x[i+1]) / 2, up to a factor), turn it into Kirchner's p-map (how
// probable each residue is under a Gaussian of the image's median residue), average that over the
// other axis and look for a narrow peak in the spectrum of the profile, in both axes at the same
// frequency (resizing is usually isotropic; content rarely repeats that exactly in both axes).
//
// What it cannot see, by construction:
// - periods 2, 4 and 8 (frequencies k/8): generators' own upsampling layers (×2 transposed
//   convolution, pixel shuffle) and JPEG's 8×8 blocks put peaks there, so those frequencies are
//   excluded; exact ×2 (or ×4, ×8, ×1.6, ×0.8, …) resizes fall there too and go unseen;
// - factor 0.5: halving with a symmetric kernel uses the same weights for every output pixel, so
//   nothing is periodic;
// - the direction: a peak at frequency f fits a reduction and an enlargement alike (0.75× and 1.5×
//   both give period 3). The candidates are all reported, enlargements first (they are what is
//   mostly detected).
// Thresholds and detection rates are measured in docs/robustness-detection.md.

import type { ResamplingFinding } from '../../shared/processing-history.js';

/** Largest centred region analysed (pixels per side): bounds the cost on large images. */
export const RESAMPLING_REGION = 512;
/** Smaller images are not analysed: their profiles are too short for a narrow peak. */
export const RESAMPLING_MIN_SIZE = 64;
/** DFT length (profiles are zero-padded to it), so both axes share one frequency grid. */
const DFT_LENGTH = 1024;
/**
 * Native DFT bins (1 / profile length) either side of a frequency whose median is its background
 * level, and those next to it left out of the background (the peak's own main lobe: a Hann window
 * spreads a line over ±2 native bins).
 */
const BACKGROUND_HALF_WIDTH = 12;
const MAIN_LOBE = 2;
/**
 * Frequencies searched: from 0.1 (period 10 px) up to Nyquist. Below it, faces and other content
 * with a dominant scale produced peaks in small clean images (corpus 64-px faces at periods of
 * 14–20 px); it costs only factors between 0.91× and 1.11× and enlargements above 10×.
 */
const MIN_FREQUENCY = 0.1;
/**
 * Distance from k/8 within which a peak is ignored (the generator's and JPEG's own grid): at least
 * this, and at least the main lobe of a line at k/8 in a short profile.
 */
const GRID_GUARD = 0.015;
/**
 * Peak-to-background ratio (geometric mean of the two axes) at and above which an image counts as
 * resampled. On 388 clean corpus images 1 scores above it (0.3 %; the 1 % point is 9.5), and every
 * 1.5× enlargement of them does (docs/robustness-detection.md).
 */
export const RESAMPLING_THRESHOLD = 12;

/** Rec. 601 luma of a centred region (`left`, `top`: its corner in the image), row-major. */
export interface Luma {
  y: Float64Array;
  w: number;
  h: number;
  left: number;
  top: number;
}

/** Rec. 601 luma of an interleaved RGB byte buffer, over a centred region of at most `region` pixels per side. */
export function lumaRegion(rgb: Uint8Array, width: number, height: number, region: number): Luma {
  const w = Math.min(width, region);
  const h = Math.min(height, region);
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  const y = new Float64Array(w * h);
  for (let r = 0; r < h; r++) {
    let src = ((top + r) * width + left) * 3;
    for (let c = 0; c < w; c++, src += 3) y[r * w + c] = 0.299 * rgb[src] + 0.587 * rgb[src + 1] + 0.114 * rgb[src + 2];
  }
  return { y, w, h, left, top };
}

/** Mean p-map of the second derivative along one axis, as a profile over that axis (length n − 2). */
function secondDerivativeProfile(y: Float64Array, w: number, h: number, axis: 'x' | 'y'): Float64Array {
  const n = axis === 'x' ? w : h;
  const m = axis === 'x' ? h : w;
  const profile = new Float64Array(n - 2);
  // Along x consecutive samples are 1 apart in memory, along y w apart.
  const step = axis === 'x' ? 1 : w;
  const d = new Float64Array(m * (n - 2));
  for (let a = 0, j = 0; a < m; a++) {
    const base = axis === 'x' ? a * w : a;
    for (let i = 1; i < n - 1; i++, j++) {
      const p = base + i * step;
      d[j] = Math.abs(y[p - step] - 2 * y[p] + y[p + step]);
    }
  }
  // Kirchner's p-map: how probable each residue is under a Gaussian of the image's typical
  // residue. Small residues (where interpolation made pixels predictable) count most, and large
  // ones at edges, which carry content rather than the interpolation phase, hardly at all.
  // σ: the median residue, from every 7th value (a full sort would cost more than the rest).
  const sample = new Float64Array(Math.ceil(d.length / 7));
  for (let i = 0; i < sample.length; i++) sample[i] = d[i * 7];
  sample.sort();
  const sigma = Math.max(sample[sample.length >> 1], 0.5);
  for (let a = 0, j = 0; a < m; a++) for (let i = 0; i < n - 2; i++, j++) profile[i] += Math.exp(-(d[j] * d[j]) / (2 * sigma * sigma));
  for (let i = 0; i < profile.length; i++) profile[i] /= m;
  return profile;
}

const COS = Float64Array.from({ length: DFT_LENGTH }, (_, t) => Math.cos((2 * Math.PI * t) / DFT_LENGTH));
const SIN = Float64Array.from({ length: DFT_LENGTH }, (_, t) => Math.sin((2 * Math.PI * t) / DFT_LENGTH));

/** Power spectrum of a profile (mean removed, Hann window), bins 0..L/2 of a length-L DFT. */
function powerSpectrum(profile: Float64Array): Float64Array {
  const n = profile.length;
  let mean = 0;
  for (const v of profile) mean += v;
  mean /= n;
  const x = Float64Array.from(profile, (v, i) => (v - mean) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1))));
  const half = DFT_LENGTH / 2;
  const power = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) {
    let re = 0;
    let im = 0;
    // t = i·k mod L; L is a power of two, so the mask is the remainder (and far cheaper than %).
    for (let i = 0, t = 0; i < n; i++, t = (t + k) & (DFT_LENGTH - 1)) {
      re += x[i] * COS[t];
      im -= x[i] * SIN[t];
    }
    power[k] = re * re + im * im;
  }
  return power;
}

/**
 * The k-th smallest of a[0..n) (0-based), rearranging a: Hoare's selection. The same value as
 * sorting and indexing, in linear instead of n·log n time; the background medians below were most
 * of the detector's cost while they sorted.
 */
function selectKth(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * Each bin over the median of its neighbourhood (the peak itself excluded), so content's slope
 * cancels. Bins below `from` are left at 0: the search never reads them (their power still counts
 * in the neighbourhoods of the bins above).
 */
function peakRatios(power: Float64Array, profileLength: number, from: number): Float64Array {
  const out = new Float64Array(power.length);
  const perNative = DFT_LENGTH / profileLength;
  const halfWidth = Math.round(BACKGROUND_HALF_WIDTH * perNative);
  const lobe = Math.round(MAIN_LOBE * perNative);
  const buf = new Float64Array(2 * halfWidth + 1);
  // Zero-padding makes neighbouring bins alike, so the background is taken every half native bin.
  const stride = Math.max(1, Math.floor(perNative / 2));
  let median = 1e-30;
  // From the last bin whose background the bins from `from` on reuse: the same values as from 0.
  for (let k = from - (from % stride); k < power.length; k++) {
    if (k % stride !== 0) {
      out[k] = power[k] / median;
      continue;
    }
    let n = 0;
    for (let j = k - halfWidth; j <= k + halfWidth; j++) {
      if (Math.abs(j - k) <= lobe) continue;
      // Mirror at Nyquist, so the last bins have a full neighbourhood.
      const jj = j > power.length - 1 ? 2 * (power.length - 1) - j : j;
      if (jj >= 1) buf[n++] = power[jj];
    }
    median = Math.max(n > 0 ? selectKth(buf, n, n >> 1) : 0, 1e-30);
    out[k] = power[k] / median;
  }
  return out;
}

function onGeneratorGrid(f: number, profileLength: number): boolean {
  const guard = Math.max(GRID_GUARD, (MAIN_LOBE + 0.5) / profileLength);
  for (let m = 1; m <= 4; m++) if (Math.abs(f - m / 8) < guard) return true;
  return false;
}

/**
 * Resize factors whose interpolation phase repeats at frequency f (cycles per pixel, 0 < f ≤ 0.5):
 * enlargements 1/(1−f) (1–2×) and 1/f (over 2×), reductions 1/(1+f) (0.67–1×) and 1/(2−f) (0.5–0.67×).
 */
export function factorsForFrequency(f: number): { enlarge: number[]; reduce: number[] } {
  // Two decimals: the frequency grid (1 / 1024, profiles of at most 510 samples) resolves no more.
  const round = (v: number) => Math.round(v * 100) / 100;
  return { enlarge: [1 / (1 - f), 1 / f].map(round), reduce: [1 / (1 + f), 1 / (2 - f)].map(round) };
}

/**
 * Resampling analysis of decoded RGB pixels (interleaved, 3 bytes per pixel). `luma`:
 * lumaRegion(rgb, width, height, RESAMPLING_REGION) when the caller has it already.
 */
export function detectResampling(rgb: Uint8Array, width: number, height: number, luma?: Luma): ResamplingFinding {
  if (width < RESAMPLING_MIN_SIZE || height < RESAMPLING_MIN_SIZE) {
    return { measured: false, detected: false, score: null, threshold: RESAMPLING_THRESHOLD, period: null, factor: null, factors: [] };
  }
  const { y, w, h } = luma ?? lumaRegion(rgb, width, height, RESAMPLING_REGION);
  // The search starts at MIN_FREQUENCY and the peak's parabola reads one bin below its top.
  const first = Math.ceil(MIN_FREQUENCY * DFT_LENGTH);
  const rx = peakRatios(powerSpectrum(secondDerivativeProfile(y, w, h, 'x')), w - 2, first - 1);
  const ry = peakRatios(powerSpectrum(secondDerivativeProfile(y, w, h, 'y')), h - 2, first - 1);
  let best = 0;
  let bestK = -1;
  for (let k = first; k <= DFT_LENGTH / 2; k++) {
    const f = k / DFT_LENGTH;
    if (onGeneratorGrid(f, Math.min(w, h) - 2)) continue;
    const s = Math.sqrt(rx[k] * ry[k]);
    if (s > best) {
      best = s;
      bestK = k;
    }
  }
  const score = Math.round(best * 100) / 100;
  const detected = score >= RESAMPLING_THRESHOLD;
  if (!detected || bestK < 0) return { measured: true, detected: false, score, threshold: RESAMPLING_THRESHOLD, period: null, factor: null, factors: [] };
  // The peak's centre between bins (a parabola through it and its neighbours): a short profile's
  // peak is several bins wide, and its top bin alone would move the factor by a few hundredths.
  const at = (k: number) => Math.sqrt(rx[k] * ry[k]);
  let offset = 0;
  if (bestK > 0 && bestK < DFT_LENGTH / 2) {
    const [a, b, c] = [at(bestK - 1), at(bestK), at(bestK + 1)];
    const curvature = a - 2 * b + c;
    if (curvature < 0) offset = Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / curvature));
  }
  const f = (bestK + offset) / DFT_LENGTH;
  const { enlarge, reduce } = factorsForFrequency(f);
  const inRange = (v: number, lo: number, hi: number) => v >= lo && v <= hi;
  const up = [inRange(enlarge[0], 1, 2) ? enlarge[0] : null, enlarge[1] > 2 ? enlarge[1] : null].filter((v): v is number => v !== null);
  const down = [inRange(reduce[0], 2 / 3, 1) ? reduce[0] : null, inRange(reduce[1], 0.5, 2 / 3) ? reduce[1] : null].filter((v): v is number => v !== null);
  // The spectrum cannot tell the direction (the image's high-frequency content did not either: an
  // enlargement's and a reduction's overlapped on the corpus). Enlargements come first because they
  // are what is detected: every 1.5× copy of the corpus, against one 0.75× copy in eight.
  const factors = [up[0], down[0], up[1], down[1]].filter((v): v is number => v !== undefined);
  return { measured: true, detected: true, score, threshold: RESAMPLING_THRESHOLD, period: Math.round((1 / f) * 10) / 10, factor: factors[0] ?? null, factors };
}
