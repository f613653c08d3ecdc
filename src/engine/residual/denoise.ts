// Wavelet-domain Wiener denoiser of Mihçak, Kozintsev & Ramchandran (1999), the filter used to
// extract camera PRNU (Lukáš, Fridrich & Goljan 2006) and, following them, GAN fingerprints
// (Marra et al. 2019). Hand-written: the only npm DWT library (discrete-wavelets) is 1-D on plain
// number arrays, allocates per call and is no longer maintained, and the Wiener shrinkage needs
// direct access to each 2-D subband anyway. Everything here works on preallocated typed arrays,
// one channel at a time.
import type { Canvas } from '../types.js';

/**
 * Daubechies-4 (8-tap) orthonormal low-pass filter, the "8-tap Daubechies QMF" of the PRNU papers.
 * Orthonormality matters: it keeps white noise of variance σ₀² at variance σ₀² in every subband,
 * which is what the Wiener rule below assumes. Haar would also be orthonormal, but its blocky
 * basis leaks image edges into the residual much more.
 */
export const H = Float64Array.from([
  0.23037781330885523, 0.7148465705525415, 0.6308807679295904, -0.02798376941698385, -0.18703481171888114, 0.030841381835986965, 0.032883011666982945,
  -0.010597401784997278,
]);
const TAPS = H.length;
// Quadrature-mirror high-pass: g[k] = (−1)^k h[N−1−k].
export const G = Float64Array.from(H, (_, k) => (k % 2 === 0 ? 1 : -1) * H[TAPS - 1 - k]);

export interface DenoiseOptions {
  /** Noise standard deviation on the [0,1] scale. Default 3/255, the PRNU-extraction value. */
  sigma0?: number;
  /** Maximum decomposition levels. Default 4; fewer for small images (each subband ≥ 4 px). */
  levels?: number;
  /** Local-variance window sides. Default [3, 5, 7, 9]. */
  windows?: readonly number[];
}

export const DEFAULT_SIGMA0 = 3 / 255;
export const DEFAULT_WINDOWS = [3, 5, 7, 9] as const;
/** Mirrored margin kept between the image and the periodic wrap-around seam of the padded plane. */
const MARGIN = 8;

/** Levels such that the coarsest subband of the (unpadded) image is still at least 4 px. */
export function waveletLevels(width: number, height: number, maxLevels = 4): number {
  let levels = 0;
  const side = Math.min(width, height);
  while (levels < maxLevels && Math.floor(side / 2 ** (levels + 1)) >= 4) levels++;
  return levels;
}

/** Half-sample symmetric extension (… x1 x0 | x0 x1 …), folded for pads longer than the signal. */
export function mirrorIndex(i: number, n: number): number {
  const period = 2 * n;
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - 1 - j;
  return j;
}

/**
 * Scratch buffers for one padded plane size. Reused across channels and calls so that a batch
 * of same-sized images allocates nothing per image beyond its output canvas.
 */
class Workspace {
  readonly plane: Float64Array;
  readonly tmp: Float64Array;
  readonly line: Float64Array;
  readonly ext: Float64Array;
  readonly sat: Float64Array;
  readonly xmap: Int32Array;
  readonly ymap: Int32Array;
  constructor(
    readonly width: number,
    readonly height: number,
    readonly pw: number,
    readonly ph: number,
    readonly left: number,
    readonly top: number,
  ) {
    this.plane = new Float64Array(pw * ph);
    this.tmp = new Float64Array(pw * ph);
    const longest = Math.max(pw, ph);
    this.line = new Float64Array(longest + TAPS);
    this.ext = new Float64Array(longest + TAPS);
    this.sat = new Float64Array((pw / 2 + 1) * (ph / 2 + 1));
    this.xmap = Int32Array.from({ length: pw }, (_, x) => mirrorIndex(x - left, width));
    this.ymap = Int32Array.from({ length: ph }, (_, y) => mirrorIndex(y - top, height));
  }
}

/**
 * The padded plane the transform runs on: the image with a mirrored margin on every side, padded
 * up to a multiple of 2^levels, so the periodic transform is exactly orthogonal and its wrap-around
 * seam lies in the padding, not the image. `left`/`top` place the image inside it.
 */
export function planeGeometry(width: number, height: number, levels: number): { pw: number; ph: number; left: number; top: number } {
  const block = 2 ** levels;
  const pw = Math.ceil((width + 2 * MARGIN) / block) * block;
  const ph = Math.ceil((height + 2 * MARGIN) / block) * block;
  return { pw, ph, left: Math.floor((pw - width) / 2), top: Math.floor((ph - height) / 2) };
}

