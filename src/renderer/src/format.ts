// Number and text formatting shared by the screens.
import type { MethodId } from '../../shared/api.js';

export const pct = (x: number, digits = 1) => (Number.isFinite(x) ? `${(100 * x).toFixed(digits)} %` : '–');

/** A verdict score as its method defines it: a probability for dsf, a mean |corr| for residual. */
export function formatScore(method: MethodId, x: number): string {
  return method === 'dsf' ? pct(x) : Number.isFinite(x) ? x.toFixed(4) : '–';
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
