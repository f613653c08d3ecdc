// Colour scales for the charts. Sequential data (probabilities, |corr|) uses viridis, which stays
// readable in greyscale print and for colour-blind readers; signed data uses a blue–white–red
// diverging scale centred on zero so that the sign is visible at a glance.
import { FONT_FAMILY, escapeXml, fmt, n } from './text.js';

type Rgb = [number, number, number];

// Viridis sampled at nine evenly spaced stops (matplotlib's table), interpolated linearly between.
const VIRIDIS: Rgb[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

// ColorBrewer RdBu (reversed so that negative is blue), 9 classes.
const DIVERGING: Rgb[] = [
  [33, 102, 172],
  [67, 147, 195],
  [146, 197, 222],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [244, 165, 130],
  [214, 96, 77],
  [178, 24, 43],
];

export type ScaleKind = 'sequential' | 'diverging';

export interface ColourScale {
  kind: ScaleKind;
  min: number;
  max: number;
  /** CSS hex colour for a value; values outside [min, max] are clamped, NaN is grey. */
  colour(value: number): string;
  /** Black or white, whichever reads better on colour(value). */
  textColour(value: number): string;
}

function hex([r, g, b]: Rgb): string {
  return '#' + [r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');
}

function sample(stops: Rgb[], t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function colourScale(kind: ScaleKind, min: number, max: number): ColourScale {
  // Diverging scales are symmetric about zero so that equal magnitudes get equal saturation.
  if (kind === 'diverging') {
    const m = Math.max(Math.abs(min), Math.abs(max)) || 1;
    min = -m;
    max = m;
  } else if (!(max > min)) {
    max = min + 1;
  }
  const stops = kind === 'diverging' ? DIVERGING : VIRIDIS;
  const rgb = (v: number): Rgb | null => (Number.isFinite(v) ? sample(stops, (v - min) / (max - min)) : null);
  return {
    kind,
    min,
    max,
    colour: (v) => {
      const c = rgb(v);
      return c ? hex(c) : '#bdbdbd';
    },
    textColour: (v) => {
      const c = rgb(v);
      return c && luminance(c) < 0.35 ? '#ffffff' : '#000000';
    },
  };
}

/** Picks a scale for a set of values: diverging when any is negative, sequential otherwise. */
export function autoScale(values: number[], opts: { min?: number; max?: number; kind?: ScaleKind } = {}): ColourScale {
  const finite = values.filter(Number.isFinite);
  const lo = opts.min ?? (finite.length ? Math.min(...finite) : 0);
  const hi = opts.max ?? (finite.length ? Math.max(...finite) : 1);
  const kind = opts.kind ?? (lo < 0 ? 'diverging' : 'sequential');
  return colourScale(kind, lo, hi);
}

export interface LegendOptions {
  x: number;
  y: number;
  width?: number;
  height: number;
  label?: string;
  decimals?: number;
  fontSize?: number;
}

/**
 * A vertical colour bar with min/mid/max ticks, as an SVG fragment (a <g>). Drawn as stacked
 * rects rather than a gradient so that every renderer (librsvg, svg-to-pdfkit, browsers) agrees.
 */
export function legendSvg(scale: ColourScale, o: LegendOptions): string {
  const width = o.width ?? 12;
  const steps = 48;
  const fs = o.fontSize ?? 9;
  const decimals = o.decimals ?? 2;
  const parts: string[] = [`<g class="legend">`];
  const h = o.height / steps;
  for (let i = 0; i < steps; i++) {
    // Top of the bar is the maximum.
    const v = scale.max - ((i + 0.5) / steps) * (scale.max - scale.min);
    parts.push(`<rect x="${n(o.x)}" y="${n(o.y + i * h)}" width="${n(width)}" height="${n(h + 0.3)}" fill="${scale.colour(v)}"/>`);
  }
  parts.push(`<rect x="${n(o.x)}" y="${n(o.y)}" width="${n(width)}" height="${n(o.height)}" fill="none" stroke="#555" stroke-width="0.5"/>`);
  const ticks = [scale.max, (scale.max + scale.min) / 2, scale.min];
  ticks.forEach((v, i) => {
    const ty = o.y + (i / 2) * o.height;
    parts.push(`<line x1="${n(o.x + width)}" y1="${n(ty)}" x2="${n(o.x + width + 3)}" y2="${n(ty)}" stroke="#555" stroke-width="0.5"/>`);
    parts.push(
      `<text x="${n(o.x + width + 5)}" y="${n(ty + fs * 0.35)}" font-family="${FONT_FAMILY}" font-size="${fs}" fill="#222">${escapeXml(fmt(v, decimals))}</text>`,
    );
  });
  if (o.label) {
    const lx = o.x + width + 5 + fs * 3.2;
    const ly = o.y + o.height / 2;
    parts.push(
      `<text x="${n(lx)}" y="${n(ly)}" transform="rotate(90 ${n(lx)} ${n(ly)})" text-anchor="middle" font-family="${FONT_FAMILY}" font-size="${fs}" fill="#222">${escapeXml(o.label)}</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('');
}
