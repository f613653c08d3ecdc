// Per-image statistics of the residual for the library classifier, beside the set-encoder's φ:
//   spectrum – log power spectrum of the residual (generator upsampling leaves periodic peaks);
//   pixels   – the residual's centred 32×32 grey pixels: a generator of fixed output size leaves a
//              position-locked pattern (Marra et al.'s fingerprint) that φ's global pooling discards.
// Both are computed from the wavelet residual the correlation analysis computes anyway.
//
// Spectrum estimate: the residual (channel mean) is cut into non-overlapping 32×32 tiles (at most
// 64, centred; a smaller image is zero-padded to one tile), each tile's |DFT|² is averaged (Welch's
// method without a window: the residual is already zero-mean and tapering would blur the peaks),
// and log(ε + P) is kept for the half-plane that a real signal's symmetric spectrum determines.
import type { Canvas } from '../types.js';

export const TILE = 32;
const MAX_TILES = 64;
/** Half-plane of a 32×32 spectrum: all rows, columns 0..16. */
export const SPECTRAL_DIM = TILE * (TILE / 2 + 1);

/**
 * In-place iterative radix-2 FFT of (re, im), length a power of two. Written here because only
 * 32-point transforms are needed (two dozen lines, checked against a direct DFT in
 * test/eval.test.ts), not worth a dependency in the evidence path.
 */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (n !== im.length || (n & (n - 1)) !== 0) throw new RangeError('fft: length must be a power of two');
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

/** |DFT|² of a TILE×TILE real tile (row-major), via row then column FFTs. */
export function powerSpectrum2d(tile: Float64Array): Float64Array {
  const n = TILE;
  const re = Float64Array.from(tile);
  const im = new Float64Array(n * n);
  const rr = new Float64Array(n);
  const ri = new Float64Array(n);
  for (let pass = 0; pass < 2; pass++) {
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        const idx = pass === 0 ? a * n + b : b * n + a;
        rr[b] = re[idx];
        ri[b] = im[idx];
      }
      fft(rr, ri);
      for (let b = 0; b < n; b++) {
        const idx = pass === 0 ? a * n + b : b * n + a;
        re[idx] = rr[b];
        im[idx] = ri[b];
      }
    }
  }
  const p = new Float64Array(n * n);
  for (let i = 0; i < p.length; i++) p[i] = re[i] * re[i] + im[i] * im[i];
  return p;
}

// Fast path for the TILE-point transforms of residualSpectrum (the statistics ran at ~6 ms per
// 256² image with the generic FFT above, as much as the residual itself): twiddles and the bit
// reversal precomputed once, buffers reused, two real rows packed into one complex FFT, and column
// transforms only for the half-plane that is kept. Same numbers as powerSpectrum2d to rounding.
const HALF = TILE / 2 + 1;
const LOG2_TILE = Math.log2(TILE);
const BITREV = Int32Array.from({ length: TILE }, (_, i) => {
  let r = 0;
  for (let b = 0; b < LOG2_TILE; b++) if (i & (1 << b)) r |= 1 << (LOG2_TILE - 1 - b);
  return r;
});
const TW_RE = Float64Array.from({ length: TILE / 2 }, (_, k) => Math.cos((-2 * Math.PI * k) / TILE));
const TW_IM = Float64Array.from({ length: TILE / 2 }, (_, k) => Math.sin((-2 * Math.PI * k) / TILE));

