// Words and rules for compression histories, shared by the engine (verdicts, PDF) and the renderer.
// The keys come from src/engine/ingest/compression.ts, which reads them from the files' bytes.
import { displayText } from './display-text.js';

/**
 * Compact, stable key (stored in library provenance and case reports): 'lossless', 'jpeg-q<1-100>',
 * 'jpeg' (tables not from the standard quality scaling), 'webp-lossy-q<1-100>' (the quality its
 * quantisers fit, libwebp's defaults assumed), 'webp-lossy' (no quality fits), 'webp-lossless', 'heif'.
 * A JPEG key ends in its chroma subsampling where that is not 4:2:0 or greyscale: 'jpeg-q90-444',
 * 'jpeg-422', and '-440', '-411', '-cmyk', '-other' (ingest/compression.ts, chromaSuffix).
 */
export type CompressionKey = string;

/**
 * JPEG qualities at most this far apart count as the same history: nearby qualities quantise
 * almost alike. A convention, not a measured boundary (the evaluation tests q90, q75 and q50).
 */
export const JPEG_QUALITY_TOLERANCE = 5;

const JPEG_KEY = /^jpeg(?:-q(\d+))?(?:-(444|422|440|411|cmyk|other))?$/;

/** A JPEG key's parts: quality (null: non-standard tables) and chroma suffix ('' = 4:2:0 or grey); undefined for other keys. */
export function parseJpegKey(key: CompressionKey): { quality: number | null; chroma: string } | undefined {
  const m = JPEG_KEY.exec(key);
  return m ? { quality: m[1] === undefined ? null : Number(m[1]), chroma: m[2] ?? '' } : undefined;
}

/** Words for a chroma suffix: "4:4:4"; '' (4:2:0, or greyscale) has none. */
export function describeChroma(chroma: string): string {
  return (
    ({ '444': '4:4:4', '422': '4:2:2', '440': '4:4:0', '411': '4:1:1', cmyk: 'CMYK', other: 'unusual chroma subsampling' } as Record<string, string>)[chroma] ??
    ''
  );
}

const WEBP_LOSSY_KEY = /^webp-lossy(?:-q(\d+))?$/;

/** A lossy WebP key's quality (null: none estimated); undefined for other keys. */
export function parseWebpKey(key: CompressionKey): { quality: number | null } | undefined {
  const m = WEBP_LOSSY_KEY.exec(key);
  return m ? { quality: m[1] === undefined ? null : Number(m[1]) } : undefined;
}

/**
 * Whether two files' compression histories are alike enough to compare their traces: JPEG of the
 * same chroma subsampling, or lossy WebP, at qualities within JPEG_QUALITY_TOLERANCE; otherwise the
 * same key. A lossy WebP whose quality was not estimated is alike only to another such file.
 */
export function sameCompression(a: CompressionKey, b: CompressionKey): boolean {
  const wa = parseWebpKey(a);
  const wb = parseWebpKey(b);
  if (wa && wb) return wa.quality === null || wb.quality === null ? wa.quality === wb.quality : Math.abs(wa.quality - wb.quality) <= JPEG_QUALITY_TOLERANCE;
  const ja = parseJpegKey(a);
  const jb = parseJpegKey(b);
  if (!ja || !jb) return a === b;
  if (ja.chroma !== jb.chroma) return false;
  if (ja.quality === null || jb.quality === null) return ja.quality === jb.quality;
  return Math.abs(ja.quality - jb.quality) <= JPEG_QUALITY_TOLERANCE;
}

/** Words for a key: "JPEG q90", "JPEG q90 4:4:4", "lossless", "lossy WebP". */
export function describeCompression(key: CompressionKey): string {
  const j = parseJpegKey(key);
  if (j) {
    const chroma = j.chroma ? ` ${describeChroma(j.chroma)}` : '';
    return j.quality === null ? `JPEG${chroma} (non-standard tables)` : `JPEG q${j.quality}${chroma}`;
  }
  const webp = parseWebpKey(key);
  if (webp?.quality != null) return `lossy WebP q${webp.quality}`;
  return ({ lossless: 'lossless', 'webp-lossy': 'lossy WebP', 'webp-lossless': 'lossless WebP', heif: 'HEIF/AVIF' } as Record<string, string>)[key] ?? key;
}

