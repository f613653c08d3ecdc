// Text formatting shared by the screens. Verdict numbers and words come from the shared wording
// layer (src/shared/numbers.ts, wording.ts), as in the CLI and the PDF report.
import type { CaseResult, ManifoldEstimate, MethodId } from '../../shared/api.js';
import { scoreName as scoreNameInText } from '../../shared/numbers.js';

/** What a method's verdict score is, as a column or axis title: "Probability", "Mean |corr|". */
export const scoreName = (method: MethodId) => capitalise(scoreNameInText(method));

/** A caption from the shared wording as a title: first letter upper-case. */
export const capitalise = (text: string) => (text ? text[0]!.toUpperCase() + text.slice(1) : text);

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
