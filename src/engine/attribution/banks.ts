// Reference banks: the library's reference images re-saved the way evidence usually arrives (JPEG
// from messaging apps, WebP from websites), so that re-compressed evidence is compared with
// references processed like it. Each bank keeps, per entry, the library classifier's evidence of
// every reference image after re-saving it (φ features and residual statistics) and the open-set
// calibration measured on those re-saved images; one classifier is fitted per bank, never one on
// the banks pooled (mixing JPEG copies into one classifier cost clean accuracy, docs/training.md).
//
// This module is pure (matching evidence to a bank, the entry view a bank's classifier is fitted
// on; the grid is src/shared/processing-grid.ts); bank-enrolment.ts computes the banks at enrolment.
import { describeChroma, parseJpegKey, parseWebpKey, type CompressionKey } from '../../shared/compression.js';
import type { LibraryEntry } from '../types.js';
import type { EarlierJpegFinding } from '../../shared/processing-history.js';
import { PROCESSING_GRID, PROCESSING_IDS, describeProcessing, type Processing } from '../../shared/processing-grid.js';

export type { ReferenceBank } from '../types.js';
// The grid itself (its processings, ids and words) is plain data in src/shared, so the app's
// Settings can offer the banks without importing the engine; the rules that use it stay here.
export { PROCESSING_GRID, PROCESSING_IDS, describeProcessing, type Processing };

/**
 * Version of how references are re-saved and measured for a bank: stored with every bank, so a
 * release that re-saves differently never mixes its banks with older ones.
 */
export const BANK_VERSION = 1;

/** Prefix of a bank classifier's view ('phi@jpeg-q75'); the clean classifier's view is 'phi'. */
export const BANK_VIEW_PREFIX = 'phi@';

export function bankView(id: string): string {
  return `${BANK_VIEW_PREFIX}${id}`;
}

export function processingById(id: string): Processing | undefined {
  return PROCESSING_GRID.find((p) => p.id === id);
}

/**
 * The processings an enrolment computes banks for: the whole grid (true or absent), none (false), or
 * the ids listed, in the grid's order. A lab that only receives some processings can enrol those
 * alone: each bank costs one more pass over the references and one more classifier per fit.
 */
export function selectProcessings(banks: boolean | readonly string[] | undefined): readonly Processing[] {
  if (banks === false) return [];
  if (banks === undefined || banks === true) return PROCESSING_GRID;
  const unknown = banks.filter((id) => !processingById(id));
  if (unknown.length > 0) throw new RangeError(`no reference bank ${unknown.map((id) => `"${id}"`).join(', ')} (the grid: ${PROCESSING_IDS.join(', ')})`);
  return PROCESSING_GRID.filter((p) => banks.includes(p.id));
}

/** The chroma suffix of compression keys (ingest/compression.ts) that a JPEG processing writes. */
const chromaSuffixOf = (p: Processing) => (p.chroma === '4:4:4' ? '444' : '');

/** The compression key a reference re-saved with `p` reads as (ingest/compression.ts); WebP's quality is not readable from the file. */
export function processingKey(p: Processing): CompressionKey {
  if (p.format === 'webp') return `webp-lossy-q${p.quality}`;
  const chroma = chromaSuffixOf(p);
  return `jpeg-q${p.quality}${chroma ? `-${chroma}` : ''}`;
}

/**
 * The bank of `available` that evidence saved as `compression` is matched to, or null (lossless
 * evidence, HEIF, JPEG with non-standard tables whose quality cannot be estimated, or no bank of
 * the kind): JPEG evidence to the JPEG bank of the same chroma subsampling and nearest quality
 * (ties to the higher quality), lossy WebP likewise to the nearest WebP bank, by the quality its
 * quantisers fit (ingest/webp-quality.ts), or 75, libwebp's default, where none fits. JPEG of a
 * subsampling no bank has (4:2:2 where the banks are 4:2:0 and 4:4:4) is not matched across
 * layouts: docs/robustness.md measured what that would give.
 * `colourless` (ImageInfo.colourless: grey content in a colour JPEG, whose subsampling changed
 * nothing) matches by quality alone, as a 4:2:0 file.
 */
export function matchBank(compression: CompressionKey | undefined, available: readonly string[], colourless = false): Processing | null {
  if (!compression) return null;
  const banks = PROCESSING_GRID.filter((p) => available.includes(p.id));
  const jpeg = parseJpegKey(compression);
  const webp = parseWebpKey(compression);
  let best: Processing | null = null;
  const closer = (p: Processing, q: number) =>
    !best || Math.abs(p.quality - q) < Math.abs(best.quality - q) || (Math.abs(p.quality - q) === Math.abs(best.quality - q) && p.quality > best.quality);
  if (jpeg) {
    const q = jpeg.quality;
    if (q === null) return null;
    const chroma = colourless && jpeg.chroma !== 'cmyk' ? '' : jpeg.chroma;
    for (const p of banks) if (p.format === 'jpeg' && chromaSuffixOf(p) === chroma && closer(p, q)) best = p;
  } else if (webp) {
    // Without an estimate (an encoder whose quantisers fit no libwebp quality), the WebP bank nearest
    // libwebp's default quality, 75.
    const q = webp.quality ?? 75;
    for (const p of banks) if (p.format === 'webp' && closer(p, q)) best = p;
  }
  return best;
}

