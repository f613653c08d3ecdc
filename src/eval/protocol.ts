// The evaluation protocol's pure parts: deterministic splits, seeded bag draws and the metrics.
// Kept free of I/O so the metric functions can be checked against hand-computed values.
import path from 'node:path';
import { createRandom, drawBags, shuffledIndices } from '../engine/util/random.js';
import { verdictWording } from '../shared/wording.js';
import type { Verdict } from '../engine/types.js';

export const BAG_SIZES = [1, 5, 10, 25, 50] as const;

/** Sorted by file name; even index → enrolment, odd → query (so both halves span the whole set). */
export function splitHalves(files: readonly string[]): { enrol: string[]; query: string[] } {
  const sorted = [...files].sort((a, b) => {
    const x = path.basename(a);
    const y = path.basename(b);
    return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
  return { enrol: sorted.filter((_, i) => i % 2 === 0), query: sorted.filter((_, i) => i % 2 === 1) };
}

/**
 * A seeded random half split (enrolment gets the extra file of an odd count): the alternative
 * splits behind the evaluation's split-sensitivity line. The order of `files` does not matter.
 */
export function randomHalves(files: readonly string[], seed: number): { enrol: string[]; query: string[] } {
  return randomSplit(files, seed, 0.5);
}

/**
 * A seeded random split with ⌈fraction · n⌉ files for enrolment (at least one, and at least one
 * left for queries): the reference-count study's splits. At 0.5 it is `randomHalves`.
 */
export function randomSplit(files: readonly string[], seed: number, enrolFraction: number): { enrol: string[]; query: string[] } {
  if (!(enrolFraction > 0 && enrolFraction < 1)) throw new RangeError(`randomSplit: enrolment fraction ${enrolFraction} is not in (0, 1)`);
  const sorted = [...files].sort();
  const order = shuffledIndices(sorted.length, createRandom(seed));
  const cut = Math.min(sorted.length - 1, Math.max(1, Math.ceil(sorted.length * enrolFraction)));
  return {
    enrol: order
      .slice(0, cut)
      .sort((a, b) => a - b)
      .map((i) => sorted[i]),
    query: order
      .slice(cut)
      .sort((a, b) => a - b)
      .map((i) => sorted[i]),
  };
}

/**
 * R bags of n distinct query indices. n is capped by the query count; when it is capped there is
 * only one possible bag, so one bag is returned (repeating it would fake a variance of zero).
 */
export function bagDraws(queryCount: number, n: number, repeats: number, seed: number): number[][] {
  return drawBags(queryCount, Math.min(n, queryCount), repeats, seed);
}

/** A per-generator seed, so adding a generator to a domain does not change the others' draws. */
export function seedFor(base: number, ...parts: (string | number)[]): number {
  let h = 2166136261 ^ base;
  for (const ch of parts.join('|')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

export function accuracy(truth: readonly string[], predicted: readonly (string | null)[]): number {
  if (truth.length !== predicted.length) throw new RangeError('accuracy: lengths differ');
  if (truth.length === 0) return NaN;
  let ok = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) ok++;
  return ok / truth.length;
}

/**
 * Macro-averaged F1 over the true classes (a class that occurs only among predictions still costs
 * precision of nothing: its false positives lower the true classes' recall instead). A class with
 * no true positives scores 0.
 */
export function macroF1(truth: readonly string[], predicted: readonly (string | null)[]): number {
  if (truth.length !== predicted.length) throw new RangeError('macroF1: lengths differ');
  const classes = [...new Set(truth)];
  if (classes.length === 0) return NaN;
  let sum = 0;
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i] === c;
      const p = predicted[i] === c;
      if (t && p) tp++;
      else if (p) fp++;
      else if (t) fn++;
    }
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return sum / classes.length;
}

/**
 * Area under the ROC curve for scores where higher means "positive": the probability that a random
 * positive outscores a random negative, ties counting one half (Mann–Whitney U / (n₊·n₋)).
 */
export function auroc(positives: readonly number[], negatives: readonly number[]): number {
  if (positives.length === 0 || negatives.length === 0) return NaN;
  const all = [...positives.map((s) => ({ s, pos: true })), ...negatives.map((s) => ({ s, pos: false }))].sort((a, b) => a.s - b.s);
  // Mid-ranks over ties.
  let rankSumPos = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].s === all[i].s) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k].pos) rankSumPos += midRank;
    i = j + 1;
  }
  const nP = positives.length;
  const nN = negatives.length;
  return (rankSumPos - (nP * (nP + 1)) / 2) / (nP * nN);
}

