import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SIGMA0,
  FingerprintAccumulator,
  centredCrop,
  computeResidual,
  corr,
  denoise,
  fingerprintFromResiduals,
  waveletLevels,
} from '../src/engine/residual/index.js';
import {
  PIXEL_DIM,
  PIXEL_SIDE,
  RESIDUAL_STATISTICS_DIM,
  SPECTRAL_DIM,
  residualPixels,
  residualSpectrum,
  residualStatistics,
  powerSpectrum2d,
  TILE,
} from '../src/engine/residual/statistics.js';
import type { Canvas } from '../src/engine/types.js';
import { createRandom as mulberry32, gaussian as gauss } from '../src/engine/util/random.js';

/** A smooth random image: a few low-frequency sinusoids per channel, inside [0.15, 0.85]. */
function smoothImage(width: number, height: number, rand: () => number): Canvas {
  const data = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++) {
    const waves = Array.from({ length: 3 }, () => ({
      fx: (rand() * 2 - 1) * 0.08,
      fy: (rand() * 2 - 1) * 0.08,
      ph: rand() * 2 * Math.PI,
      amp: 0.05 + rand() * 0.07,
    }));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let v = 0.5;
        for (const w of waves) v += w.amp * Math.sin(w.fx * x + w.fy * y + w.ph);
        data[c * width * height + y * width + x] = v;
      }
    }
  }
  return { width, height, data };
}

function addNoise(img: Canvas, sigma: number, rand: () => number): { noisy: Canvas; noise: Canvas } {
  const noise = new Float32Array(img.data.length);
  for (let i = 0; i < noise.length; i++) noise[i] = sigma * gauss(rand);
  const data = Float32Array.from(img.data, (v, i) => v + noise[i]);
  return { noisy: { ...img, data }, noise: { ...img, data: noise } };
}

function rms(a: Float32Array, b?: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - (b ? b[i] : 0)) ** 2;
  return Math.sqrt(s / a.length);
}

describe('wavelet Wiener denoiser', () => {
  it('picks fewer levels for small images so the coarsest subband stays ≥ 4 px', () => {
    expect(waveletLevels(256, 256)).toBe(4);
    expect(waveletLevels(64, 48)).toBe(3);
    expect(waveletLevels(28, 28)).toBe(2);
    expect(waveletLevels(40, 200)).toBe(3);
  });

  it('is an exact orthogonal transform when no noise is assumed (σ₀ = 0), at odd sizes too', () => {
    const rand = mulberry32(1);
    for (const [w, h] of [
      [256, 256],
      [37, 53],
      [28, 28],
      [256, 200],
      [61, 29],
    ]) {
      const img = smoothImage(w, h, rand);
      const { noisy } = addNoise(img, 0.05, rand);
      const out = denoise(noisy, { sigma0: 0 });
      expect(rms(out.data, noisy.data)).toBeLessThan(1e-5);
    }
  });

  for (const [w, h] of [
    [256, 256],
    [96, 72],
    [45, 33],
  ]) {
    it(`residual of a smooth image plus white noise ≈ the noise (${w}×${h})`, () => {
      const rand = mulberry32(w * 1000 + h);
      const img = smoothImage(w, h, rand);
      const { noisy, noise } = addNoise(img, DEFAULT_SIGMA0, rand);
      const r = computeResidual(noisy);
      expect(corr(r, noise)).toBeGreaterThan(0.8);
      // Most of the noise energy is removed from the denoised image.
      const d = denoise(noisy);
      expect(rms(d.data, img.data)).toBeLessThan(0.5 * rms(noise.data));
    });
  }

  it('leaves a smooth image nearly unchanged', () => {
    const rand = mulberry32(7);
    const img = smoothImage(128, 96, rand);
    const d = denoise(img);
    // Well below the noise level it is tuned for (3/255): smooth content is not "noise".
    expect(rms(d.data, img.data)).toBeLessThan(0.25 * DEFAULT_SIGMA0);
    expect(rms(computeResidual(img).data)).toBeLessThan(0.25 * DEFAULT_SIGMA0);
  });

  it('keeps a sharp edge in the image, not in the residual', () => {
    const w = 64;
    const h = 64;
    const data = new Float32Array(3 * w * h);
    for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[c * w * h + y * w + x] = x < 31 ? 0.2 : 0.8;
    const r = computeResidual({ width: w, height: h, data });
    // The 0.6 step must survive denoising: the residual stays far below the step height.
    let maxAbs = 0;
    for (const v of r.data) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBeLessThan(0.1);
  });

  it('residual is zero-mean per channel', () => {
    const rand = mulberry32(3);
    const img = smoothImage(70, 50, rand);
    const { noisy } = addNoise(img, 0.02, rand);
    // A strong per-channel offset must not survive either.
    for (let i = 0; i < noisy.data.length / 3; i++) noisy.data[i] += 0.1;
    const r = computeResidual(noisy);
    const area = 70 * 50;
    for (let c = 0; c < 3; c++) {
      let m = 0;
      for (let i = c * area; i < (c + 1) * area; i++) m += r.data[i];
      expect(Math.abs(m / area)).toBeLessThan(1e-6);
    }
    expect(rms(r.data)).toBeGreaterThan(0.005);
  });

  it('rejects a canvas whose data does not match its size', () => {
    expect(() => computeResidual({ width: 30, height: 30, data: new Float32Array(30 * 30) })).toThrow(RangeError);
  });

  it('micro-benchmark: 256×256×3 denoise time (printed, not asserted)', () => {
    const img = smoothImage(256, 256, mulberry32(11));
    for (let i = 0; i < 5; i++) computeResidual(img);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      computeResidual(img);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(`computeResidual 256×256×3: median ${times[10].toFixed(1)} ms, best ${times[0].toFixed(1)} ms`);
  });
});

