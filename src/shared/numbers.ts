// How numbers are written in every human-readable output: the CLI, the UI and the PDF report all
// print a verdict's probability, score, margin and rates through these functions, so the three
// show the same digits. Part of the wording layer (wording.ts holds the policy built on them).
import { scoreIsProbability, type MethodId } from './types.js';

/** Digits of a probability or a probability margin: 3 decimals, so the smallest step is 0.001. */
const PROBABILITY_DECIMALS = 3;
/** Digits of a mean |corr| (residual method): its values are small (about 0.01 to 0.3). */
const CORRELATION_DECIMALS = 4;

/**
 * A classifier probability (or a difference of two), never printed as 1.000 or 0.000: values that
 * would round there are shown as bounds, "> 0.999" and "< 0.001". The classifier's probabilities
 * rest on a model of how dependent the images are, and a printed 1.000 would claim a certainty the
 * model cannot give.
 */
export function formatProbability(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  const step = 10 ** -PROBABILITY_DECIMALS;
  if (p > 1 - step / 2) return `> ${(1 - step).toFixed(PROBABILITY_DECIMALS)}`;
  if (p > 0 && p < step / 2) return `< ${step.toFixed(PROBABILITY_DECIMALS)}`;
  return p.toFixed(PROBABILITY_DECIMALS);
}

/** The same number inside a sentence: "above 0.999", "below 0.001", "0.870". */
export function probabilityInWords(p: number): string {
  return formatProbability(p).replace(/^> /, 'above ').replace(/^< /, 'below ');
}

/** A verdict's score (or margin, or a candidate's score) as its method defines it: a probability for the classifier methods, a mean |corr| for residual. */
export function formatScore(method: MethodId, x: number): string {
  if (scoreIsProbability(method)) return formatProbability(x);
  return Number.isFinite(x) ? x.toFixed(CORRELATION_DECIMALS) : 'n/a';
}

/** What a method's score is, in lower case: "probability" or "mean |corr|". */
export function scoreName(method: MethodId): string {
  return scoreIsProbability(method) ? 'probability' : 'mean |corr|';
}

/** A rate (an error rate, a recall) as a percentage with one decimal, as every error-rate display shows it. */
export const formatRate = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** A p-value: three decimals, "below 0.001" under that. */
export const formatPValue = (p: number): string => (p < 0.001 ? 'below 0.001' : p.toFixed(3));

/** A t statistic: two decimals, ∞ when every image gives the same ratio. */
export const formatT = (t: number): string => (Number.isFinite(t) ? t.toFixed(2) : t > 0 ? '∞' : '−∞');

/** "1 image", "3 images". */
export const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
