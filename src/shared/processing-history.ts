// Words and shapes for what the pixels say about an image's processing history beyond the file's own
// encoding (src/shared/compression.ts): resampling (src/engine/ingest/resampling.ts) and an earlier
// JPEG compression of a file saved losslessly (src/engine/ingest/jpeg-history.ts). Shared by the
// engine (verdicts, PDF) and the renderer.
import { count } from './numbers.js';
import { displayProse } from './display-text.js';

/** Resampling analysis of one image (EvidenceFile.resampling). */
export interface ResamplingFinding {
  /** false: the image is too small to analyse (under 64 px a side); nothing else is then meaningful. */
  measured: boolean;
  detected: boolean;
  /** Peak-to-background ratio of the interpolation peak (geometric mean over both axes); null when not measured. */
  score: number | null;
  /** The score at and above which an image counts as resampled. */
  threshold: number;
  /** Period of the interpolation trace in pixels, when detected. */
  period: number | null;
  /** The most likely resize factor (new size / old size), when detected. */
  factor: number | null;
  /** Every factor that fits the period, most likely first (a reduction and an enlargement fit the same period). */
  factors: number[];
}

/** Earlier-JPEG analysis of one file that is saved losslessly now (EvidenceFile.earlierJpeg). */
export interface EarlierJpegFinding {
  /** false: too small to analyse (under 64 px a side). */
  measured: boolean;
  suspected: boolean;
  /**
   * How many times closer the 8×8 DCT coefficients sit to the best-fitting quality's quantisation
   * steps than uniform rounding would leave them (≈ 1 for an image never JPEG-compressed); null when not measured.
   */
  score: number | null;
  threshold: number;
  /** The libjpeg quality whose luminance table best fits the 8×8 DCT coefficients, when suspected and estimable. */
  quality: number | null;
  /** Where the 8×8 grid starts (pixels from the left and top edge, 0–7); not 0 after a crop. */
  gridOffset: { x: number; y: number } | null;
}

/** The processing traces of one verdict's images (Verdict.processingHistory). */
export interface ProcessingHistoryCheck {
  /** Images of the verdict. */
  total: number;
  /** Images large enough for the resampling analysis. */
  resamplingMeasured: number;
  resampled: number;
  /** Estimated factors of the resampled images, formatted ("1.5×"), with counts. */
  factors: Record<string, number>;
  /** Losslessly saved images analysed for an earlier JPEG compression. */
  jpegMeasured: number;
  earlierJpeg: number;
  /** Estimated qualities of those images ("q75", "unknown"), with counts. */
  qualities: Record<string, number>;
}

export function formatFactor(f: number): string {
  return `${Math.round(f * 100) / 100}×`;
}

/** "1.5× or 0.75×" */
export function describeFactors(factors: number[]): string {
  return factors.length ? factors.slice(0, 2).map(formatFactor).join(' or ') : 'unknown factor';
}

/** One line for a manifest entry: "resampled (period 3 px; 1.5× or 0.75×; score 40 ≥ 12)", or null when nothing was found. */
export function resamplingLine(r: ResamplingFinding | undefined): string | null {
  if (!r?.detected) return null;
  return `resampling suspected (period ${r.period} px, consistent with resizing by ${describeFactors(r.factors)}; score ${r.score} ≥ ${r.threshold})`;
}

/** "earlier JPEG compression suspected (estimated quality 75; grid offset 3, 0)", or null. */
export function earlierJpegLine(j: EarlierJpegFinding | undefined): string | null {
  if (!j?.suspected) return null;
  const q = j.quality === null ? 'quality not estimable' : `estimated quality ${j.quality}`;
  const off = j.gridOffset && (j.gridOffset.x || j.gridOffset.y) ? `; 8×8 grid offset ${j.gridOffset.x}, ${j.gridOffset.y} px, so it was cropped after` : '';
  return `earlier JPEG compression suspected (${q}${off}; quantisation fit ${j.score} ≥ ${j.threshold})`;
}

function counts(c: Record<string, number>): string {
  return (
    Object.entries(c)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      // Keys come from a case file, which may not be this engine's: shown escaped.
      .map(([k, n]) => `${displayProse(k)} (${n})`)
      .join(', ')
  );
}

/** More than half of the analysed images flagged: the verdict is worded weak. */
export function processingIsMajor(flagged: number, total: number): boolean {
  return flagged > 0 && flagged * 2 > total;
}

/** A caution clause when some of the verdict's images look resized, or null. */
export function resamplingCaveat(c: ProcessingHistoryCheck | undefined): string | null {
  if (!c || c.resampled === 0) return null;
  return (
    `${c.resampled} of ${c.total} evidence image${c.total === 1 ? '' : 's'} show${c.resampled === 1 ? 's' : ''} traces of resizing after generation ` +
    `(estimated ${counts(c.factors)}); resizing rewrites the pixel-grid traces this attribution reads, and Genprint's accuracy on resized evidence is not measured`
  );
}

/**
 * A caution clause when some losslessly saved images were JPEG-compressed before, or null.
 * `matched`: the verdict compared them with references re-saved as that JPEG (a reference bank).
 */
export function earlierJpegCaveat(c: ProcessingHistoryCheck | undefined, matched = false): string | null {
  if (!c || c.earlierJpeg === 0) return null;
  return (
    `${c.earlierJpeg} of ${c.total} evidence image${c.total === 1 ? '' : 's'} saved losslessly show${c.earlierJpeg === 1 ? 's' : ''} the 8×8 block traces of an earlier ` +
    `JPEG compression (${counts(c.qualities)}); ` +
    (matched
      ? 'they were compared with references re-saved as that JPEG, its chroma subsampling assumed 4:2:0'
      : 'the compression check reads only how a file is saved now') +
    ', and re-compression weakens the traces this attribution reads'
  );
}

/** One line for a verdict's facts. */
export function processingHistorySummary(c: ProcessingHistoryCheck | undefined): string {
  if (!c) return 'not recorded';
  const res =
    c.resamplingMeasured === 0
      ? 'resampling not measurable (images under 64 px)'
      : c.resampled
        ? `${c.resampled} of ${count(c.resamplingMeasured, 'image')} look resized (${counts(c.factors)})`
        : `no resizing detected in ${count(c.resamplingMeasured, 'image')}`;
  const jpg =
    c.jpegMeasured === 0
      ? 'no losslessly saved image to test for an earlier JPEG'
      : c.earlierJpeg
        ? `${c.earlierJpeg} of ${c.jpegMeasured} losslessly saved show an earlier JPEG compression (${counts(c.qualities)})`
        : `no earlier JPEG compression detected in ${c.jpegMeasured} losslessly saved`;
  return `${res}; ${jpg}`;
}