describe('correlation on the common centred region', () => {
  it('corr of identical arrays is 1, of negated arrays −1, of independent noise ≈ 0', () => {
    const rand = mulberry32(5);
    const a = addNoise(smoothImage(40, 30, rand), 0.1, rand).noisy;
    const neg = { ...a, data: a.data.map((v) => -v) };
    expect(corr(a, a)).toBeCloseTo(1, 10);
    expect(corr(a, neg)).toBeCloseTo(-1, 10);
    const n1 = addNoise(smoothImage(64, 64, rand), 1, rand).noise;
    const n2 = addNoise(smoothImage(64, 64, rand), 1, rand).noise;
    expect(Math.abs(corr(n1, n2))).toBeLessThan(0.03);
  });

  /** A pattern defined relative to the image centre (index floor(n/2)), so centred crops agree. */
  function centredPattern(w: number, h: number, shiftX = 0): Canvas {
    const data = new Float32Array(3 * w * h);
    const cx = Math.floor(w / 2) + shiftX;
    const cy = Math.floor(h / 2);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const u = x - cx;
          const v = y - cy;
          data[c * w * h + y * w + x] = Math.sin(2.3 * u + 0.3 * c) * Math.cos(1.7 * v) + 0.002 * u * v;
        }
      }
    }
    return { width: w, height: h, data };
  }

  it('compares mixed sizes (64×64 vs 48×40) on their common centred region', () => {
    const big = centredPattern(64, 64);
    const small = centredPattern(48, 40);
    expect(corr(big, small)).toBeCloseTo(1, 6);
    expect(corr(small, big)).toBeCloseTo(1, 6);
    // The same pattern one pixel off-centre is not the same region.
    const shifted = centredPattern(48, 40, 1);
    expect(corr(big, shifted)).toBeLessThan(0.9);
    expect(centredCrop(big, 48, 40).data).toEqual(small.data);
    // Odd sizes: the pixel at index floor(n/2) is the centre on both sides.
    expect(corr(big, centredPattern(47, 39))).toBeCloseTo(1, 6);
    expect(corr(centredPattern(61, 52), centredPattern(46, 39))).toBeCloseTo(1, 6);
  });

  it('fingerprint has the smallest width × smallest height and averages centred crops', () => {
    const a = centredPattern(64, 64);
    const b = centredPattern(48, 70);
    const c = centredPattern(57, 40);
    const fp = fingerprintFromResiduals([a, b, c]);
    expect([fp.width, fp.height, fp.count]).toEqual([48, 40, 3]);
    const expected = centredPattern(48, 40).data;
    let maxErr = 0;
    for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(fp.data[i] - expected[i]));
    expect(maxErr).toBeLessThan(1e-5);
  });

  it('streaming accumulation does not depend on the order sizes arrive in', () => {
    const rand = mulberry32(9);
    // 64 → 47 → 46 is where naive floor((outer − inner)/2) offsets stop nesting.
    const rs = [
      [64, 64],
      [47, 53],
      [61, 41],
      [46, 63],
      [48, 40],
    ].map(([w, h]) => addNoise(smoothImage(w, h, rand), 0.05, rand).noise);
    const forward = new FingerprintAccumulator();
    for (const r of rs) forward.add(r);
    const backward = new FingerprintAccumulator();
    for (const r of [...rs].reverse()) backward.add(r);
    const f = forward.result();
    const b = backward.result();
    expect([f.width, f.height]).toEqual([46, 40]);
    let maxErr = 0;
    for (let i = 0; i < f.data.length; i++) maxErr = Math.max(maxErr, Math.abs(f.data[i] - b.data[i]));
    expect(maxErr).toBeLessThan(1e-6);
    // And equals the plain mean of the centred crops.
    const manual = new Float64Array(3 * 46 * 40);
    for (const r of rs) {
      const crop = centredCrop(r, 46, 40).data;
      for (let i = 0; i < manual.length; i++) manual[i] += crop[i] / rs.length;
    }
    maxErr = 0;
    for (let i = 0; i < manual.length; i++) maxErr = Math.max(maxErr, Math.abs(f.data[i] - manual[i]));
    expect(maxErr).toBeLessThan(1e-6);
  });

  it('an empty accumulator refuses to produce a fingerprint', () => {
    expect(() => new FingerprintAccumulator().result()).toThrow(RangeError);
  });
});

