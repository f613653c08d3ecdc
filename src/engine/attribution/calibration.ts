// The library's calibrated decisions: "unknown generator" and "mixed folder" with stated error rates.
//
// Both decisions used fixed thresholds. Here they are set per library, on data held back from what
// it is compared with — the library classifier's out-of-fold enrolment images (fused.ts `heldBack`:
// the same images and log-probabilities the held-back error rate draws its sets from) — at the
// evidence's size:
//
// - Open set. A verdict's two open-set tests become standardised statistics for the chosen entry c:
//   the feature novelty z = (median log novelty − m_c) / s_c · √n / 1.25 (m_c, s_c: c's held-back
//   images' log novelty, each against c's statistics without the image's fold; 1.25 σ/√n is a
//   median's standard error) and the fingerprint correlation z = (c₀ − mean |corr|) / (s·√(1/n + 1/N))
//   (c₀, s: the enrolment's N held-out correlations). Both references are estimated from the entry's
//   own N held-back images, so they are off by about a standard error at N themselves; a fresh set
//   is compared with that one estimate, and the test's spread is the set's and the reference's
//   together. Sets of n held-back images are drawn from every entry and decided like evidence, each
//   compared with a median of c's held-back images redrawn with replacement (a bootstrap of the
//   reference); the novelty threshold is the z that at most half the stated false-unknown rate of
//   those sets exceed. The correlation threshold is Student's t quantile (N − 1 degrees of
//   freedom) at half the rate (its per-image values are not kept, so it rests on the central limit
//   theorem). By the union bound at most the stated rate of an enrolled generator's sets is
//   called unknown — for evidence drawn like the references: a generator's images of content its
//   references lack (a conditional generator's other classes) can be called unknown more often.
//   Leaving each entry out in turn (its held-back sets judged against the others; for the
//   correlation test its stored held-out residuals against the others' fingerprints) gives the
//   rate at which a generator missing from the library is caught at that setting.
//   (Calibration version 2 compared the sets with the median of the very images they were drawn
//   from and the correlation with σ/√n: on the corpus's 28-px domains, with about 32 references
//   per entry, enrolled generators' fresh sets were called unknown up to twice the stated rate.)
// - Neighbour check. For every pair of entries (c, r), the mean and spread of log p(c|x) − log p(r|x)
//   over c's held-back images: evidence whose mean log-odds fall below what 95 % of fresh sets of
//   its size reach (against that mean, estimated from c's held-back images) is closer to r than c's
//   own references are.
// - Split test. A folder's mixture over the entries (grouping.ts) is tested against the best single
//   entry with a likelihood-ratio statistic; its threshold is the value single-entry held-back sets
//   of the folder's size exceed in at most the stated false-split rate of draws.
//
// The calibration is plain, serialisable data (LibraryCalibration), computed by one function,
// `calibrateLibrary(calibrationData(library, features), settings)`, so it can be stored with the
// classifier it belongs to. Its limit is the held-back error rate's: held-back reference images
// resemble the other references more than evidence may, so the stated rates can be optimistic for
// evidence chosen or saved differently (docs/results.md sets them beside the rates observed on the
// corpus).
import jStat from 'jstat';
import { createRandom, shuffledIndices } from '../util/random.js';
import { STACKING_FOLDS, STACKING_MAX_PER_CLASS } from '../classifier/fused.js';
import { featureStats, novelty, type PreparedLibrary } from './prepared-library.js';
import { FingerprintRegions, heldOutAbsCorrelations } from './library-analysis.js';
import { mixtureSplit } from './grouping.js';
import type { CalibrationSettings, NeighbourCheck, OpenSetCalibration } from '../../shared/calibration.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

export * from '../../shared/calibration.js';

export const DEFAULT_CALIBRATION: Readonly<CalibrationSettings> = Object.freeze({
  falseUnknownRate: DEFAULT_SETTINGS.falseUnknownRate,
  falseSplitRate: DEFAULT_SETTINGS.falseSplitRate,
});

