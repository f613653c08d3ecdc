// A model's residual fingerprint (Marra et al. 2019): the per-position mean of its images' noise
// residuals. Image content averages out, the generator's systematic pattern does not.
import type { ResidualFingerprint } from '../types.js';
import { centredOffset, type Planar } from './region.js';

/**
 * Streaming mean of residuals over their common centred region. The region is the smallest width ×
 * smallest height seen so far; when a smaller residual arrives the running sum is cropped to it,
 * which gives exactly the batch result because centred crops nest (see `centredOffset`).
 */
export class FingerprintAccumulator {
  private sum: Float64Array | null = null;
  private width = 0;
  private height = 0;
  private n = 0;

  get count(): number {
    return this.n;
  }

  add(residual: Planar): void {
    const { width, height, data } = residual;
    if (data.length !== 3 * width * height) {
      throw new RangeError(`FingerprintAccumulator: data length ${data.length} does not match 3×${width}×${height}`);
    }
    if (this.sum === null) {
      this.sum = Float64Array.from(data);
      this.width = width;
      this.height = height;
      this.n = 1;
      return;
    }
    if (width < this.width || height < this.height) this.shrinkTo(Math.min(width, this.width), Math.min(height, this.height));
    const w = this.width;
    const h = this.height;
    const ox = centredOffset(width, w);
    const oy = centredOffset(height, h);
    const sum = this.sum;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < h; y++) {
        const src = c * width * height + (y + oy) * width + ox;
        const dst = c * w * h + y * w;
        for (let x = 0; x < w; x++) sum[dst + x] += data[src + x];
      }
    }
    this.n++;
  }

  private shrinkTo(w: number, h: number): void {
    const old = this.sum!;
    const ow = this.width;
    const oh = this.height;
    const ox = centredOffset(ow, w);
    const oy = centredOffset(oh, h);
    const next = new Float64Array(3 * w * h);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < h; y++) {
        const src = c * ow * oh + (y + oy) * ow + ox;
        next.set(old.subarray(src, src + w), c * w * h + y * w);
      }
    }
    this.sum = next;
    this.width = w;
    this.height = h;
  }

  /** The mean so far. Throws when nothing was added: an empty fingerprint is a caller error. */
  result(): ResidualFingerprint {
    if (this.sum === null || this.n === 0) throw new RangeError('FingerprintAccumulator: no residuals added');
    const data = new Float32Array(this.sum.length);
    for (let i = 0; i < data.length; i++) data[i] = this.sum[i] / this.n;
    return { width: this.width, height: this.height, data, count: this.n };
  }
}

export function fingerprintFromResiduals(residuals: Iterable<Planar>): ResidualFingerprint {
  const acc = new FingerprintAccumulator();
  for (const r of residuals) acc.add(r);
  return acc.result();
}
