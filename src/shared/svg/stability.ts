// Stability of the verdict as a function of bag size (paper Sec. 4.3, Fig. 4): the score of the
// folder verdict's label (mean ± std over bags), the fraction of bags agreeing with the folder
// verdict, and the decorrelation score (Eq. 6).
import type { StabilityPoint } from '../types.js';
import { escapeXml, estimateTextWidth, fmt, n, svgHeader } from './text.js';
import { niceTicks } from './ticks.js';

export interface StabilityOptions {
  title?: string;
  width?: number;
  height?: number;
  /** Name of the plotted score, e.g. "Probability of ‘StyleGAN2’". */
  scoreLabel?: string;
  fontSize?: number;
}

const SERIES = {
  score: { colour: '#1f5fa8', dash: '' },
  agreement: { colour: '#c4501b', dash: '5 3' },
  decorrelation: { colour: '#2f8a3c', dash: '1.5 2.5' },
};

function legendRows(opts: StabilityOptions, width: number, fs: number): number {
  const labels = [`${opts.scoreLabel ?? 'Score of the folder verdict'} (mean ± 1 sd)`, 'Bags agreeing with the folder verdict', 'Decorrelation score (Eq. 6)'];
  const left = fs * 5;
  const right = width - 10;
  let rows = 1;
  let lx = left;
  for (const label of labels) {
    const w = 22 + estimateTextWidth(label, fs) + 14;
    if (lx > left && lx + w > right) {
      rows++;
      lx = left;
    }
    lx += w;
  }
  return rows;
}

export function stabilitySvg(points: StabilityPoint[], opts: StabilityOptions = {}): string {
  const fs = opts.fontSize ?? 9;
  const width = opts.width ?? 520;
  const height = opts.height ?? 260;
  const pts = [...points].filter((p) => Number.isFinite(p.bagSize)).sort((a, b) => a.bagSize - b.bagSize);
  const titleH = opts.title ? fs * 2.4 : 6;
  const legendH = fs * 2.2 + (legendRows(opts, width, fs) - 1) * fs * 1.6;
  const left = fs * 5;
  const right = width - 10;
  const top = titleH + legendH;
  const bottom = height - fs * 4;

  const xs = pts.map((p) => p.bagSize);
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const xTicks = xs.length > 1 && xs.length <= 12 ? xs : niceTicks(xMin, xMax, 6);
  const xLo = Math.min(xMin, xTicks[0] ?? xMin);
  const xHi = Math.max(xMax, xTicks[xTicks.length - 1] ?? xMax);
  const xOf = (v: number) => (xHi > xLo ? left + ((v - xLo) / (xHi - xLo)) * (right - left) : (left + right) / 2);
  const yHiData = Math.max(1, ...pts.map((p) => Math.max(p.meanScore + p.stdScore, p.decorrelation, p.agreement)));
  const yTicks = niceTicks(0, yHiData, 5);
  const yHi = Math.max(yHiData, yTicks[yTicks.length - 1] ?? 1);
  const clampY = (v: number) => Math.min(yHi, Math.max(0, Number.isFinite(v) ? v : 0));
  const yOf = (v: number) => bottom - (clampY(v) / yHi) * (bottom - top);

  const out: string[] = [];
  out.push(...svgHeader(width, height, fs, opts.title));
  // Grid and axes.
  for (const t of yTicks) {
    const y = yOf(t);
    out.push(`<line x1="${n(left)}" y1="${n(y)}" x2="${n(right)}" y2="${n(y)}" stroke="#e3e3e3" stroke-width="0.5"/>`);
    out.push(`<text x="${n(left - 4)}" y="${n(y + fs * 0.35)}" text-anchor="end" font-size="${fs}" fill="#222">${fmt(t, 2)}</text>`);
  }
  for (const t of xTicks) {
    const x = xOf(t);
    out.push(`<line x1="${n(x)}" y1="${n(bottom)}" x2="${n(x)}" y2="${n(bottom + 3)}" stroke="#555" stroke-width="0.7"/>`);
    out.push(`<text x="${n(x)}" y="${n(bottom + 3 + fs)}" text-anchor="middle" font-size="${fs}" fill="#222">${fmt(t, 0)}</text>`);
  }
  out.push(`<path d="M${n(left)} ${n(top)}V${n(bottom)}H${n(right)}" fill="none" stroke="#555" stroke-width="0.7"/>`);
  out.push(
    `<text x="${n((left + right) / 2)}" y="${n(bottom + fs * 3.2)}" text-anchor="middle" font-size="${fs}" fill="#222">Images per bag (bag size)</text>`,
  );
  const yl = (top + bottom) / 2;
  out.push(
    `<text x="${n(fs * 1.2)}" y="${n(yl)}" transform="rotate(-90 ${n(fs * 1.2)} ${n(yl)})" text-anchor="middle" font-size="${fs}" fill="#222">Score / fraction</text>`,
  );

  if (pts.length === 0) {
    out.push(
      `<text x="${n((left + right) / 2)}" y="${n((top + bottom) / 2)}" text-anchor="middle" font-size="${fs}" fill="#666">No stability data (too few images to form bags of several sizes).</text>`,
    );
  } else {
    // ±1 std band around the mean score.
    const upper = pts.map((p) => `${n(xOf(p.bagSize))} ${n(yOf(p.meanScore + p.stdScore))}`);
    const lower = pts.map((p) => `${n(xOf(p.bagSize))} ${n(yOf(p.meanScore - p.stdScore))}`).reverse();
    out.push(`<path class="band" d="M${upper.join('L')}L${lower.join('L')}Z" fill="${SERIES.score.colour}" fill-opacity="0.18" stroke="none"/>`);
    const line = (key: keyof typeof SERIES, get: (p: StabilityPoint) => number) => {
      const s = SERIES[key];
      const d = 'M' + pts.map((p) => `${n(xOf(p.bagSize))} ${n(yOf(get(p)))}`).join('L');
      const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
      out.push(`<path class="series-${key}" d="${d}" fill="none" stroke="${s.colour}" stroke-width="1.6"${dash}/>`);
      for (const p of pts) {
        out.push(`<circle cx="${n(xOf(p.bagSize))}" cy="${n(yOf(get(p)))}" r="2.2" fill="${s.colour}"/>`);
      }
    };
    line('score', (p) => p.meanScore);
    line('agreement', (p) => p.agreement);
    line('decorrelation', (p) => p.decorrelation);
  }

  // Legend above the plot, left to right, wrapping to a second row when the width runs out.
  const entries: [keyof typeof SERIES, string][] = [
    ['score', `${opts.scoreLabel ?? 'Score of the folder verdict'} (mean ± 1 sd)`],
    ['agreement', 'Bags agreeing with the folder verdict'],
    ['decorrelation', 'Decorrelation score (Eq. 6)'],
  ];
  let lx = left;
  let ly = titleH + fs * 0.8;
  for (const [key, label] of entries) {
    const s = SERIES[key];
    const w = 22 + estimateTextWidth(label, fs) + 14;
    if (lx > left && lx + w > right) {
      lx = left;
      ly += fs * 1.6;
    }
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(`<line x1="${n(lx)}" y1="${n(ly)}" x2="${n(lx + 18)}" y2="${n(ly)}" stroke="${s.colour}" stroke-width="1.6"${dash}/>`);
    out.push(`<text x="${n(lx + 22)}" y="${n(ly + fs * 0.35)}" font-size="${fs}" fill="#222">${escapeXml(label)}</text>`);
    lx += w;
  }
  out.push('</svg>');
  return out.join('');
}