/** In-place radix-2 FFT of one TILE-point complex line at (re, im)[o + s·j], j = 0..TILE−1. */
function fftTile(re: Float64Array, im: Float64Array, o: number, s: number): void {
  for (let i = 0; i < TILE; i++) {
    const j = BITREV[i];
    if (i < j) {
      const a = o + s * i;
      const b = o + s * j;
      const tr = re[a];
      re[a] = re[b];
      re[b] = tr;
      const ti = im[a];
      im[a] = im[b];
      im[b] = ti;
    }
  }
  for (let len = 2, step = TILE / 2; len <= TILE; len <<= 1, step >>= 1) {
    const half = len >> 1;
    for (let i = 0; i < TILE; i += len) {
      for (let k = 0; k < half; k++) {
        const a = o + s * (i + k);
        const b = a + s * half;
        const wr = TW_RE[k * step];
        const wi = TW_IM[k * step];
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

const specRe = new Float64Array(TILE * TILE);
const specIm = new Float64Array(TILE * TILE);
const rowRe = new Float64Array(TILE);
const rowIm = new Float64Array(TILE);

/** Adds |DFT|² of the tile (row-major TILE², real) to acc for the kept half-plane (all rows, columns 0..TILE/2). */
function accumulateHalfSpectrum(tile: Float64Array, acc: Float64Array): void {
  // Rows in pairs: z = a + i·b, then A[k] = (Z[k] + conj Z[−k]) / 2, B[k] = (Z[k] − conj Z[−k]) / 2i.
  for (let y = 0; y < TILE; y += 2) {
    for (let x = 0; x < TILE; x++) {
      rowRe[x] = tile[y * TILE + x];
      rowIm[x] = tile[(y + 1) * TILE + x];
    }
    fftTile(rowRe, rowIm, 0, 1);
    for (let k = 0; k < HALF; k++) {
      const m = (TILE - k) & (TILE - 1);
      const zr = rowRe[k];
      const zi = rowIm[k];
      const cr = rowRe[m];
      const ci = -rowIm[m];
      specRe[y * TILE + k] = (zr + cr) / 2;
      specIm[y * TILE + k] = (zi + ci) / 2;
      specRe[(y + 1) * TILE + k] = (zi - ci) / 2;
      specIm[(y + 1) * TILE + k] = -(zr - cr) / 2;
    }
  }
  for (let k = 0; k < HALF; k++) fftTile(specRe, specIm, k, TILE);
  for (let y = 0; y < TILE; y++)
    for (let k = 0; k < HALF; k++) {
      const i = y * TILE + k;
      acc[y * HALF + k] += specRe[i] * specRe[i] + specIm[i] * specIm[i];
    }
}

/** Log power spectrum of a residual (channel mean), Welch-averaged over centred 32×32 tiles. */
export function residualSpectrum(residual: Canvas): Float32Array {
  const { width: w, height: h } = residual;
  const grey = greyPlane(residual);

  const tilesX = Math.max(1, Math.floor(w / TILE));
  const tilesY = Math.max(1, Math.floor(h / TILE));
  // Centred block of at most MAX_TILES tiles.
  const side = Math.floor(Math.sqrt(MAX_TILES));
  const useX = Math.min(tilesX, side);
  const useY = Math.min(tilesY, side);
  const x0 = Math.max(0, Math.floor((w - useX * TILE) / 2));
  const y0 = Math.max(0, Math.floor((h - useY * TILE) / 2));
  const acc = new Float64Array(SPECTRAL_DIM);
  const tile = new Float64Array(TILE * TILE);
  for (let ty = 0; ty < useY; ty++)
    for (let tx = 0; tx < useX; tx++) {
      tile.fill(0);
      for (let y = 0; y < TILE; y++) {
        const sy = y0 + ty * TILE + y;
        if (sy >= h) break;
        for (let x = 0; x < TILE; x++) {
          const sx = x0 + tx * TILE + x;
          if (sx >= w) break;
          tile[y * TILE + x] = grey[sy * w + sx];
        }
      }
      accumulateHalfSpectrum(tile, acc);
    }
  const tiles = useX * useY;
  const out = new Float32Array(SPECTRAL_DIM);
  for (let i = 0; i < SPECTRAL_DIM; i++) out[i] = Math.log(1e-10 + acc[i] / tiles);
  return out;
}

/** Side of the centred residual window kept as pixels (images smaller than it are zero-padded). */
export const PIXEL_SIDE = 32;
export const PIXEL_DIM = PIXEL_SIDE * PIXEL_SIDE;
/** Spectrum followed by pixels. */
export const RESIDUAL_STATISTICS_DIM = SPECTRAL_DIM + PIXEL_DIM;

function greyPlane(r: Canvas): Float64Array {
  const plane = r.width * r.height;
  const grey = new Float64Array(plane);
  for (let i = 0; i < plane; i++) grey[i] = (r.data[i] + r.data[plane + i] + r.data[2 * plane + i]) / 3;
  return grey;
}

/** The residual's centred PIXEL_SIDE² window (channel mean), row-major; zero outside a smaller image. */
export function residualPixels(residual: Canvas): Float32Array {
  const { width: W, height: H } = residual;
  const grey = greyPlane(residual);
  const out = new Float32Array(PIXEL_DIM);
  const w = Math.min(W, PIXEL_SIDE);
  const h = Math.min(H, PIXEL_SIDE);
  const x0 = Math.floor((W - w) / 2);
  const y0 = Math.floor((H - h) / 2);
  const ox = Math.floor((PIXEL_SIDE - w) / 2);
  const oy = Math.floor((PIXEL_SIDE - h) / 2);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(oy + y) * PIXEL_SIDE + ox + x] = grey[(y0 + y) * W + x0 + x];
  return out;
}

/** Spectrum and pixels of one image, averaged over its crops' residuals. */
export function residualStatistics(residuals: Canvas[]): Float32Array {
  if (residuals.length === 0) throw new Error('residualStatistics: no residuals');
  const out = new Float32Array(RESIDUAL_STATISTICS_DIM);
  for (const r of residuals) {
    const s = residualSpectrum(r);
    const p = residualPixels(r);
    for (let d = 0; d < SPECTRAL_DIM; d++) out[d] += s[d] / residuals.length;
    for (let d = 0; d < PIXEL_DIM; d++) out[SPECTRAL_DIM + d] += p[d] / residuals.length;
  }
  return out;
}