/** "JPEG q75 (12), lossless (3)": the counts of a histogram of keys, largest first. */
export function describeCompressionCounts(counts: Record<CompressionKey, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${describeCompression(k)} (${n})`)
    .join(', ');
}

/** The evidence's compression against one library entry's reference images. */
export interface CompressionCheck {
  entry: string;
  evidence: Record<CompressionKey, number>;
  /** null: the entry was enrolled before reference compression was recorded. */
  references: Record<CompressionKey, number> | null;
  /** Evidence images whose compression some reference image shares (null when references are unknown). */
  matched: number | null;
  total: number;
}

/** A sentence for a verdict whose evidence was saved differently from the entry's references, or null. */
export function compressionCaveat(c: CompressionCheck | undefined): string | null {
  if (!c || c.matched === null || c.matched === c.total) return null;
  const unmatched = c.total - c.matched;
  return (
    `${unmatched} of ${c.total} evidence image${c.total === 1 ? ' was' : 's were'} saved with a compression that none of ` +
    `${displayText(c.entry)}'s reference images has (evidence: ${describeCompressionCounts(c.evidence)}; references: ` +
    `${describeCompressionCounts(c.references!)}); re-compression changes the traces this attribution reads, and Genprint's measured ` +
    `accuracy on re-compressed evidence is much lower`
  );
}

/** More than half of the evidence saved differently from the references: the attribution is weak. */
export function compressionMismatchIsMajor(c: CompressionCheck | undefined): boolean {
  return !!c && c.matched !== null && c.matched * 2 < c.total;
}

/** One line for a verdict's facts: what the evidence and the entry's references were saved as. */
export function compressionSummary(c: CompressionCheck | undefined): string {
  if (!c) return 'not recorded';
  const refs = c.references ? describeCompressionCounts(c.references) : 'not recorded (entry enrolled before Genprint recorded it)';
  const verdict = c.matched === null ? '' : c.matched === c.total ? ' — alike' : ` — ${c.total - c.matched} of ${c.total} evidence images differ`;
  return `evidence ${describeCompressionCounts(c.evidence)}; ${displayText(c.entry)}'s references ${refs}${verdict}`;
}

/**
 * Which references a classifier verdict compared the evidence with. Re-compressed evidence is
 * matched to a reference bank: the library's references re-saved the same way, with a classifier,
 * error rates and open-set calibration of their own (engine/attribution/banks.ts). Set on verdicts
 * whose evidence is lossy; absent for lossless evidence, which is compared with the references as
 * enrolled.
 */
export interface ReferenceMatch {
  /** Bank id ('jpeg-q75'), or null: the references as enrolled. */
  bank: string | null;
  /** Words for the bank's processing ('JPEG q75'), or null. */
  processing: string | null;
  /** The evidence's compression keys, counted. */
  evidence: Record<CompressionKey, number>;
  /** Why no bank was used, where none was. */
  reason?: string;
  /**
   * Images saved losslessly whose JPEG key in `evidence` was read from the block traces of an
   * earlier JPEG (4:2:0 chroma assumed), where any were.
   */
  assumed?: number;
}

/** "references matched to JPEG q75 (evidence estimated JPEG q74)", or why the references as enrolled were used. */
export function referenceMatchText(m: ReferenceMatch): string {
  const evidence = describeCompressionCounts(m.evidence);
  if (m.bank) {
    const unestimated = Object.keys(m.evidence).every((k) => k === 'webp-lossy');
    const webp = Object.keys(m.evidence).some((k) => parseWebpKey(k)?.quality != null);
    const assumed = m.assumed ? `; ${m.assumed} saved losslessly, read from the traces of an earlier JPEG, 4:2:0 assumed` : '';
    const how = unestimated
      ? `${evidence}, quality not estimated: its quantisers fit no libwebp default setting`
      : `estimated ${evidence}${webp ? ", WebP quality from its quantisers with libwebp's default settings assumed" : ''}`;
    return `references matched to ${m.processing} (evidence ${how}${assumed})`;
  }
  return `references as enrolled (evidence ${evidence}${m.reason ? `: ${m.reason}` : ''})`;
}