/** Held-back sets drawn per entry and size (as the held-back error rate draws). */
export const CALIBRATION_SETS_PER_ENTRY = 200;
/** Set sizes the open-set thresholds are computed at; other sizes are interpolated (log n), larger ones take the last. */
export const OPEN_SET_SIZES: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 64, 100];
/**
 * Single-entry sets per folder size that the split threshold is read from, over all entries
 * together: enough for the 1 % quantile to rest on about 24 exceedances. Drawing 200 per entry
 * whatever the library's size made the split test (a mixture fit per set) most of a 100-entry
 * library's calibration; libraries of up to 12 entries still draw 200 per entry.
 */
export const SPLIT_SETS_TOTAL = 2400;
/** Folder sizes the split threshold is computed at (6: two groups of 3, the fewest that can split); larger folders scale it per image. */
export const SPLIT_SIZES: readonly number[] = [6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 64, 80, 100];
/** The neighbour check's one-sided level: evidence below what 95 % of the entry's held-back sets reach is "closer". */
export const NEIGHBOUR_LEVEL = 0.05;
/**
 * A named verdict is worded weak when a generator left out of the library is named as its entry,
 * without being called unknown, in at least this share of its held-back sets (the held-back error
 * rate's limit: 1 wrong verdict in 10).
 */
export const ABSORPTION_LIMIT = 0.1;
/** …and when the library as a whole calls fewer than this share of a left-out entry's sets unknown. */
export const DETECTION_LIMIT = 0.9;
/** A median's standard error in units of σ/√n (Gaussian data). */
const MEDIAN_SE = 1.25;

/** What the calibration is computed from: everything held back from what it is compared with. */
export interface CalibrationData {
  classes: string[];
  /** The classifier's held-back images (fused.ts heldBack): the entry of each. */
  labels: Int32Array;
  /** log p(entry | image) from models that never saw the image. */
  logProba: Float64Array[];
  /** log novelty of each held-back image against every entry; against its own entry, without the image's fold. */
  logNovelty: Float64Array[];
  /** Per entry: the enrolment's held-out |corr| with its fingerprint (mean, sd, and how many images they rest on), or null. */
  correlation: (Reference | null)[];
  /**
   * Per entry: |corr| of each of its stored held-out residuals (≤ 64 px, fold 0) with every entry's
   * fingerprint (its own without them); null where it has none. Only the left-out estimate uses it.
   */
  heldOutCorrelation: (Float64Array[] | null)[];
}

/**
 * A reference level estimated from `count` held-back images: its centre (median or mean), their
 * spread, and their number — the reference is itself uncertain, and a fresh set is compared with
 * it, so a test's standard error is the set's and the reference's together (σ·√(1/n + 1/count)).
 */
export interface SpreadReference {
  sd: number;
  count: number;
}
export type Reference = SpreadReference & { mean: number };

/** The calibration of one library under one setting: plain data, storable with the classifier. */
export interface LibraryCalibration {
  version: 2;
  settings: CalibrationSettings;
  setsPerEntry: number;
  /** Per entry: the references the open-set statistics are standardised by. */
  entries: {
    /** Median, sd and count of the entry's held-back images' log novelty (each against the entry without the image's fold). */
    novelty: (SpreadReference & { median: number }) | null;
    /** The enrolment's held-out |corr| with the fingerprint (mean, sd, count). */
    correlation: Reference | null;
  }[];
  /** logOdds.mean[c][r], .sd[c][r]: log p(c|x) − log p(r|x) over c's held-back images; count[c]: how many. */
  logOdds: { mean: number[][]; sd: number[][]; count: number[] };
  openSet: {
    sizes: number[];
    /** Novelty z above which the test rejects, per size. */
    noveltyZ: number[];
    /**
     * Per entry: the correlation z above which the test rejects — Student's t quantile at 1 − rate/2
     * with the reference's count − 1 degrees of freedom (its sd is estimated), the normal quantile
     * where the entry has no correlation reference.
     */
    correlationZ: number[];
    /** Per size: share of left-out entries' held-back sets called unknown; null with fewer than 3 entries. */
    detection: (number | null)[];
    /** Entries left out in turn (0 with fewer than 3). */
    leftOut: number;
    /**
     * Per size, per entry c: the largest share, over the other entries e, of e's held-back sets that
     * are named c and not called unknown when e is left out (how readily c absorbs a missing
     * generator), and that e (−1 with fewer than 3 entries).
     */
    absorbed: { rate: number[]; from: number[] }[];
  };
  split: {
    sizes: number[];
    /** Per size: the split statistic single-entry held-back sets exceed in at most the false-split rate of draws. */
    threshold: number[];
  };
}

