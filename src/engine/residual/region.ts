// Common centred region of planar CHW arrays of different sizes, and Pearson correlation on it.
// Residuals of images of different sizes are only comparable position by position, so every
// comparison uses the largest region centred in both.

/** Anything laid out as 3-channel planar CHW: a Canvas, a residual, a ResidualFingerprint. */
export interface Planar {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Offset of a centred crop of side `inner` inside side `outer`: floor(outer/2) − floor(inner/2),
 * i.e. the pixels at index floor(n/2) are aligned. Unlike floor((outer − inner)/2) this nests
 * exactly (cropping 10→7→6 lands where 10→6 does), which lets the fingerprint accumulator shrink
 * its running sum when a smaller image arrives and still equal the batch result.
 */
export function centredOffset(outer: number, inner: number): number {
  return Math.floor(outer / 2) - Math.floor(inner / 2);
}

function checkPlanar(a: Planar, what: string): void {
  if (a.data.length !== 3 * a.width * a.height) {
    throw new RangeError(`${what}: data length ${a.data.length} does not match 3×${a.width}×${a.height}`);
  }
}

/** The centred w×h crop of a planar array, as a new array (a copy even when sizes match). */
export function centredCrop(a: Planar, width: number, height: number): Planar {
  checkPlanar(a, 'centredCrop');
  if (width > a.width || height > a.height) {
    throw new RangeError(`centredCrop: ${width}×${height} does not fit in ${a.width}×${a.height}`);
  }
  const ox = centredOffset(a.width, width);
  const oy = centredOffset(a.height, height);
  const out = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      const src = c * a.width * a.height + (y + oy) * a.width + ox;
      out.set(a.data.subarray(src, src + width), c * width * height + y * width);
    }
  }
  return { width, height, data: out };
}

/**
 * Pearson correlation of two CHW arrays over their common centred region, all three channels
 * pooled as one vector. Returns 0 when either side is constant there (correlation undefined:
 * a flat residual carries no evidence for or against a fingerprint).
 */
export function corr(a: Planar, b: Planar): number {
  checkPlanar(a, 'corr');
  checkPlanar(b, 'corr');
  const w = Math.min(a.width, b.width);
  const h = Math.min(a.height, b.height);
  const axo = centredOffset(a.width, w);
  const ayo = centredOffset(a.height, h);
  const bxo = centredOffset(b.width, w);
  const byo = centredOffset(b.height, h);
  const aArea = a.width * a.height;
  const bArea = b.width * b.height;
  const ad = a.data;
  const bd = b.data;
  // Two passes (means, then centred sums) so the result stays accurate for near-constant inputs.
  let sa = 0;
  let sb = 0;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      const ai = c * aArea + (y + ayo) * a.width + axo;
      const bi = c * bArea + (y + byo) * b.width + bxo;
      for (let x = 0; x < w; x++) {
        sa += ad[ai + x];
        sb += bd[bi + x];
      }
    }
  }
  const n = 3 * w * h;
  const ma = sa / n;
  const mb = sb / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      const ai = c * aArea + (y + ayo) * a.width + axo;
      const bi = c * bArea + (y + byo) * b.width + bxo;
      for (let x = 0; x < w; x++) {
        const da = ad[ai + x] - ma;
        const db = bd[bi + x] - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
      }
    }
  }
  if (saa <= 0 || sbb <= 0) return 0;
  const r = sab / Math.sqrt(saa * sbb);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}