/**
 * The compression a file is matched to a bank by: its own, or, for a losslessly saved file whose
 * pixels carry the block traces of an earlier JPEG (ingest/jpeg-history.ts) on the image's own 8×8
 * grid, that JPEG's estimated quality with 4:2:0 chroma assumed (sharp's and most encoders'
 * default; the pixels do not show it). A grid moved by a crop after the JPEG is not matched: the
 * bank's references are re-saved uncropped, so their blocks sit elsewhere.
 */
export function bankMatchKey(
  compression: CompressionKey | undefined,
  earlierJpeg?: Pick<EarlierJpegFinding, 'suspected' | 'quality' | 'gridOffset'>,
): { key: CompressionKey | undefined; assumed: boolean } {
  if (compression === 'lossless' && earlierJpeg?.suspected && earlierJpeg.quality !== null && earlierJpeg.gridOffset?.x === 0 && earlierJpeg.gridOffset.y === 0)
    return { key: `jpeg-q${earlierJpeg.quality}`, assumed: true };
  return { key: compression, assumed: false };
}

/**
 * Why JPEG evidence saved as `compression` matched none of `available`, where the reason is its
 * chroma subsampling; null otherwise.
 */
export function chromaMismatchReason(compression: CompressionKey | undefined, available: readonly string[]): string | null {
  const jpeg = compression ? parseJpegKey(compression) : undefined;
  if (!jpeg || jpeg.quality === null) return null;
  const banks = PROCESSING_GRID.filter((p) => p.format === 'jpeg' && available.includes(p.id));
  if (banks.length === 0 || banks.some((p) => chromaSuffixOf(p) === jpeg.chroma)) return null;
  const layouts = [...new Set(banks.map((p) => p.chroma ?? '4:2:0'))].join(', ');
  const saved =
    jpeg.chroma === 'cmyk'
      ? 'the evidence is a CMYK JPEG'
      : jpeg.chroma === 'other'
        ? 'the evidence was saved with an unusual chroma subsampling'
        : `the evidence was saved with ${describeChroma(jpeg.chroma) || '4:2:0'} chroma subsampling`;
  const reason = `${saved} and the library's JPEG reference banks with ${layouts}; references of another subsampling are not matched to it`;
  // A library enrolled before the grid had a bank of this subsampling gets it by enrolling again.
  const missing = PROCESSING_GRID.find((p) => p.format === 'jpeg' && chromaSuffixOf(p) === jpeg.chroma && !available.includes(p.id));
  return missing
    ? `${reason} (this version of Genprint computes a ${describeProcessing(missing)} bank at enrolment: enrol the entries again to add it)`
    : reason;
}

/** Bank ids every entry has, with features of `modelHash`, in grid order. */
export function commonBanks(entries: LibraryEntry[], modelHash: string | null): string[] {
  if (entries.length === 0 || modelHash === null) return [];
  return PROCESSING_GRID.map((p) => p.id).filter((id) => entries.every((e) => e.banks?.some((b) => b.id === id && b.modelHash === modelHash)));
}

/**
 * The entries as a bank's classifier and open-set tests see them: the re-saved references'
 * features, residual statistics and calibration in place of the clean ones, and the references'
 * compression recorded as the bank's, so the verdict's compression check compares the evidence with
 * what the references were matched to. Fingerprints and bag embeddings stay the clean ones.
 */
export function entriesForBank(entries: LibraryEntry[], id: string): LibraryEntry[] {
  const p = processingById(id);
  if (!p) throw new RangeError(`no processing "${id}" in the grid`);
  return entries.map((e) => {
    const b = e.banks?.find((x) => x.id === id);
    if (!b) throw new RangeError(`entry "${e.name}" has no bank "${id}"`);
    return {
      ...e,
      modelVersion: b.modelHash,
      calibration: b.calibration,
      imageFeatures: { dim: b.features.dim, sha256: b.sha256, data: b.features.data },
      residualStatistics: b.statistics ? { dim: b.statistics.dim, sha256: b.sha256, data: b.statistics.data } : undefined,
      provenance: { ...e.provenance, compression: { [processingKey(p)]: b.sha256.length } },
    };
  });
}