const mean = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
};

function sd(xs: ArrayLike<number>): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Spreads are floored so that an entry whose images all score alike cannot make every deviation infinite. */
const SPREAD_FLOOR = 1e-6;

/**
 * Tolerances below which no deviation counts, whatever its significance: mildly processed genuine
 * evidence, or a large folder whose images differ slightly from the references, must not be called
 * unknown for a difference of no practical size (log novelty: a factor of 1.25; correlation: a
 * quarter of the calibrated level). The fixed tests had the same floors.
 */
export const NOVELTY_FLOOR = Math.log(1.25);
export const CORRELATION_FLOOR = 0.25;

/**
 * Standard error of the difference between a fresh set's mean of n images and a reference mean of
 * `count` images, in units of their common σ. The reference is estimated from the entry's own
 * held-back images and is off by about σ/√count itself; a test that treated it as exact (σ/√n)
 * calls more of an enrolled generator's fresh sets unknown than it states, the more so the larger
 * the set (one-sided at 2.5 % with 32 references: 4.4 % of fresh sets at n = 10, 11 % at n = 50).
 */
export const predictionSe = (n: number, count: number): number => Math.sqrt(1 / n + (count > 0 ? 1 / count : 0));
/** The novelty test's tolerance band at n images for a reference spread `sd` and z standard errors (the z already holds the reference's uncertainty: calibrationStatistics draws it). */
const noveltyBand = (sd: number, z: number, n: number): number => Math.max((z * MEDIAN_SE * Math.max(sd, SPREAD_FLOOR)) / Math.sqrt(n), NOVELTY_FLOOR, 1e-12);
/** The correlation test's tolerance band: z standard errors of the set's mean against the reference's. */
const correlationBand = (ref: Reference, z: number, n: number): number =>
  Math.max(z * Math.max(ref.sd, SPREAD_FLOOR) * predictionSe(n, ref.count), CORRELATION_FLOOR * ref.mean, 1e-12);

/**
 * One open-set test in band units: the statistic's distance from the reference over the tolerance
 * band, minus 1 (> 0 rejects, −1 is exactly at the reference). The band is the larger of z standard
 * errors and the floor.
 */
export interface StandardisedTest {
  statistic: number;
  threshold: number;
  exceedance: number;
}

/** Novelty of a set against entry c's reference: its median log novelty may exceed the reference by z · 1.25 σ/√n (and the floor). */
export function noveltyTest(ref: { median: number; sd: number }, logNovelties: readonly number[], z: number): StandardisedTest {
  const n = logNovelties.length;
  const statistic = median(logNovelties);
  const band = noveltyBand(ref.sd, z, n);
  return { statistic, threshold: ref.median + band, exceedance: (statistic - ref.median) / band - 1 };
}

/** Fingerprint correlation of a set against entry c's reference: its mean |corr| may fall below it by z · σ·√(1/n + 1/count) (and the floor). */
export function correlationTest(ref: Reference, correlations: ArrayLike<number>, z: number): StandardisedTest {
  const n = correlations.length;
  const statistic = mean(correlations);
  const band = correlationBand(ref, z, n);
  return { statistic, threshold: ref.mean - band, exceedance: (ref.mean - statistic) / band - 1 };
}

/**
 * The threshold that at most `rate` of `values` exceed: sorted ascending, the value with
 * floor(rate · N) values above it. A value equal to the threshold does not exceed it.
 */
export function upperThreshold(values: ArrayLike<number>, rate: number): number {
  if (values.length === 0) return Infinity;
  const sorted = Float64Array.from(values).sort();
  const allowed = Math.floor(rate * sorted.length + 1e-9);
  return sorted[sorted.length - 1 - Math.min(allowed, sorted.length - 1)];
}