// A few recent plane sizes: evidence folders mix sizes, and reallocating per image would churn.
const workspaces = new Map<string, Workspace>();
const MAX_WORKSPACES = 4;

function workspaceFor(width: number, height: number, levels: number): Workspace {
  const key = `${width}x${height}x${levels}`;
  const hit = workspaces.get(key);
  if (hit) {
    workspaces.delete(key); // re-insert: Map order doubles as LRU order
    workspaces.set(key, hit);
    return hit;
  }
  const { pw, ph, left, top } = planeGeometry(width, height, levels);
  const ws = new Workspace(width, height, pw, ph, left, top);
  if (workspaces.size >= MAX_WORKSPACES) workspaces.delete(workspaces.keys().next().value!);
  workspaces.set(key, ws);
  return ws;
}

// The 8 taps are unrolled into locals: tap loops over H/G were measurably slower in V8.
const [H0, H1, H2, H3, H4, H5, H6, H7] = H;
const [G0, G1, G2, G3, G4, G5, G6, G7] = G;

/** One periodic analysis step of `n` samples: line[0..n) → out[o..o+n) = [approx | detail]. */
function analyse(line: Float64Array, out: Float64Array, o: number, n: number): void {
  for (let k = 0; k < TAPS - 1; k++) line[n + k] = line[k % n];
  const half = n >> 1;
  for (let i = 0; i < half; i++) {
    const b = 2 * i;
    const v0 = line[b],
      v1 = line[b + 1],
      v2 = line[b + 2],
      v3 = line[b + 3];
    const v4 = line[b + 4],
      v5 = line[b + 5],
      v6 = line[b + 6],
      v7 = line[b + 7];
    out[o + i] = H0 * v0 + H1 * v1 + H2 * v2 + H3 * v3 + H4 * v4 + H5 * v5 + H6 * v6 + H7 * v7;
    out[o + half + i] = G0 * v0 + G1 * v1 + G2 * v2 + G3 * v3 + G4 * v4 + G5 * v5 + G6 * v6 + G7 * v7;
  }
}

/**
 * Inverse of `analyse` (its transpose, the step being orthogonal), in polyphase form:
 * x[2m] and x[2m+1] each gather 4 approximation and 4 detail samples. Input is [a | d] in
 * `src` at `s`, output goes to `out` at `o`; `ext` holds a and d with 3 periodic samples in
 * front so no index needs a modulo.
 */
function synthesise(src: Float64Array, s: number, ext: Float64Array, out: Float64Array, o: number, n: number): void {
  const half = n >> 1;
  const dOff = half + 3;
  for (let j = 0; j < 3; j++) {
    const k = (((j - 3) % half) + half) % half;
    ext[j] = src[s + k];
    ext[dOff + j] = src[s + half + k];
  }
  for (let j = 0; j < half; j++) {
    ext[3 + j] = src[s + j];
    ext[dOff + 3 + j] = src[s + half + j];
  }
  for (let m = 0; m < half; m++) {
    const a0 = ext[m + 3],
      a1 = ext[m + 2],
      a2 = ext[m + 1],
      a3 = ext[m];
    const d0 = ext[dOff + m + 3],
      d1 = ext[dOff + m + 2],
      d2 = ext[dOff + m + 1],
      d3 = ext[dOff + m];
    out[o + 2 * m] = H0 * a0 + H2 * a1 + H4 * a2 + H6 * a3 + G0 * d0 + G2 * d1 + G4 * d2 + G6 * d3;
    out[o + 2 * m + 1] = H1 * a0 + H3 * a1 + H5 * a2 + H7 * a3 + G1 * d0 + G3 * d1 + G5 * d2 + G7 * d3;
  }
}