export interface BagScore {
  /** Mean ± std of top-1 accuracy over the R repeated draws (each draw: one bag per generator). */
  mean: number;
  std: number;
  macroF1: number;
  bags: number;
  /** The largest bag actually drawn for the smallest generator (n capped by its query count). */
  capped: boolean;
  /** Top-1 accuracy of each draw, in draw order (draw r uses the same bags for every method). */
  perDraw: number[];
}

/**
 * Scores repeated draws: `predictions[g][r]` is the label predicted for draw r of generator g
 * (draws beyond a generator's available count are reused cyclically, e.g. a capped single bag).
 */
export function scoreDraws(generators: readonly string[], predictions: readonly (readonly (string | null)[])[], repeats: number, capped: boolean): BagScore {
  const perDraw: number[] = [];
  const truth: string[] = [];
  const pred: (string | null)[] = [];
  for (let r = 0; r < repeats; r++) {
    const t: string[] = [];
    const p: (string | null)[] = [];
    generators.forEach((g, gi) => {
      const row = predictions[gi];
      if (row.length === 0) return;
      t.push(g);
      p.push(row[r % row.length]);
    });
    perDraw.push(accuracy(t, p));
    truth.push(...t);
    pred.push(...p);
  }
  return { mean: mean(perDraw), std: std(perDraw), macroF1: macroF1(truth, pred), bags: truth.length, capped, perDraw };
}

export interface PairedDifference {
  /** Mean over draws of (a − b). */
  mean: number;
  /** 95 % percentile-bootstrap interval of that mean (resampling draws). */
  lo: number;
  hi: number;
  draws: number;
}

/**
 * Two methods scored on the same bags (draw r of each method judged the same images), compared
 * draw by draw: the mean per-draw difference of their accuracies, with a 95 % bootstrap interval
 * over draws (2,000 seeded resamples). The pairing removes the variation between draws that both
 * methods share (an easy or a hard bag is easy or hard for both), so a difference smaller than the
 * two methods' spreads can still be resolved — or shown to be unresolved.
 */
export function pairedDifference(a: readonly number[], b: readonly number[], seed = 1): PairedDifference {
  if (a.length !== b.length || a.length === 0) throw new RangeError('pairedDifference: two equally long, non-empty lists expected');
  const d = a.map((x, i) => x - b[i]);
  const m = mean(d);
  if (d.length === 1) return { mean: m, lo: m, hi: m, draws: 1 };
  const rand = createRandom(seed);
  const RESAMPLES = 2000;
  const means = new Float64Array(RESAMPLES);
  for (let r = 0; r < RESAMPLES; r++) {
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[Math.floor(rand() * d.length)];
    means[r] = s / d.length;
  }
  means.sort();
  return { mean: m, lo: means[Math.floor(0.025 * RESAMPLES)], hi: means[Math.ceil(0.975 * RESAMPLES) - 1], draws: d.length };
}

/**
 * How verdicts read to an examiner: a library entry named (not "unknown") with a strength above
 * "weak" (report/wording.ts) is firm. Wrong firm verdicts are the harm; right firm verdicts the use.
 * Also counted with the compression check and with the consistency test removed from the same
 * verdicts, to measure what each changes.
 */