/** Linear interpolation of a per-size value in log n; sizes outside the grid take the nearest end. */
export function atSize(sizes: readonly number[], values: readonly number[], n: number): number {
  if (n <= sizes[0]) return values[0];
  const last = sizes.length - 1;
  if (n >= sizes[last]) return values[last];
  let i = 1;
  while (sizes[i] < n) i++;
  const t = (Math.log(n) - Math.log(sizes[i - 1])) / (Math.log(sizes[i]) - Math.log(sizes[i - 1]));
  return values[i - 1] + t * (values[i] - values[i - 1]);
}

/** The entries the classifier's held-back images belong to, with their rows; in fused.ts order. */
function imagesByEntry(labels: Int32Array, K: number): number[][] {
  const by: number[][] = Array.from({ length: K }, () => []);
  labels.forEach((y, i) => by[y].push(i));
  return by;
}

/**
 * Collects what the calibration needs from a prepared library whose classifier kept held-back
 * data, and the entries' φ features (row-major count × dim, in enrolment order, as the classifier
 * was fitted on). Null where the classifier kept none (one evidence block, or an entry with fewer
 * than 4 enrolment images). The held-back images are the first STACKING_MAX_PER_CLASS of each
 * entry, in order, with fold = index mod STACKING_FOLDS (fused.ts); their novelty against their own
 * entry uses the entry's statistics without that fold, as the enrolment's calibration does.
 */
export function calibrationData(
  lib: Pick<PreparedLibrary, 'entries' | 'classifier'>,
  features: readonly ({ data: Float32Array; dim: number } | undefined)[],
): CalibrationData | null {
  const hb = lib.classifier?.heldBack;
  if (!hb || features.length !== lib.entries.length) return null;
  const K = lib.entries.length;
  const by = imagesByEntry(hb.labels, K);
  const logNovelty: Float64Array[] = new Array(hb.labels.length);
  for (let k = 0; k < K; k++) {
    const f = features[k];
    if (!f) return null;
    const count = f.data.length / f.dim;
    const used = Math.min(count, STACKING_MAX_PER_CLASS);
    if (by[k].length !== used) throw new Error(`calibrationData: entry ${k} has ${by[k].length} held-back images, expected ${used}`);
    const foldStats = Array.from({ length: STACKING_FOLDS }, (_, fold) => {
      const keep: number[] = [];
      for (let j = 0; j < count; j++) if (!(j < used && j % STACKING_FOLDS === fold)) keep.push(j);
      const sub = new Float32Array(keep.length * f.dim);
      keep.forEach((j, r) => sub.set(f.data.subarray(j * f.dim, (j + 1) * f.dim), r * f.dim));
      return featureStats(sub, f.dim);
    });
    by[k].forEach((row, i) => {
      const x = f.data.subarray(i * f.dim, (i + 1) * f.dim);
      logNovelty[row] = Float64Array.from(lib.entries, (e, j) => {
        if (j === k) return Math.log(novelty(x, foldStats[i % STACKING_FOLDS].mean, foldStats[i % STACKING_FOLDS].variance));
        return e.featureMean ? Math.log(novelty(x, e.featureMean, e.featureVar!)) : NaN;
      });
    });
  }
  const fingerprints = new FingerprintRegions(lib.entries);
  const heldOutCorrelation = lib.entries.map((_, i) => {
    const rows = heldOutAbsCorrelations(lib.entries, i, fingerprints);
    return rows.length > 0 ? rows : null;
  });
  return {
    classes: lib.entries.map((e) => e.name),
    labels: hb.labels,
    logProba: hb.logProba,
    logNovelty,
    correlation: lib.entries.map((e) =>
      e.calibration.residual ? { mean: e.calibration.residual.meanCorr, sd: e.calibration.residual.stdCorr, count: e.calibration.residual.heldOut } : null,
    ),
    heldOutCorrelation,
  };
}

/** Index of the largest summed log-probability over the entries that are not `excluded`. */
function decide(sum: Float64Array, excluded: number): number {
  let best = -1;
  for (let k = 0; k < sum.length; k++) if (k !== excluded && (best < 0 || sum[k] > sum[best])) best = k;
  return best;
}