/** Forward 2-D transform of the top-left w×h block of the plane (row stride `pw`). */
function forward2d(ws: Workspace, w: number, h: number): void {
  const { plane, tmp, line, pw: stride } = ws;
  for (let y = 0; y < h; y++) {
    const row = y * stride;
    for (let x = 0; x < w; x++) line[x] = plane[row + x];
    analyse(line, plane, row, w);
  }
  // Columns are filtered a whole row at a time so every inner loop walks contiguous memory
  // (gathering one strided column at a time was the slowest part of the denoiser).
  const half = h >> 1;
  for (let i = 0; i < half; i++) {
    const rowA = i * stride;
    const rowD = (half + i) * stride;
    const s0 = ((2 * i) % h) * stride,
      s1 = ((2 * i + 1) % h) * stride;
    const s2 = ((2 * i + 2) % h) * stride,
      s3 = ((2 * i + 3) % h) * stride;
    const s4 = ((2 * i + 4) % h) * stride,
      s5 = ((2 * i + 5) % h) * stride;
    const s6 = ((2 * i + 6) % h) * stride,
      s7 = ((2 * i + 7) % h) * stride;
    for (let x = 0; x < w; x++) {
      const v0 = plane[s0 + x],
        v1 = plane[s1 + x],
        v2 = plane[s2 + x],
        v3 = plane[s3 + x];
      const v4 = plane[s4 + x],
        v5 = plane[s5 + x],
        v6 = plane[s6 + x],
        v7 = plane[s7 + x];
      tmp[rowA + x] = H0 * v0 + H1 * v1 + H2 * v2 + H3 * v3 + H4 * v4 + H5 * v5 + H6 * v6 + H7 * v7;
      tmp[rowD + x] = G0 * v0 + G1 * v1 + G2 * v2 + G3 * v3 + G4 * v4 + G5 * v5 + G6 * v6 + G7 * v7;
    }
  }
  for (let y = 0; y < h; y++) plane.set(tmp.subarray(y * stride, y * stride + w), y * stride);
}

function inverse2d(ws: Workspace, w: number, h: number): void {
  const { plane, tmp, ext, pw: stride } = ws;
  const half = h >> 1;
  const wrap = (i: number) => ((i % half) + half) % half;
  for (let m = 0; m < half; m++) {
    const a0 = m * stride,
      a1 = wrap(m - 1) * stride,
      a2 = wrap(m - 2) * stride,
      a3 = wrap(m - 3) * stride;
    const dOff = half * stride;
    const d0 = a0 + dOff,
      d1 = a1 + dOff,
      d2 = a2 + dOff,
      d3 = a3 + dOff;
    const even = 2 * m * stride;
    const odd = even + stride;
    for (let x = 0; x < w; x++) {
      const p0 = plane[a0 + x],
        p1 = plane[a1 + x],
        p2 = plane[a2 + x],
        p3 = plane[a3 + x];
      const q0 = plane[d0 + x],
        q1 = plane[d1 + x],
        q2 = plane[d2 + x],
        q3 = plane[d3 + x];
      tmp[even + x] = H0 * p0 + H2 * p1 + H4 * p2 + H6 * p3 + G0 * q0 + G2 * q1 + G4 * q2 + G6 * q3;
      tmp[odd + x] = H1 * p0 + H3 * p1 + H5 * p2 + H7 * p3 + G1 * q0 + G3 * q1 + G5 * q2 + G7 * q3;
    }
  }
  for (let y = 0; y < h; y++) {
    synthesise(tmp, y * stride, ext, plane, y * stride, w);
  }
}

/**
 * Wiener shrinkage of one detail subband in place (Mihçak et al.): in each square window the
 * local signal variance is max(0, mean(c²) − σ₀²); the minimum over the window sizes is kept, the
 * MAP choice of that paper, so a window that straddles an edge cannot inflate a flat region's
 * estimate; then c ← c·σ̂²/(σ̂² + σ₀²).
 */
