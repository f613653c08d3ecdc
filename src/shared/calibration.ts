// Words for the library's calibrated decisions, shared by the engine (statements, PDF, CLI) and the
// renderer; part of the wording layer (wording.ts decides what each fact does to a verdict's
// strength). The calibration itself is src/engine/attribution/calibration.ts: the "unknown
// generator" threshold set for a stated false-unknown rate, the rate at which a generator missing
// from the library is caught at that setting, the neighbour check, and the split test behind
// "mixed folder" with its stated false-split rate.
import { displayText as name } from './display-text.js';
import { count, formatRate as pct } from './numbers.js';

/** The calibration settings: how often the decisions may be wrong on the library's own held-back reference sets. */
export interface CalibrationSettings {
  /** Share of an enrolled generator's sets the unknown test may call unknown (default 0.05). */
  falseUnknownRate: number;
  /** Share of single-source sets the split test may call mixed (default 0.01). */
  falseSplitRate: number;
}

/** The rates a settings value may take: from 1 in 1,000 to one half. */
export const CALIBRATION_RATE_RANGE: readonly [number, number] = [0.001, 0.5];

/**
 * How "unknown generator" was decided for a verdict whose library is calibrated: the two open-set
 * tests (feature novelty, fingerprint correlation) reject at thresholds set so that held-back
 * reference sets of this size from enrolled generators are called unknown at most this often.
 */
export interface OpenSetCalibration {
  /** The false-unknown rate the thresholds were set for (each test at half of it). */
  falseUnknownRate: number;
  /**
   * Estimated share of sets from a generator missing from the library that are called unknown at
   * this setting: each entry left out in turn, its held-back sets judged against the others
   * (entries weighted equally). Null where the library has fewer than 3 entries.
   */
  detectionRate: number | null;
  /** Set size the rates are for (the evidence's image count). */
  n: number;
  /** Entries the detection rate was estimated from (each left out in turn). */
  leftOut: number;
  /**
   * A named verdict is worded weak when the detection rate is below this: at this setting the
   * library would name too many generators it does not hold (1 in 10 or more, as the error rate's limit).
   */
  detectionLimit: number;
  /** Held-back sets drawn per entry and size. */
  setsPerEntry: number;
  /**
   * For a named verdict: the entry that, left out of the library, has the largest share of its
   * held-back sets of `n` images (the grid size at or below the evidence's) named as the verdict's
   * entry without being called unknown, and that share. At `limit` or more the verdict is worded
   * weak: a generator like it that is not enrolled would be named this entry.
   */
  absorbs?: { entry: string; rate: number; n: number; limit: number };
}

/**
 * Whether the evidence is closer to the chosen entry's neighbour than the entry's own references
 * are: the mean per-image log-odds of the chosen entry over the runner-up, against the same on the
 * chosen entry's held-back reference images.
 */
export interface NeighbourCheck {
  /** The runner-up entry. */
  neighbour: string;
  n: number;
  /** Mean over the evidence's images of log p(chosen | image) − log p(neighbour | image). */
  evidenceLogOdds: number;
  /** The same, averaged over the chosen entry's held-back reference images. */
  referenceLogOdds: number;
  /** The level a share `level` of the chosen entry's held-back sets of n images fall below. */
  limit: number;
  level: number;
  /** True when the evidence's log-odds are below the limit. */
  closer: boolean;
}

/**
 * The split test behind "mixed folder": the mixture of the groups found against the best single
 * entry, calibrated on single-entry held-back sets of the folder's size.
 */
export interface SplitTest {
  /** The groups the mixture found: images and the entry each leans to. */
  groups: { images: number; entry: string }[];
  /** 2 × (log-likelihood of the groups' mixture − that of the best single entry), summed over the images. */
  statistic: number;
  /**
   * The statistic single-source held-back sets of n images exceed in at most `falseSplitRate` of
   * draws; null where the library keeps no held-back data (the split is then not tested).
   */
  threshold: number | null;
  falseSplitRate: number;
  n: number;
  /** statistic > threshold (false when untested). */
  significant: boolean;
  /** Whether the folder is reported as mixed (significant, or untested, and at least two groups named). */
  reported: boolean;
}

/** e.g. "an enrolled generator's sets of 10 images are called unknown in at most 5.0 % … caught in 87.0 %". */
export function describeOpenSetCalibration(c: OpenSetCalibration): string {
  const sets = `sets of ${count(c.n, 'image')}`;
  const caught =
    c.detectionRate === null
      ? 'the rate at which a missing generator is caught was not estimated (it needs at least 3 entries)'
      : `leaving each of the ${c.leftOut} entries out in turn, ${pct(c.detectionRate)} of its held-back ${sets} were called unknown`;
  // The rate holds for held-back reference sets, which resemble one another more than evidence
  // saved or chosen differently does: the evaluation observed far more on fine-grained domains
  // (docs/results.md), so the line must not read as the evidence's own false-unknown rate.
  return (
    `thresholds set so that at most ${pct(c.falseUnknownRate)} of enrolled generators' held-back reference ${sets} are called unknown; ${caught}; ` +
    'evidence processed or chosen differently from the references is called unknown more often than the first rate'
  );
}