/**
 * Version of what calibrationStatistics computes (the draws, the sizes, the statistics kept): part
 * of the stored statistics' key, so a release that calibrates differently never reads older ones.
 */
export const CALIBRATION_VERSION = 4;

/**
 * Everything the calibration draws from the held-back data, for any setting: the statistics of
 * every held-back set it decides, sorted where only their order matters. calibrationAt turns them
 * into the thresholds and rates of one setting (milliseconds), so they are what the library
 * stores — computed when the library changes — and any false-unknown or false-split rate chosen at
 * attribution time is derived from them without drawing again.
 */
export interface CalibrationStatistics {
  version: typeof CALIBRATION_VERSION;
  classes: string[];
  setsPerEntry: number;
  entries: LibraryCalibration['entries'];
  /** Per entry: its stored held-out residuals' |corr| with its own fingerprint without them (mean, sd, count), the left-out estimate's correlation reference. */
  cropReference: (Reference | null)[];
  logOdds: LibraryCalibration['logOdds'];
  openSet: {
    sizes: number[];
    /** Entries left out in turn (0 with fewer than 3). */
    leftOut: number;
    /**
     * Per size: the novelty z of every enrolled entry's held-back sets (K · S), sorted ascending
     * (−∞ where the chosen entry has no reference): each set's median against a median of the
     * chosen entry's held-back images redrawn with replacement, so the z varies as much as a fresh
     * set's against a reference estimated from that many images does.
     */
    knownZ: Float64Array[];
    /**
     * Per size, with at least 3 entries (else empty): entry e's held-back sets decided among the
     * others (sets e · S … e · S + S − 1): the entry chosen, the median log novelty's excess over its
     * reference, redrawn as for knownZ (NaN: no novelty test) and the mean correlation's shortfall below its crop
     * reference (NaN: no correlation test).
     */
    missing: { chosen: Int32Array; noveltyExcess: Float64Array; correlationShortfall: Float64Array }[];
  };
  split: {
    sizes: number[];
    /** Per size: the split statistic of every single-entry held-back set (K · min(S, ⌈SPLIT_SETS_TOTAL / K⌉)), sorted ascending. */
    statistics: Float64Array[];
  };
}

/**
 * What the calibration of one library draws from its held-back data, for every setting (see the
 * file comment and CalibrationStatistics). Deterministic: every draw is seeded by the set size.
 */