describe('residual statistics (library classifier evidence)', () => {
  /** A residual whose grey value at (x, y) is x + 100·y (channels differ, their mean is that). */
  function ramp(width: number, height: number): Canvas {
    const P = width * height;
    const data = new Float32Array(3 * P);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const v = x + 100 * y;
        data[y * width + x] = v - 1;
        data[P + y * width + x] = v;
        data[2 * P + y * width + x] = v + 1;
      }
    return { width, height, data };
  }

  it('keeps the centred 32×32 window, and zero-pads a smaller residual in the middle', () => {
    const big = residualPixels(ramp(40, 36)); // window starts at x = 4, y = 2
    expect(big.length).toBe(PIXEL_DIM);
    expect(big[0]).toBeCloseTo(4 + 200, 4);
    expect(big[31 * PIXEL_SIDE + 31]).toBeCloseTo(35 + 100 * 33, 3);

    const small = residualPixels(ramp(28, 28)); // placed at offset 2
    expect(small[0]).toBe(0);
    expect(small[1 * PIXEL_SIDE + 5]).toBe(0);
    expect(small[2 * PIXEL_SIDE + 2]).toBeCloseTo(0, 5);
    expect(small[(2 + 27) * PIXEL_SIDE + 2 + 27]).toBeCloseTo(27 + 2700, 3);
    expect(small[30 * PIXEL_SIDE + 30]).toBe(0);
  });

  it('is the spectrum followed by the pixels, averaged over the crops of an image', () => {
    const rand = mulberry32(5);
    const a = computeResidual(addNoise(smoothImage(64, 64, rand), 0.02, rand).noisy);
    const b = computeResidual(addNoise(smoothImage(64, 64, rand), 0.02, rand).noisy);
    const s = residualStatistics([a, b]);
    expect(s.length).toBe(RESIDUAL_STATISTICS_DIM);
    expect(RESIDUAL_STATISTICS_DIM).toBe(SPECTRAL_DIM + PIXEL_DIM);
    const [sa, sb] = [residualSpectrum(a), residualSpectrum(b)];
    const [pa, pb] = [residualPixels(a), residualPixels(b)];
    for (const d of [0, 17, SPECTRAL_DIM - 1]) expect(s[d]).toBeCloseTo((sa[d] + sb[d]) / 2, 4);
    for (const d of [0, 500, PIXEL_DIM - 1]) expect(s[SPECTRAL_DIM + d]).toBeCloseTo((pa[d] + pb[d]) / 2, 6);
    expect(() => residualStatistics([])).toThrow();
  });

  it('the spectrum is the Welch average of powerSpectrum2d over the centred tiles (fast path = reference)', () => {
    /** The definition, written out with the generic FFT: grey plane, ≤ 8×8 centred tiles, half-plane log. */
    function reference(r: Canvas): Float32Array {
      const { width: w, height: h } = r;
      const P = w * h;
      const grey = Float64Array.from({ length: P }, (_, i) => (r.data[i] + r.data[P + i] + r.data[2 * P + i]) / 3);
      const nx = Math.min(8, Math.max(1, Math.floor(w / TILE)));
      const ny = Math.min(8, Math.max(1, Math.floor(h / TILE)));
      const x0 = Math.max(0, Math.floor((w - nx * TILE) / 2));
      const y0 = Math.max(0, Math.floor((h - ny * TILE) / 2));
      const acc = new Float64Array(TILE * TILE);
      for (let ty = 0; ty < ny; ty++)
        for (let tx = 0; tx < nx; tx++) {
          const tile = new Float64Array(TILE * TILE);
          for (let y = 0; y < TILE && y0 + ty * TILE + y < h; y++)
            for (let x = 0; x < TILE && x0 + tx * TILE + x < w; x++) tile[y * TILE + x] = grey[(y0 + ty * TILE + y) * w + x0 + tx * TILE + x];
          powerSpectrum2d(tile).forEach((v, i) => (acc[i] += v));
        }
      const out = new Float32Array(SPECTRAL_DIM);
      let k = 0;
      for (let y = 0; y < TILE; y++) for (let x = 0; x <= TILE / 2; x++) out[k++] = Math.log(1e-10 + acc[y * TILE + x] / (nx * ny));
      return out;
    }
    const rand = mulberry32(11);
    for (const [w, h] of [
      [256, 256],
      [28, 28],
      [64, 48],
      [100, 300],
    ]) {
      const r = computeResidual(addNoise(smoothImage(w, h, rand), 0.02, rand).noisy);
      const fast = residualSpectrum(r);
      const ref = reference(r);
      for (let i = 0; i < SPECTRAL_DIM; i++) expect(Math.abs(fast[i] - ref[i])).toBeLessThan(1e-5);
    }
  });
});