/** The clause a named verdict's statement ends with: how often a generator the library lacks would still be named. */
export function missedGeneratorClause(c: OpenSetCalibration | undefined): string {
  if (!c || c.detectionRate === null) return 'This does not exclude generators that are not in the library.';
  return (
    `This does not exclude generators that are not in the library: at this library's setting, about ${pct(1 - c.detectionRate)} ` +
    `of sets of ${count(c.n, 'image')} from a generator it lacks are still named (estimated by leaving each entry out in turn).`
  );
}

/** The caveat when the library catches too few missing generators at this setting for a firm verdict, else null. */
export function detectionCaveat(c: OpenSetCalibration | undefined, chosen: string | null): string | null {
  if (!c || chosen === null || c.detectionRate === null || c.detectionRate >= c.detectionLimit) return null;
  return (
    `at this library's setting only ${pct(c.detectionRate)} of the held-back sets of ${count(c.n, 'image')} of a generator left out of the library were called unknown, ` +
    `so a generator that is not enrolled would often be named (a firm verdict needs ${Math.round(100 * c.detectionLimit)} %; a higher false-unknown rate catches more)`
  );
}

/** The caveat when a left-out entry's sets are named as the verdict's entry at or above the limit, else null. */
export function absorptionCaveat(c: OpenSetCalibration | undefined, chosen: string | null): string | null {
  const a = c?.absorbs;
  if (!a || chosen === null || a.rate < a.limit) return null;
  return (
    `when ${name(a.entry)} is left out of the library, ${pct(a.rate)} of its held-back sets of ${count(a.n, 'image')} are named ${name(chosen)} without being called unknown, ` +
    `so a generator like it that is not enrolled would be named ${name(chosen)} too (at or above the ${Math.round(100 * a.limit)} % this wording accepts)`
  );
}

export function describeNeighbourCheck(c: NeighbourCheck, chosen: string): string {
  return (
    `mean per-image log-odds of ${name(chosen)} over ${name(c.neighbour)}: ${c.evidenceLogOdds.toFixed(2)} for the evidence, ` +
    `${c.referenceLogOdds.toFixed(2)} for ${name(chosen)}'s held-back reference images; ${pct(1 - c.level)} of its held-back sets of ${count(c.n, 'image')} reach ${c.limit.toFixed(2)}`
  );
}

/** The caveat when the evidence is closer to the neighbour than the chosen entry's references are, else null. */
export function neighbourCaveat(c: NeighbourCheck | undefined, chosen: string | null): string | null {
  if (!c || !c.closer || chosen === null) return null;
  return (
    `the images are closer to ${name(c.neighbour)} than ${name(chosen)}'s own reference images are ` +
    `(mean per-image log-odds ${c.evidenceLogOdds.toFixed(2)}, below the ${c.limit.toFixed(2)} that ${pct(1 - c.level)} of ${name(chosen)}'s held-back sets of ${count(c.n, 'image')} reach), ` +
    `as evidence from a generator between them, or missing from the library, would be`
  );
}

const groupsText = (s: SplitTest) => s.groups.map((g) => `${g.images} → ${name(g.entry)}`).join('; ');

/** e.g. "statistic 14.2 above the 7.1 that single-source held-back sets of 20 images exceed in 1.0 % of draws". */
export function describeSplitTest(s: SplitTest): string {
  if (s.threshold === null) return `statistic ${s.statistic.toFixed(1)}; not tested (the library keeps no held-back reference data to calibrate the split on)`;
  return (
    `statistic ${s.statistic.toFixed(1)} ${s.significant ? 'above' : 'not above'} the ${s.threshold.toFixed(1)} that single-source held-back reference sets of ` +
    `${count(s.n, 'image')} exceed in at most ${pct(s.falseSplitRate)} of draws`
  );
}

/** The caveat when the images form groups that are not reported as separate sources, else null. */
export function heterogeneityCaveat(s: SplitTest | undefined): string | null {
  if (!s || s.reported || s.groups.length < 2 || s.threshold === null) return null;
  if (!s.significant)
    return (
      `the images form ${s.groups.length} groups leaning to different entries (${groupsText(s)}), but the split is not significant (${describeSplitTest(s)}), ` +
      'so they are treated as one source, heterogeneous'
    );
  return `the images form ${s.groups.length} groups that differ significantly (${groupsText(s)}; ${describeSplitTest(s)}), but fewer than two of them match a library entry, so they are judged as one set`;
}

/** "one source, heterogeneous" when the test did not support a split the mixture found; null otherwise. */
export const heterogeneousLabel = (s: SplitTest | undefined): string | null =>
  s && !s.reported && s.groups.length >= 2 && s.threshold !== null && !s.significant ? 'one source, heterogeneous' : null;
