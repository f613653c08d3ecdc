// Robustness of attribution to what happens to images after generation: JPEG and WebP
// re-compression, 0.75× and 0.5× resizes (these resample, on purpose: they destroy the pixel-grid
// traces) and a random crop (shifts the grid phase). Transformed copies of the query images are
// written to a temp folder.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createRandom } from '../engine/util/random.js';
import { relPathOf } from './methods.js';

export type TransformId =
  | 'jpeg95'
  | 'jpeg90'
  | 'jpeg85'
  | 'jpeg75'
  | 'jpeg65'
  | 'jpeg50'
  | 'jpeg90-444'
  | 'jpeg75-444'
  | 'webp90'
  | 'webp75'
  | 'webp50'
  | 'jpeg75png'
  | 'resize0.75'
  | 'resize0.5'
  | 'crop75';

export const TRANSFORMS: { id: TransformId; label: string }[] = [
  { id: 'jpeg95', label: 'JPEG q95' },
  { id: 'jpeg90', label: 'JPEG q90' },
  { id: 'jpeg85', label: 'JPEG q85' },
  { id: 'jpeg75', label: 'JPEG q75' },
  // q65 has no bank of its own (docs/robustness.md, "JPEG q85 and q65"): it measures how well the nearest, q75, serves.
  { id: 'jpeg65', label: 'JPEG q65' },
  { id: 'jpeg50', label: 'JPEG q50' },
  // Without chroma subsampling, as some image editors save at high quality settings.
  { id: 'jpeg90-444', label: 'JPEG q90 4:4:4' },
  { id: 'jpeg75-444', label: 'JPEG q75 4:4:4' },
  // WebP's quality is read from its quantisers (ingest/webp-quality.ts) and matched to the nearest WebP bank.
  { id: 'webp90', label: 'WebP q90' },
  { id: 'webp75', label: 'WebP q75' },
  { id: 'webp50', label: 'WebP q50' },
  // A JPEG later saved as PNG: matched to the JPEG's bank by the block traces its pixels keep.
  { id: 'jpeg75png', label: 'JPEG q75, then PNG' },
  { id: 'resize0.75', label: 'resize 0.75× (Lanczos)' },
  { id: 'resize0.5', label: 'resize 0.5× (Lanczos)' },
  { id: 'crop75', label: 'random crop 75 % side' },
];

/** Re-compressions that reference banks (engine/attribution/banks.ts) can be matched to. */
export function transformHasBank(t: TransformId): boolean {
  return t.startsWith('jpeg') || t.startsWith('webp');
}

/** Smallest side the engine accepts; a transform that would go below it skips the image. */
const MIN_SIDE = 28;

/**
 * Writes the transformed copy of each file below outRoot, keeping its relPath (extension changed
 * for JPEG). Returns original relPath → transformed absolute path, for the files that could be made.
 */
export async function transformFiles(root: string, files: string[], transform: TransformId, outRoot: string, seed: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const rand = createRandom(seed);
  for (const file of files) {
    const rel = relPathOf(root, file);
    const img = sharp(file);
    const meta = await img.metadata();
    const w = meta.width ?? 0;
    const h = meta.height ?? 0;
    let pipeline = sharp(file);
    let ext = path.extname(rel);
    if (transform === 'jpeg75png') {
      pipeline = sharp(await pipeline.jpeg({ quality: 75 }).toBuffer()).png();
      ext = '.png';
    } else if (transform.startsWith('jpeg')) {
      const [quality, chroma] = transform.slice(4).split('-');
      pipeline = pipeline.jpeg({ quality: Number(quality), chromaSubsampling: chroma === '444' ? '4:4:4' : '4:2:0' });
      ext = '.jpg';
    } else if (transform.startsWith('webp')) {
      pipeline = pipeline.webp({ quality: Number(transform.slice('webp'.length)) });
      ext = '.webp';
    } else if (transform.startsWith('resize')) {
      const factor = Number(transform.slice('resize'.length));
      const nw = Math.round(w * factor);
      const nh = Math.round(h * factor);
      if (Math.min(nw, nh) < MIN_SIDE) continue;
      pipeline = pipeline.resize(nw, nh, { kernel: 'lanczos3' }).png();
    } else {
      const cw = Math.round(w * 0.75);
      const ch = Math.round(h * 0.75);
      // Clamping to the minimum would make the crop a no-op on 28-px images: skip them instead.
      if (Math.min(cw, ch) < MIN_SIDE) continue;
      const left = Math.floor(rand() * (w - cw + 1));
      const top = Math.floor(rand() * (h - ch + 1));
      pipeline = pipeline.extract({ left, top, width: cw, height: ch }).png();
    }
    const dest = path.join(outRoot, rel.slice(0, rel.length - path.extname(rel).length) + ext);
    await mkdir(path.dirname(dest), { recursive: true });
    await pipeline.toFile(dest);
    out.set(rel, dest);
  }
  return out;
}