export function calibrationStatistics(data: CalibrationData, opts: { setsPerEntry?: number } = {}): CalibrationStatistics {
  const K = data.classes.length;
  const S = opts.setsPerEntry ?? CALIBRATION_SETS_PER_ENTRY;
  const by = imagesByEntry(data.labels, K);
  const ownNovelty = Array.from({ length: K }, (_, c) => by[c].map((i) => data.logNovelty[i][c]).filter(Number.isFinite));
  const entries = ownNovelty.map((own, c) => ({
    novelty: own.length >= 2 ? { median: median(own), sd: sd(own), count: own.length } : null,
    correlation: data.correlation[c],
  }));
  // The reference median is estimated from the entry's own held-back images, so it is off by about
  // a median's standard error at that count. Every set below is compared with a reference median
  // redrawn the same way (a bootstrap of the entry's held-back log novelties), not with the median
  // of the very images the sets are drawn from: the thresholds then hold for fresh evidence
  // against a reference estimated once, whose error is the same for all of an entry's cases.
  const referenceRand = createRandom(0x7ef5);
  const referenceMedians = ownNovelty.map((own) =>
    own.length >= 2
      ? Float64Array.from({ length: S }, () => median(Array.from({ length: own.length }, () => own[Math.floor(referenceRand() * own.length)])))
      : null,
  );
  // The left-out estimate's correlation test runs on the stored held-out residuals (≤ 64 px), so its
  // reference is on the same scale: the entry's own held-out residuals against its fingerprint
  // without them. (At 64 px chance correlations are larger than on a full canvas, so for larger
  // images this understates what the correlation test catches.)
  const cropReference = Array.from({ length: K }, (_, c) => {
    const own = (data.heldOutCorrelation[c] ?? []).map((row) => row[c]).filter(Number.isFinite);
    return own.length >= 2 ? { mean: mean(own), sd: sd(own), count: own.length } : null;
  });
  const logOdds = {
    mean: Array.from({ length: K }, (_, c) =>
      Array.from({ length: K }, (_, r) => (r === c ? 0 : mean(by[c].map((i) => data.logProba[i][c] - data.logProba[i][r])))),
    ),
    sd: Array.from({ length: K }, (_, c) =>
      Array.from({ length: K }, (_, r) => (r === c ? 0 : sd(by[c].map((i) => data.logProba[i][c] - data.logProba[i][r])))),
    ),
    count: by.map((rows) => rows.length),
  };

  const sum = new Float64Array(K);
  const knownZ: Float64Array[] = [];
  const missing: CalibrationStatistics['openSet']['missing'] = [];
  for (const n of OPEN_SET_SIZES) {
    const rand = createRandom(0x0b5e7 + n);
    const draw = (rows: number[]) => Array.from({ length: n }, () => rows[Math.floor(rand() * rows.length)]);
    const decideSet = (set: number[], excluded: number): { c: number; logNovelties: number[] } => {
      sum.fill(0);
      for (const i of set) for (let k = 0; k < K; k++) sum[k] += data.logProba[i][k];
      const c = decide(sum, excluded);
      return { c, logNovelties: set.map((i) => data.logNovelty[i][c]) };
    };
    // Enrolled generators: sets of each entry's held-back images, decided among all entries; the
    // novelty z (median against the chosen entry's reference, in standard errors) of each.
    const known = new Float64Array(K * S);
    for (let j = 0; j < K; j++)
      for (let s = 0; s < S; s++) {
        const { c, logNovelties } = decideSet(draw(by[j]), -1);
        const ref = entries[c].novelty;
        known[j * S + s] = ref ? ((median(logNovelties) - referenceMedians[c]![s]) / Math.max(ref.sd, SPREAD_FLOOR)) * (Math.sqrt(n) / MEDIAN_SE) : -Infinity;
      }
    knownZ.push(known.sort());
    if (K < 3) continue;
    // A missing generator: each entry left out in turn, its sets decided among the others. Both
    // tests' statistics are kept for every set (whether it is caught depends on the setting).
    const chosen = new Int32Array(K * S);
    const noveltyExcess = new Float64Array(K * S).fill(NaN);
    const correlationShortfall = new Float64Array(K * S).fill(NaN);
    for (let e = 0; e < K; e++) {
      const crossCorr = data.heldOutCorrelation[e];
      for (let s = 0; s < S; s++) {
        const { c, logNovelties } = decideSet(draw(by[e]), e);
        chosen[e * S + s] = c;
        const novRef = entries[c].novelty;
        if (novRef) noveltyExcess[e * S + s] = median(logNovelties) - referenceMedians[c]![s];
        const corrRef = cropReference[c];
        if (corrRef && crossCorr) {
          const values = Array.from({ length: n }, () => crossCorr[Math.floor(rand() * crossCorr.length)][c]);
          correlationShortfall[e * S + s] = corrRef.mean - mean(values);
        }
      }
    }
    missing.push({ chosen, noveltyExcess, correlationShortfall });
  }

  // Split test: single-entry sets without replacement (a repeated image would fake a cluster); where
  // the folder is larger than half an entry's held-back images, sets of that half are drawn and
  // their statistic scaled per image to n (conservative: smaller sets overfit the mixture more).
  // Every folder size above that half reads the same sets of that half (drawn once per entry, at
  // the first such size), so their thresholds are one distribution scaled, and the mixture fits,
  // most of a large library's calibration, are not repeated for each size.
  const splitStatistics: Float64Array[] = [];
  const splitSets = Math.min(S, Math.ceil(SPLIT_SETS_TOTAL / K));
  const perImageBySize = Array.from({ length: K }, () => new Map<number, Float64Array>());
  for (const n of SPLIT_SIZES) {
    const rand = createRandom(0x5b117 + n);
    const values = new Float64Array(K * splitSets);
    for (let j = 0; j < K; j++) {
      const pool = by[j].length;
      const m = Math.min(n, pool, Math.max(SPLIT_SIZES[0], Math.floor(pool / 2)));
      let perImage = perImageBySize[j].get(m);
      if (!perImage) {
        perImage = new Float64Array(splitSets);
        for (let s = 0; s < splitSets; s++) {
          const rows = shuffledIndices(pool, rand)
            .slice(0, m)
            .map((i) => data.logProba[by[j][i]]);
          perImage[s] = mixtureSplit(rows).statistic / m;
        }
        perImageBySize[j].set(m, perImage);
      }
      for (let s = 0; s < splitSets; s++) values[j * splitSets + s] = perImage[s] * n;
    }
    splitStatistics.push(values.sort());
  }

  return {
    version: CALIBRATION_VERSION,
    classes: [...data.classes],
    setsPerEntry: S,
    entries,
    cropReference,
    logOdds,
    openSet: { sizes: [...OPEN_SET_SIZES], leftOut: K >= 3 ? K : 0, knownZ, missing },
    split: { sizes: [...SPLIT_SIZES], statistics: splitStatistics },
  };
}

