// Words for the held-back error rate behind a classifier verdict, shared by the engine (statements,
// PDF, CLI) and the renderer; part of the wording layer (wording.ts decides what an error-prone
// verdict is worded). The estimate itself is src/engine/classifier/held-back-error.ts.
import { displayText as name } from './display-text.js';
import { formatRate as pct } from './numbers.js';

/**
 * How often the library classifier errs when it names the chosen entry for a set of this size,
 * estimated on held-back (out-of-fold) reference images: sets drawn from every entry's held-back
 * images, each judged by models that never saw its images.
 */
export interface HeldBackErrorRate {
  /** The chosen entry. */
  entry: string;
  /** Images per drawn set: the evidence count, capped per entry by its held-back images. */
  n: number;
  /** Sets drawn per entry (one, of all its images, for an entry with no more than n held-back images). */
  setsPerEntry: number;
  /** The fewest held-back images of any entry: sets of entries with fewer than n images are capped there. */
  fewestImages: number;
  /** Share of the chosen entry's own held-back sets that the classifier attributes to it. */
  recall: number;
  /**
   * Share of the held-back sets attributed to the chosen entry that came from another entry, each
   * entry weighted equally: the estimated error rate of this verdict. 1 when no held-back set at
   * all was attributed to the chosen entry.
   */
  errorRate: number;
  /** The other entry whose held-back sets are most often attributed to the chosen one, and how often. */
  mostConfused: { entry: string; rate: number } | null;
  /** Error rates at or above this make the verdict weak. */
  limit: number;
}

/** "C (12.0 % of its sets)": the entry whose held-back sets go to this one most often; null when none do. */
export function mostConfusedText(e: Pick<HeldBackErrorRate, 'mostConfused'>): string | null {
  return e.mostConfused && e.mostConfused.rate > 0 ? `${name(e.mostConfused.entry)} (${pct(e.mostConfused.rate)} of its sets)` : null;
}

function sets(e: HeldBackErrorRate): string {
  return e.fewestImages < e.n
    ? `sets of ${e.n} images (or all of an entry's held-back images where it has fewer, down to ${e.fewestImages})`
    : `sets of ${e.n} image${e.n === 1 ? '' : 's'}`;
}

/** No held-back set at all went to the entry, not even one of its own: the rate of 1 is by definition. */
const neverChosen = (e: HeldBackErrorRate) => e.recall === 0 && (e.mostConfused?.rate ?? 0) === 0;

/** e.g. "4 % of held-back reference sets of 10 images attributed to A came from other entries (…)". */
export function describeHeldBackError(e: HeldBackErrorRate): string {
  if (neverChosen(e))
    return `none of the held-back reference ${sets(e)} was attributed to ${name(e.entry)}, not even its own (${e.setsPerEntry} draw${e.setsPerEntry === 1 ? '' : 's'} per entry)`;
  const confused =
    e.mostConfused && e.mostConfused.rate > 0
      ? `; most often from ${name(e.mostConfused.entry)}, whose sets go to ${name(e.entry)} in ${pct(e.mostConfused.rate)} of draws`
      : '';
  return (
    `${pct(e.errorRate)} of held-back reference ${sets(e)} attributed to ${name(e.entry)} came from other entries` +
    ` (${e.setsPerEntry} draw${e.setsPerEntry === 1 ? '' : 's'} per entry, entries weighted equally${confused}); ${pct(e.recall)} of ${name(e.entry)}'s own held-back sets are attributed to it`
  );
}

export const heldBackErrorTooHigh = (e: HeldBackErrorRate | undefined): boolean => e !== undefined && e.errorRate >= e.limit;

/** The caveat when the estimated error rate reaches the limit, else null. */
export function heldBackErrorCaveat(e: HeldBackErrorRate | undefined, chosen: string | null): string | null {
  if (!e || chosen === null || !heldBackErrorTooHigh(e)) return null;
  if (neverChosen(e))
    return `on the library's own held-back reference images, none of the ${sets(e)} was attributed to ${name(chosen)}, not even its own, so the library has no track record for a verdict on it; more reference images of it would sharpen the library`;
  const from = e.mostConfused && e.mostConfused.rate > 0 ? ` (mostly ${name(e.mostConfused.entry)}'s)` : '';
  return (
    `on the library's own held-back reference images, ${pct(e.errorRate)} of ${sets(e)} attributed to ${name(chosen)} came from other entries${from}, ` +
    `at or above the ${Math.round(100 * e.limit)} % this wording accepts; more reference images of these entries would sharpen the library`
  );
}

/** The library's entries at or above the limit, e.g. "B 12.0 % (mostly C's sets)"; every entry's rate when `all`. */
export function summariseLibraryErrorRates(rates: HeldBackErrorRate[], all = false): string {
  const shown = all ? rates : rates.filter(heldBackErrorTooHigh);
  const n = rates[0]?.n ?? 0;
  const capped = rates[0] && rates[0].fewestImages < n ? ` (capped at each entry's held-back images, fewest ${rates[0].fewestImages})` : '';
  const head = `held-back reference sets of ${n} image${n === 1 ? '' : 's'}${capped}`;
  if (shown.length === 0) return `every entry below ${Math.round(100 * (rates[0]?.limit ?? 0.1))} % on ${head}`;
  const one = (e: HeldBackErrorRate) =>
    `${name(e.entry)} ${pct(e.errorRate)}${e.mostConfused && e.mostConfused.rate > 0 && e.errorRate > 0 ? ` (mostly ${name(e.mostConfused.entry)}'s sets)` : ''}`;
  const rest = !all && shown.length < rates.length ? `; the other entries below ${Math.round(100 * rates[0].limit)} %` : '';
  return `${shown.map(one).join(', ')} on ${head}${rest}`;
}

/**
 * Where sets reach an entry's held-back images (at most 64 per entry), that entry contributes one
 * set of all of them: the figure then rests on one set per entry and is rough. Null when no entry is capped.
 */
export function cappingNote(e: Pick<HeldBackErrorRate, 'n' | 'fewestImages'>): string | null {
  if (e.fewestImages >= e.n) return null;
  return (
    `sets of ${e.n} images are more than some entries have held back (the fewest: ${e.fewestImages}); such an entry contributes one set of all its held-back images, ` +
    'so the figure rests on one set per entry and is rough (larger sets are usually attributed more reliably than smaller ones)'
  );
}

/** Of rates estimated at several sizes, the index of the largest size no entry is capped at (else 0): where "most often confused with" is read. */
export function confusionSizeIndex(rates: Pick<HeldBackErrorRate, 'n' | 'fewestImages'>[][]): number {
  let best = 0;
  rates.forEach((row, i) => {
    if (row[0] && row[0].fewestImages >= row[0].n) best = i;
  });
  return best;
}
