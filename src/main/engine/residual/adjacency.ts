// Second-order SPAM features (Pevný, Bas & Fridrich, "Steganalysis by subtractive pixel adjacency
// matrix", IEEE TIFS 2010): the Markov transition probabilities of the truncated difference between
// neighbouring 8-bit pixel values. The difference of neighbours is the simplest high-pass residual;
// how it evolves along a row (three differences in a row) records the local texture a generator's
// last layers and output quantisation leave — a translation-invariant cue that neither φ's pooled
// features nor the position-locked residual pixels describe. Computed on the decoded 8-bit values
// (the crop, not the wavelet residual): the steganalysis literature defines it on integer pixels.
//
// Written here rather than taken from a package: there is no maintained npm implementation, and the
// definition is a few lines (checked against a direct per-pixel count in test/residual.test.ts).
import type { Canvas } from '../types.js';

/** Differences are truncated to [−T, T]; T = 3 is the paper's second-order setting. */
export const SPAM_T = 3;
const K = 2 * SPAM_T + 1;
/** Transition matrix for one direction class: P(d₃ | d₁, d₂) over K³ cells. */
const CELLS = K * K * K;
/** Straight directions averaged, then diagonal directions averaged (the paper's F•→, F•↘). */
export const SPAM_DIM = 2 * CELLS;

/** The 8 directions (dx, dy): 4 straight, then 4 diagonal. */
const DIRECTIONS: [number, number][] = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
  [1, 1],
  [-1, -1],
  [1, -1],
  [-1, 1],
];

function isGrey(c: Canvas): boolean {
  const P = c.width * c.height;
  for (let i = 0; i < P; i++) if (c.data[i] !== c.data[P + i] || c.data[i] !== c.data[2 * P + i]) return false;
  return true;
}

/**
 * SPAM_DIM features of one crop: for each direction, counts of (d₁, d₂, d₃) with
 * dₖ = clamp(I(p + (k−1)·δ) − I(p + k·δ), −T, T), normalised by the count of (d₁, d₂) (a
 * conditional probability; 0 where the condition never occurs), averaged over the straight and
 * over the diagonal directions and over the colour channels (one channel for a grey image).
 */
export function spamFeatures(crop: Canvas): Float32Array {
  const { width: W, height: H } = crop;
  const P = W * H;
  const channels = isGrey(crop) ? 1 : 3;
  const out = new Float64Array(SPAM_DIM);
  const plane = new Int16Array(P);
  // Clamped difference d(p) = clamp(I(p) − I(p + δ)) + T, so a triple is d(p), d(p + δ), d(p + 2δ).
  const diff = new Uint8Array(P);
  const joint = new Float64Array(CELLS);
  const cond = new Float64Array(K * K);
  for (let ch = 0; ch < channels; ch++) {
    for (let i = 0; i < P; i++) plane[i] = Math.round(crop.data[ch * P + i] * 255);
    DIRECTIONS.forEach(([dx, dy], di) => {
      const step = dy * W + dx;
      // Pixels p with p + kδ inside the image (k = 1 for a difference, 3 for a triple).
      const range = (k: number) => ({
        x0: Math.max(0, -k * dx),
        x1: Math.min(W, W - k * dx),
        y0: Math.max(0, -k * dy),
        y1: Math.min(H, H - k * dy),
      });
      const one = range(1);
      for (let y = one.y0; y < one.y1; y++)
        for (let x = one.x0, p = y * W + x; x < one.x1; x++, p++) {
          const d = plane[p] - plane[p + step];
          diff[p] = (d < -SPAM_T ? -SPAM_T : d > SPAM_T ? SPAM_T : d) + SPAM_T;
        }
      joint.fill(0);
      cond.fill(0);
      const three = range(3);
      for (let y = three.y0; y < three.y1; y++)
        for (let x = three.x0, p = y * W + x; x < three.x1; x++, p++) {
          const c = diff[p] * K + diff[p + step];
          joint[c * K + diff[p + 2 * step]]++;
          cond[c]++;
        }
      const base = di < 4 ? 0 : CELLS;
      for (let i = 0; i < CELLS; i++) {
        const n = cond[Math.floor(i / K)];
        if (n > 0) out[base + i] += joint[i] / n / 4 / channels;
      }
    });
  }
  return Float32Array.from(out);
}