/**
 * The z a mean of fresh images may fall short of a reference by, in standard errors, at one-sided
 * level `rate`: Student's t with count − 1 degrees of freedom (the reference's sd is estimated from
 * `count` images), the normal quantile where the count is unknown.
 */
export function correlationQuantile(rate: number, count: number): number {
  return count >= 2 ? jStat.studentt.inv(1 - rate, count - 1) : jStat.normal.inv(1 - rate, 0, 1);
}

/**
 * The thresholds and rates of one setting, from the statistics of every held-back set
 * (calibrationStatistics): the novelty z that at most half the false-unknown rate of enrolled
 * generators' sets exceed, the correlation z at the normal quantile of half the rate, the share
 * of left-out entries' sets either test then rejects, and the split statistic at most the
 * false-split rate of single-entry sets exceed.
 */
export function calibrationAt(stats: CalibrationStatistics, settings: CalibrationSettings): LibraryCalibration {
  const K = stats.classes.length;
  const S = stats.setsPerEntry;
  const halfRate = settings.falseUnknownRate / 2;
  const corrZ = stats.entries.map((e) => correlationQuantile(halfRate, e.correlation?.count ?? 0));
  const noveltyZ: number[] = [];
  const detection: (number | null)[] = [];
  const absorbed: LibraryCalibration['openSet']['absorbed'] = [];
  stats.openSet.sizes.forEach((n, i) => {
    const zThr = upperThreshold(stats.openSet.knownZ[i], halfRate);
    noveltyZ.push(zThr);
    const sets = stats.openSet.missing[i];
    if (K < 3 || !sets) {
      detection.push(null);
      absorbed.push({ rate: new Array<number>(K).fill(0), from: new Array<number>(K).fill(-1) });
      return;
    }
    let caught = 0;
    const named = Array.from({ length: K }, () => new Float64Array(K)); // named[c][e]: share of e's sets named c, not caught
    for (let e = 0; e < K; e++) {
      let hits = 0;
      for (let s = 0; s < S; s++) {
        const at = e * S + s;
        const c = sets.chosen[at];
        const excess = sets.noveltyExcess[at];
        const shortfall = sets.correlationShortfall[at];
        const novRef = stats.entries[c].novelty;
        const corrRef = stats.cropReference[c];
        const rejected =
          (novRef !== null && !Number.isNaN(excess) && excess / noveltyBand(novRef.sd, zThr, n) - 1 > 0) ||
          (corrRef !== null && !Number.isNaN(shortfall) && shortfall / correlationBand(corrRef, correlationQuantile(halfRate, corrRef.count), n) - 1 > 0);
        if (rejected) hits++;
        else named[c][e] += 1 / S;
      }
      caught += hits / S / K;
    }
    detection.push(caught);
    const from = named.map((row) => row.indexOf(Math.max(...row)));
    absorbed.push({ rate: named.map((row, c) => row[from[c]]), from });
  });
  return {
    version: 2,
    settings: { ...settings },
    setsPerEntry: S,
    entries: stats.entries,
    logOdds: stats.logOdds,
    openSet: { sizes: [...stats.openSet.sizes], noveltyZ, correlationZ: corrZ, detection, leftOut: stats.openSet.leftOut, absorbed },
    split: { sizes: [...stats.split.sizes], threshold: stats.split.statistics.map((values) => upperThreshold(values, settings.falseSplitRate)) },
  };
}

