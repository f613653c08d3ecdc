// Correlation analysis of DSF (Song et al. 2022) Sec. 4.1, Eq. 3–6, on residual fingerprints.
// See docs/method.md for the equations as implemented and the Eq. 6 inconsistency.
import type { LabelledMatrix, ResidualFingerprint } from './types.js';
import { centredCrop, centredOffset, corr, type Planar } from './residual/region.js';

export { corr };

type FingerprintLike = Planar | { fingerprint: Planar };

function planeOf(f: FingerprintLike): Planar {
  return 'fingerprint' in f ? f.fingerprint : f;
}

/** Eq. 3 for one residual against each fingerprint: ρ⁽ⁿ⁾ = |corr(residual, fingerprint)|. */
export function perImageCorrelations(residual: Planar, fingerprints: readonly FingerprintLike[]): number[] {
  return fingerprints.map((f) => Math.abs(corr(residual, planeOf(f))));
}

/**
 * Eq. 3 for many residuals against one library's fingerprints, with each fingerprint's crop
 * centred and scaled to unit norm once per residual size: corr(r, f) = Σ r·f̂ / ‖r − r̄‖ since Σ f̂ = 0,
 * one pass per fingerprint instead of corr()'s two passes over both arrays (the analysis computes
 * this for every image × entry). Agrees with corr() to ~1e-7 (f̂ is kept in float32).
 */
export class FingerprintBank {
  private readonly bySize = new Map<string, { w: number; h: number; unit: (Float32Array | null)[] }>();
  constructor(private readonly fingerprints: readonly Planar[]) {}

  get size(): number {
    return this.fingerprints.length;
  }

  private prepared(width: number, height: number) {
    const key = `${width}x${height}`;
    let p = this.bySize.get(key);
    if (p) return p;
    // One common region per fingerprint; it depends on the residual's size only through min().
    const unit = this.fingerprints.map((f) => {
      const w = Math.min(width, f.width);
      const h = Math.min(height, f.height);
      const crop = centredCrop(f, w, h).data;
      let mean = 0;
      for (let i = 0; i < crop.length; i++) mean += crop[i];
      mean /= crop.length;
      let ss = 0;
      for (let i = 0; i < crop.length; i++) ss += (crop[i] - mean) ** 2;
      if (ss <= 0) return null; // constant: corr() answers 0
      const inv = 1 / Math.sqrt(ss);
      return Float32Array.from(crop, (v) => (v - mean) * inv);
    });
    p = { w: width, h: height, unit };
    if (this.bySize.size >= 8) this.bySize.delete(this.bySize.keys().next().value!);
    this.bySize.set(key, p);
    return p;
  }

  /** |corr(residual, fingerprint k)| for every k, as perImageCorrelations gives. */
  absCorrelations(residual: Planar): Float64Array {
    const { width, height, data } = residual;
    if (data.length !== 3 * width * height) throw new RangeError(`corr: data length ${data.length} does not match 3×${width}×${height}`);
    const { unit } = this.prepared(width, height);
    const out = new Float64Array(unit.length);
    const area = width * height;
    // The residual's centred statistics per distinct common region (usually one: all fingerprints alike).
    const regions = new Map<string, { ox: number; oy: number; mean: number; norm: number }>();
    for (let k = 0; k < unit.length; k++) {
      const u = unit[k];
      if (!u) continue;
      const f = this.fingerprints[k];
      const w = Math.min(width, f.width);
      const h = Math.min(height, f.height);
      const rk = `${w}x${h}`;
      let reg = regions.get(rk);
      if (!reg) {
        const ox = centredOffset(width, w);
        const oy = centredOffset(height, h);
        let sum = 0;
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < h; y++) {
            const row = c * area + (y + oy) * width + ox;
            for (let x = 0; x < w; x++) sum += data[row + x];
          }
        const mean = sum / (3 * w * h);
        let ss = 0;
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < h; y++) {
            const row = c * area + (y + oy) * width + ox;
            for (let x = 0; x < w; x++) ss += (data[row + x] - mean) ** 2;
          }
        reg = { ox, oy, mean, norm: Math.sqrt(ss) };
        regions.set(rk, reg);
      }
      if (reg.norm <= 0) continue;
      let dot = 0;
      let i = 0;
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < h; y++) {
          const row = c * area + (y + reg.oy) * width + reg.ox;
          for (let x = 0; x < w; x++) dot += data[row + x] * u[i++];
        }
      const r = dot / reg.norm;
      out[k] = Math.min(1, Math.abs(r));
    }
    return out;
  }
}

