// The processings reference banks are computed for (src/engine/attribution/banks.ts): the grid's
// ids and their words, as plain data. It lives here, not in the engine, so that the app's Settings
// can offer and validate the banks new entries are enrolled with (src/shared imports no layer); the
// engine's banks.ts re-exports it beside the rules that use it (matching evidence to a bank).

/** One way of re-saving an image, with sharp (libvips). */
export interface Processing {
  /** Stable id, stored in the library and quoted in verdicts: 'jpeg-q75'. */
  id: string;
  format: 'jpeg' | 'webp';
  quality: number;
  /** JPEG chroma subsampling ('4:2:0' is sharp's default). */
  chroma?: '4:2:0' | '4:4:4';
}

/**
 * The grid of processings computed at enrolment, in the order they are computed. One constant, so
 * more (other WebP qualities, 4:2:2 chroma) can be added: each costs about one more pass over the
 * references at enrolment (docs/performance.md) and one more classifier per change. New banks come
 * last so that the first four stay the grid older libraries and benchmarks were enrolled with.
 * Each was added on a measurement (docs/robustness.md) on the held-out evaluation:
 * - JPEG q90 4:4:4: a 4:2:0 bank does not carry over to evidence saved without subsampling (q90
 *   4:4:4 evidence at ten images: 0.16 against the 4:2:0 q90 bank on the demo zoo, chance 0.14;
 *   0.94 against a 4:4:4 one). A 4:4:4 q75 bank was measured too and left out: it lost to this one
 *   on t2i's q75 4:4:4 evidence.
 * - JPEG q95: q95 evidence matched to the q90 bank scored 0.29 on the demo zoo (0.96 with its own
 *   bank), and below the clean references on fmnist28 (0.86 against 0.99; 1.00 with its own bank).
 * - JPEG q85: matched to the q90 bank it scored 0.28 on the demo zoo, 0.77 with its own bank, and no
 *   domain lost with it. A q65 bank was measured too and left out: it lost to the q75 bank on t2i
 *   (0.75 against 0.95), so q65 evidence stays with q75.
 */
export const PROCESSING_GRID: readonly Processing[] = [
  { id: 'jpeg-q90', format: 'jpeg', quality: 90, chroma: '4:2:0' },
  { id: 'jpeg-q75', format: 'jpeg', quality: 75, chroma: '4:2:0' },
  { id: 'jpeg-q50', format: 'jpeg', quality: 50, chroma: '4:2:0' },
  { id: 'webp-q75', format: 'webp', quality: 75 },
  // Without chroma subsampling, as some image editors save at high quality settings.
  { id: 'jpeg-q90-444', format: 'jpeg', quality: 90, chroma: '4:4:4' },
  { id: 'jpeg-q95', format: 'jpeg', quality: 95, chroma: '4:2:0' },
  { id: 'jpeg-q85', format: 'jpeg', quality: 85, chroma: '4:2:0' },
];

/** The ids of the grid, in its order: what `enrol --banks` accepts. */
export const PROCESSING_IDS: readonly string[] = PROCESSING_GRID.map((p) => p.id);

/** Words for a processing: "JPEG q75", "lossy WebP q75" (and the chroma where not the default 4:2:0). */
export function describeProcessing(p: Processing): string {
  if (p.format === 'webp') return `lossy WebP q${p.quality}`;
  return `JPEG q${p.quality}${p.chroma && p.chroma !== '4:2:0' ? ` ${p.chroma}` : ''}`;
}