export interface FirmWrongTally {
  bags: number;
  /** Bags whose verdict names a wrong entry (not "unknown"). */
  wrong: number;
  wrongFirm: number;
  wrongFirmWithoutCompressionCheck: number;
  /** Bags whose verdict names the right entry, and those of them worded above weak. */
  right: number;
  rightFirm: number;
  wrongFirmWithoutConsistencyTest: number;
  rightFirmWithoutConsistencyTest: number;
  /** The same without the held-back error-rate guard (verdict.errorRate). */
  wrongFirmWithoutErrorRate: number;
  rightFirmWithoutErrorRate: number;
  /**
   * The same without the calibrated open set's wording guards (the neighbour check, the left-out
   * entry a verdict's entry absorbs, and the library's detection rate): what they cost and save.
   */
  wrongFirmWithoutOpenSetGuards: number;
  rightFirmWithoutOpenSetGuards: number;
  /**
   * The same without the caution that words every verdict matched to a reference bank weak
   * (`matched-references`): how bank verdicts would read without that blanket rule, the evaluation
   * the rule waits for (docs/robustness.md). Equal to wrongFirm / rightFirm for other verdicts.
   */
  wrongFirmWithoutMatchedReferences: number;
  rightFirmWithoutMatchedReferences: number;
  /**
   * Named verdicts that carried a held-back error-rate estimate, and the sum of their estimates:
   * the mean estimate beside the observed share of wrong verdicts checks the estimate's calibration.
   */
  estimated: number;
  estimatedErrorSum: number;
  /** Of those verdicts, the wrong ones. */
  estimatedWrong: number;
}

export const emptyFirmWrongTally = (): FirmWrongTally => ({
  bags: 0,
  wrong: 0,
  wrongFirm: 0,
  wrongFirmWithoutCompressionCheck: 0,
  right: 0,
  rightFirm: 0,
  wrongFirmWithoutConsistencyTest: 0,
  rightFirmWithoutConsistencyTest: 0,
  wrongFirmWithoutErrorRate: 0,
  rightFirmWithoutErrorRate: 0,
  wrongFirmWithoutOpenSetGuards: 0,
  rightFirmWithoutOpenSetGuards: 0,
  wrongFirmWithoutMatchedReferences: 0,
  rightFirmWithoutMatchedReferences: 0,
  estimated: 0,
  estimatedErrorSum: 0,
  estimatedWrong: 0,
});

export function tallyFirmWrong(t: FirmWrongTally, truth: string, v: Verdict): void {
  t.bags++;
  if (v.unknown || v.label === null) return;
  const firm = (w: Verdict) => verdictWording(w).strength !== 'weak';
  const { compression: _check, ...withoutCheck } = v;
  const { consistency: _test, ...withoutTest } = v;
  const { errorRate, ...withoutErrorRate } = v;
  const { neighbour: _neighbour, ...withoutNeighbour } = v;
  const withoutOpenSetGuards: Verdict = { ...withoutNeighbour, openSet: { ...v.openSet, calibration: undefined } };
  const { references: _references, ...withoutMatchedReferences } = v;
  const right = v.label === truth;
  if (errorRate) {
    t.estimated++;
    t.estimatedErrorSum += errorRate.errorRate;
    if (!right) t.estimatedWrong++;
  }
  if (right) {
    t.right++;
    if (firm(v)) t.rightFirm++;
    if (firm(withoutTest)) t.rightFirmWithoutConsistencyTest++;
    if (firm(withoutErrorRate)) t.rightFirmWithoutErrorRate++;
    if (firm(withoutOpenSetGuards)) t.rightFirmWithoutOpenSetGuards++;
    if (firm(withoutMatchedReferences)) t.rightFirmWithoutMatchedReferences++;
    return;
  }
  t.wrong++;
  if (firm(v)) t.wrongFirm++;
  if (firm(withoutCheck)) t.wrongFirmWithoutCompressionCheck++;
  if (firm(withoutTest)) t.wrongFirmWithoutConsistencyTest++;
  if (firm(withoutErrorRate)) t.wrongFirmWithoutErrorRate++;
  if (firm(withoutOpenSetGuards)) t.wrongFirmWithoutOpenSetGuards++;
  if (firm(withoutMatchedReferences)) t.wrongFirmWithoutMatchedReferences++;
}
