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
 * - WebP q90: lossy WebP is matched by the quality its quantisers fit (ingest/webp-quality.ts).
 *   WebP q90 evidence through the q75 WebP bank scored 0.19 on the demo zoo, 0.97 with its own, and
 *   no domain lost with it. A WebP q50 bank was measured too and left out: it lost to the q75 bank
 *   on t2i (0.60 against 1.00) and mnist28 (0.56 against 0.81).
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
  { id: 'webp-q90', format: 'webp', quality: 90 },
];

/** The ids of the grid, in its order: what `enrol --banks` and the app's Settings accept. */
export const PROCESSING_IDS: readonly string[] = PROCESSING_GRID.map((p) => p.id);

/** Words for a processing: "JPEG q75", "lossy WebP q75" (and the chroma where not the default 4:2:0). */
export function describeProcessing(p: Processing): string {
  if (p.format === 'webp') return `lossy WebP q${p.quality}`;
  return `JPEG q${p.quality}${p.chroma && p.chroma !== '4:2:0' ? ` ${p.chroma}` : ''}`;
}

/**
 * Words for bank ids, in the order given: "JPEG q75, lossy WebP q75". An id the grid does not have
 * (a library from a later release) is named by its id.
 */
export function describeBankIds(ids: readonly string[]): string {
  return ids
    .map((id) => {
      const p = PROCESSING_GRID.find((q) => q.id === id);
      return p ? describeProcessing(p) : id;
    })
    .join(', ');
}

/**
 * The banks attribution could use before an entry was enrolled and can no longer use after it
 * (attribution uses only the banks every entry has): those the new entry was enrolled without.
 */
export function banksLost(shared: { before: readonly string[]; after: readonly string[] }): string[] {
  return shared.before.filter((id) => !shared.after.includes(id));
}

/** "the JPEG q75 bank", "the JPEG q90 and lossy WebP q75 banks". */
function banksPhrase(ids: readonly string[]): string {
  const words = ids.map((id) => describeBankIds([id]));
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : words[0];
  return `the ${list} bank${words.length > 1 ? 's' : ''}`;
}

/**
 * What an enrolment did to the banks attribution can use (it uses only the banks every entry has),
 * where the new entry's banks are not exactly those: the banks the entry made unusable and what to
 * do about them, and its own banks that wait for the other entries. Empty where nothing changed.
 */
export function sharedBanksText(outcome: { banks: readonly string[]; sharedBanks?: { before: readonly string[]; after: readonly string[] } }): string {
  if (!outcome.sharedBanks) return '';
  const { after } = outcome.sharedBanks;
  const lost = banksLost(outcome.sharedBanks);
  const waiting = outcome.banks.filter((id) => !after.includes(id));
  const sentences: string[] = [];
  if (lost.length > 0) {
    const them = lost.length > 1 ? 'them' : 'it';
    sentences.push(
      `Attribution can no longer use ${banksPhrase(lost)}: it uses only the banks every entry has, and this entry was enrolled without ${them}.`,
      `To use ${them}, enrol this entry again with ${them} (Settings → Reference banks at enrolment); if ${them === 'it' ? 'it is' : 'they are'} not needed, ` +
        `enrol the other entries again without ${them}, so that every entry has the same banks.`,
    );
  }
  if (waiting.length > 0)
    sentences.push(
      `This entry's ${banksPhrase(waiting).slice('the '.length)} ${waiting.length > 1 ? 'are' : 'is'} used only once every other entry has ${waiting.length > 1 ? 'them' : 'it'} too.`,
    );
  sentences.push(`Banks attribution can use now: ${after.length > 0 ? describeBankIds(after) : 'none'}.`);
  return sentences.join(' ');
}