function shrinkSubband(ws: Workspace, x0: number, y0: number, w: number, h: number, noiseVar: number, radii: Int32Array, invArea: Float64Array): void {
  const { plane, sat, pw: stride } = ws;
  // Summed-area table of c² makes every window mean O(1); borders use the clipped window's mean.
  const sw = w + 1;
  sat.fill(0, 0, sw);
  for (let y = 0; y < h; y++) {
    let rowSum = 0;
    const src = (y0 + y) * stride + x0;
    const dst = (y + 1) * sw;
    sat[dst] = 0;
    for (let x = 0; x < w; x++) {
      const c = plane[src + x];
      rowSum += c * c;
      sat[dst + x + 1] = sat[dst - sw + x + 1] + rowSum;
    }
  }
  const nr = radii.length;
  let maxRad = 0;
  for (let r = 0; r < nr; r++) maxRad = Math.max(maxRad, radii[r]);
  const top = new Int32Array(nr);
  const bottom = new Int32Array(nr);
  for (let y = 0; y < h; y++) {
    const src = (y0 + y) * stride + x0;
    const rowInside = y >= maxRad && y + maxRad < h;
    for (let r = 0; r < nr; r++) {
      top[r] = (y - radii[r]) * sw;
      bottom[r] = (y + radii[r] + 1) * sw;
    }
    for (let x = 0; x < w; x++) {
      let best = Infinity;
      if (rowInside && x >= maxRad && x + maxRad < w) {
        // Interior fast path: no clipping, precomputed 1/area (most coefficients land here).
        for (let r = 0; r < nr; r++) {
          const rad = radii[r];
          const xa = x - rad;
          const xb = x + rad + 1;
          const t = top[r];
          const b = bottom[r];
          const m = (sat[b + xb] - sat[t + xb] - sat[b + xa] + sat[t + xa]) * invArea[r];
          if (m < best) best = m;
        }
      } else {
        for (let r = 0; r < nr; r++) {
          const rad = radii[r];
          const ya = y - rad < 0 ? 0 : y - rad;
          const yb = y + rad + 1 > h ? h : y + rad + 1;
          const xa = x - rad < 0 ? 0 : x - rad;
          const xb = x + rad + 1 > w ? w : x + rad + 1;
          const sum = sat[yb * sw + xb] - sat[ya * sw + xb] - sat[yb * sw + xa] + sat[ya * sw + xa];
          const m = sum / ((yb - ya) * (xb - xa));
          if (m < best) best = m;
        }
      }
      let v = best - noiseVar;
      if (v < 0) v = 0;
      const denom = v + noiseVar;
      // σ₀ = 0 means "no noise": keep the coefficient (avoids 0/0 on flat regions).
      plane[src + x] *= denom > 0 ? v / denom : 1;
    }
  }
}

function denoiseInto(c: Canvas, target: Float32Array, opts: DenoiseOptions, residual: boolean): void {
  const { width, height, data } = c;
  if (data.length !== 3 * width * height) {
    throw new RangeError(`canvas data length ${data.length} does not match 3×${width}×${height}`);
  }
  const sigma0 = opts.sigma0 ?? DEFAULT_SIGMA0;
  const noiseVar = sigma0 * sigma0;
  const radii = Int32Array.from(opts.windows ?? DEFAULT_WINDOWS, (s) => Math.floor(s / 2));
  if (radii.length === 0) throw new RangeError('denoise: at least one window size is needed');
  const invArea = Float64Array.from(radii, (r) => 1 / ((2 * r + 1) * (2 * r + 1)));
  const levels = waveletLevels(width, height, opts.levels ?? 4);
  const ws = workspaceFor(width, height, levels);
  const { plane, xmap, ymap, pw, ph, left, top } = ws;
  const area = width * height;

  for (let ch = 0; ch < 3; ch++) {
    const off = ch * area;
    for (let y = 0; y < ph; y++) {
      const srcRow = off + ymap[y] * width;
      const dstRow = y * pw;
      for (let x = 0; x < pw; x++) plane[dstRow + x] = data[srcRow + xmap[x]];
    }
    let w = pw;
    let h = ph;
    for (let l = 0; l < levels; l++) {
      forward2d(ws, w, h);
      const hw = w >> 1;
      const hh = h >> 1;
      shrinkSubband(ws, hw, 0, hw, hh, noiseVar, radii, invArea);
      shrinkSubband(ws, 0, hh, hw, hh, noiseVar, radii, invArea);
      shrinkSubband(ws, hw, hh, hw, hh, noiseVar, radii, invArea);
      w = hw;
      h = hh;
    }
    for (let l = levels - 1; l >= 0; l--) inverse2d(ws, pw >> l, ph >> l);

    let mean = 0;
    for (let y = 0; y < height; y++) {
      const srcRow = (y + top) * pw + left;
      const dstRow = off + y * width;
      for (let x = 0; x < width; x++) {
        const d = plane[srcRow + x];
        const v = residual ? data[dstRow + x] - d : d;
        target[dstRow + x] = v;
        mean += v;
      }
    }
    if (residual) {
      // Per-channel zero mean: the fingerprint is a pattern, a DC offset carries no attribution.
      mean /= area;
      for (let i = off; i < off + area; i++) target[i] -= mean;
    }
  }
}

/** D(x): the wavelet Wiener estimate of the noise-free image. */
export function denoise(c: Canvas, opts: DenoiseOptions = {}): Canvas {
  const out = new Float32Array(c.data.length);
  denoiseInto(c, out, opts, false);
  return { width: c.width, height: c.height, data: out };
}

/** r = x − D(x), zero-mean per channel: the noise residual that carries the model fingerprint. */
export function computeResidual(c: Canvas, opts: DenoiseOptions = {}): Canvas {
  const out = new Float32Array(c.data.length);
  denoiseInto(c, out, opts, true);
  return { width: c.width, height: c.height, data: out };
}
