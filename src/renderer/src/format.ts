// Number and text formatting shared by the screens.
import { scoreIsProbability, type CaseResult, type ManifoldEstimate, type MethodId } from '../../shared/api.js';

export const pct = (x: number, digits = 1) => (Number.isFinite(x) ? `${(100 * x).toFixed(digits)} %` : '–');

/**
 * A model probability as a percentage. Values that would round to 0 or 100 % are shown as bounds
 * ("> 99.9 %"): the classifier's probabilities assume independent images, and a printed "100 %"
 * would claim a certainty the model cannot give.
 */
export function probability(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '–';
  const step = 10 ** -digits;
  const v = 100 * x;
  if (v > 100 - step / 2) return `> ${(100 - step).toFixed(digits)} %`;
  if (v > 0 && v < step / 2) return `< ${step.toFixed(digits)} %`;
  return `${v.toFixed(digits)} %`;
}

/** A verdict score as its method defines it: a probability for the classifier methods, a mean |corr| for residual. */
export function formatScore(method: MethodId, x: number): string {
  return scoreIsProbability(method) ? probability(x) : Number.isFinite(x) ? x.toFixed(4) : '–';
}

/** What a method's verdict score is, as a column or axis title. */
export const scoreName = (method: MethodId) => (scoreIsProbability(method) ? 'Probability' : 'Mean |corr|');

export const METHOD_NAMES: Record<MethodId, string> = {
  dsf: 'Set-encoder (DSF)',
  residual: 'Residual correlation',
  manifold: 'Manifold artifacts (ManiFPT)',
};

export const ESTIMATE_NAMES: Record<ManifoldEstimate, string> = {
  projector: 'projector — learned, any domain',
  knn: 'knn — nearest real images, needs a real reference entry',
};

/** The method a case was analysed with, with the manifold estimate where there is one. */
export function caseMethodName(params: CaseResult['params']): string {
  const name = METHOD_NAMES[params.method] ?? params.method;
  return params.manifold ? `${name}, ${params.manifold.estimate} estimate` : name;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export const shortHash = (h: string | null | undefined, n = 12) => (h ? h.slice(0, n) : '–');

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