/**
 * Thresholds and rates for one library under one setting (see the file comment): the statistics
 * of its held-back sets, then the setting's thresholds. Deterministic.
 */
export function calibrateLibrary(data: CalibrationData, settings: CalibrationSettings, opts: { setsPerEntry?: number } = {}): LibraryCalibration {
  return calibrationAt(calibrationStatistics(data, opts), settings);
}

/**
 * The open-set facts a verdict on n images states; with `chosen` (an entry index) and the entries'
 * names, also how readily that entry absorbs a missing generator (the nearest grid size at or below n).
 */
export function openSetCalibrationAt(cal: LibraryCalibration, n: number, chosen?: number, names?: readonly string[]): OpenSetCalibration {
  const { sizes, detection, absorbed } = cal.openSet;
  const known = detection.every((d): d is number => d !== null);
  const out: OpenSetCalibration = {
    falseUnknownRate: cal.settings.falseUnknownRate,
    detectionRate: known ? Math.min(1, Math.max(0, atSize(sizes, detection as number[], n))) : null,
    n,
    leftOut: cal.openSet.leftOut,
    setsPerEntry: cal.setsPerEntry,
    detectionLimit: DETECTION_LIMIT,
  };
  if (chosen !== undefined && names && known) {
    let i = 0;
    while (i + 1 < sizes.length && sizes[i + 1] <= n) i++;
    const from = absorbed[i].from[chosen];
    if (from >= 0) out.absorbs = { entry: names[from], rate: absorbed[i].rate[chosen], n: sizes[i], limit: ABSORPTION_LIMIT };
  }
  return out;
}

/** The novelty test's z threshold at n images. */
export const noveltyThresholdAt = (cal: LibraryCalibration, n: number): number => atSize(cal.openSet.sizes, cal.openSet.noveltyZ, n);

/** The split statistic a single-source folder of n images exceeds in at most the false-split rate of held-back draws. */
export function splitThresholdAt(cal: LibraryCalibration, n: number): number {
  const { sizes, threshold } = cal.split;
  const last = sizes.length - 1;
  // Beyond the grid the statistic grows about in proportion to the images (it is a sum over them).
  if (n > sizes[last]) return (threshold[last] * n) / sizes[last];
  if (n <= sizes[0]) return threshold[0];
  let i = 1;
  while (sizes[i] < n) i++;
  const t = (n - sizes[i - 1]) / (sizes[i] - sizes[i - 1]);
  return threshold[i - 1] + t * (threshold[i] - threshold[i - 1]);
}

/**
 * Whether the evidence (per-image log-probabilities) is closer to entry r than entry c's own
 * held-back reference images are: its mean log-odds of c over r against the level a share
 * NEIGHBOUR_LEVEL of fresh sets of n images fall below (normal approximation of a mean; its standard
 * error holds the reference mean's own, from c's held-back images).
 */
export function neighbourCheck(cal: LibraryCalibration, c: number, r: number, neighbourName: string, logProba: ArrayLike<number>[]): NeighbourCheck {
  const n = logProba.length;
  const evidence = mean(logProba.map((lp) => lp[c] - lp[r]));
  const ref = cal.logOdds.mean[c][r];
  const limit = ref - jStat.normal.inv(1 - NEIGHBOUR_LEVEL, 0, 1) * cal.logOdds.sd[c][r] * predictionSe(n, cal.logOdds.count[c]);
  return { neighbour: neighbourName, n, evidenceLogOdds: evidence, referenceLogOdds: ref, limit, level: NEIGHBOUR_LEVEL, closer: evidence < limit };
}