/**
 * Eq. 4 (and Eq. 5 when the sources are the library's own held-out images): entry (i, j) is the
 * mean over source i's residuals of |corr(residual, fingerprint j)|. Rows = sources, cols =
 * fingerprints. A source without residuals gives a row of NaN (no evidence, not zero evidence).
 */
export function correlationMatrix(
  sources: readonly { label: string; residuals: readonly Planar[] }[],
  fingerprints: readonly { label: string; fingerprint: ResidualFingerprint | Planar }[],
): LabelledMatrix {
  const values = sources.map((src) => {
    const sums = new Float64Array(fingerprints.length);
    for (const r of src.residuals) {
      const row = perImageCorrelations(r, fingerprints);
      for (let j = 0; j < row.length; j++) sums[j] += row[j];
    }
    const n = src.residuals.length;
    return Array.from(sums, (s) => (n > 0 ? s / n : NaN));
  });
  return { rows: sources.map((s) => s.label), cols: fingerprints.map((f) => f.label), values };
}

function asMatrix(m: LabelledMatrix | number[][]): { values: number[][]; target: (i: number, j: number) => number } {
  if (Array.isArray(m)) {
    const n = m.length;
    for (const row of m) {
      if (row.length !== n) throw new RangeError('decorrelation: a plain number[][] must be square');
    }
    return { values: m, target: (i, j) => (i === j ? 1 : 0) };
  }
  if (m.values.length !== m.rows.length || m.values.some((r) => r.length !== m.cols.length)) {
    throw new RangeError('decorrelation: values do not match the row/column labels');
  }
  // Evidence × library tables are rectangular: the "identity" is 1 where a row is the column's model.
  return { values: m.values, target: (i, j) => (m.rows[i] === m.cols[j] ? 1 : 0) };
}

/**
 * Eq. 6 exactly as printed: (1/M²)·‖ρ − I‖_F. For a rectangular rows × cols table M² becomes
 * rows·cols (the number of entries) and I is 1 where row label == column label.
 * Lower means closer to the ideal ρ = I; see docs/method.md for why this contradicts the paper's
 * prose ("higher = more decorrelated", range [0, 1 + 2/M]).
 */
export function decorrelationScore(m: LabelledMatrix | number[][]): number {
  const { values, target } = asMatrix(m);
  const rows = values.length;
  const cols = rows > 0 ? values[0].length : 0;
  if (rows === 0 || cols === 0) return NaN;
  let ss = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const d = values[i][j] - target(i, j);
      ss += d * d;
    }
  }
  return Math.sqrt(ss) / (rows * cols);
}

/**
 * Mean of the "own-model" entries (diagonal, or row label == column label) minus the mean of all
 * other entries. > 0: sources correlate more with their own fingerprint than with others'.
 * NaN when either group is empty.
 */
export function diagonalContrast(m: LabelledMatrix | number[][]): number {
  const { values, target } = asMatrix(m);
  let own = 0;
  let nOwn = 0;
  let other = 0;
  let nOther = 0;
  for (let i = 0; i < values.length; i++) {
    for (let j = 0; j < values[i].length; j++) {
      if (target(i, j) === 1) {
        own += values[i][j];
        nOwn++;
      } else {
        other += values[i][j];
        nOther++;
      }
    }
  }
  if (nOwn === 0 || nOther === 0) return NaN;
  return own / nOwn - other / nOther;
}
