// Numbers and names as the report prints them.
import { scoreIsProbability, type Verdict } from '../../types.js';

export const num = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
/**
 * A verdict's score: for the classifier methods (dsf, manifold) a probability, which is shown as a
 * bound ("> 0.999") when it would round to 1 — it assumes independent images and must not read as
 * certainty.
 */
export const score = (v: Pick<Verdict, 'method'>, x: number, d = 3) => {
  if (!scoreIsProbability(v.method) || !Number.isFinite(x)) return num(x, d);
  const step = 10 ** -d;
  if (x > 1 - step / 2) return `> ${(1 - step).toFixed(d)}`;
  if (x > 0 && x < step / 2) return `< ${step.toFixed(d)}`;
  return x.toFixed(d);
};

export function bytesText(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function scoreName(v: Verdict): string {
  return scoreIsProbability(v.method) ? 'probability' : 'mean |corr|';
}
