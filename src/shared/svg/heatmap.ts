// Heatmap of a labelled matrix (evidence × library correlations, library × library, ...).
import type { LabelledMatrix } from '../types.js';
import { autoScale, legendSvg, type ScaleKind } from './colour.js';
import { ellipsizeMiddle, escapeXml, estimateTextWidth, fmt, n, svgHeader } from './text.js';

export interface HeatmapOptions {
  title?: string;
  /** Axis titles, e.g. "Evidence group" and "Library entry". */
  rowTitle?: string;
  colTitle?: string;
  /** Total width in px the chart may use; cells shrink to fit. Default 520. */
  width?: number;
  /** Largest cell side in px. Default 40. */
  maxCell?: number;
  /** Colour range; defaults to the data range (diverging about 0 when any value is negative). */
  min?: number;
  max?: number;
  scale?: ScaleKind;
  legendLabel?: string;
  /** Display order of rows / columns (indices into matrix.rows / matrix.cols), e.g. a dendrogram's leaf order. */
  rowOrder?: number[];
  colOrder?: number[];
  /** Print the value in each cell when there is room. Default true. */
  showValues?: boolean;
  decimals?: number;
  /** Labels longer than this are shortened in the middle. Default 28. */
  maxLabelChars?: number;
  /** Outline the cell holding each row's largest value. Default false. */
  markRowMax?: boolean;
  fontSize?: number;
}

function validOrder(order: number[] | undefined, len: number): number[] {
  const identity = Array.from({ length: len }, (_, i) => i);
  if (!order || order.length !== len) return identity;
  const seen = new Set(order);
  return seen.size === len && order.every((i) => Number.isInteger(i) && i >= 0 && i < len) ? order : identity;
}

export function heatmapSvg(matrix: LabelledMatrix, opts: HeatmapOptions = {}): string {
  const fs = opts.fontSize ?? 9;
  const maxChars = opts.maxLabelChars ?? 28;
  const decimals = opts.decimals ?? 2;
  const rowIdx = validOrder(opts.rowOrder, matrix.rows.length);
  const colIdx = validOrder(opts.colOrder, matrix.cols.length);
  const rowLabels = rowIdx.map((i) => ellipsizeMiddle(matrix.rows[i] ?? '', maxChars));
  const colLabels = colIdx.map((j) => ellipsizeMiddle(matrix.cols[j] ?? '', maxChars));
  const allValues = matrix.values.flat();
  const scale = autoScale(allValues, { min: opts.min, max: opts.max, kind: opts.scale });

  const width = opts.width ?? 520;
  const titleH = opts.title ? fs * 2.4 : 4;
  const rowLabelW = Math.max(20, ...rowLabels.map((l) => estimateTextWidth(l, fs))) + 8;
  const rowTitleW = opts.rowTitle ? fs * 1.8 : 0;
  const legendW = 14 + 12 + 5 + fs * 4.6;
  const nCols = Math.max(1, colIdx.length);
  const nRows = Math.max(1, rowIdx.length);
  const cell = Math.max(6, Math.min(opts.maxCell ?? 40, (width - rowTitleW - rowLabelW - legendW - 8) / nCols));
  // Column labels are drawn at -45°, so they need vertical room of about width/√2.
  const colLabelH = (Math.max(20, ...colLabels.map((l) => estimateTextWidth(l, fs))) + fs) * Math.SQRT1_2 + 6;
  const colTitleH = opts.colTitle ? fs * 2 : 0;
  const x0 = rowTitleW + rowLabelW;
  const y0 = titleH;
  const gridW = cell * nCols;
  const gridH = cell * nRows;
  const height = Math.ceil(y0 + gridH + colLabelH + colTitleH + 4);
  const totalW = Math.ceil(x0 + gridW + legendW);

  const out: string[] = [];
  out.push(...svgHeader(totalW, height, fs, opts.title));
  const showValues = (opts.showValues ?? true) && cell >= fs * 2.6;
  rowIdx.forEach((i, r) => {
    const row = matrix.values[i] ?? [];
    let maxJ = -1;
    if (opts.markRowMax) {
      let best = -Infinity;
      colIdx.forEach((j) => {
        const v = row[j] ?? NaN;
        if (Number.isFinite(v) && v > best) {
          best = v;
          maxJ = j;
        }
      });
    }
    colIdx.forEach((j, c) => {
      const v = row[j] ?? NaN;
      const x = x0 + c * cell;
      const y = y0 + r * cell;
      out.push(
        `<rect class="cell" data-row="${r}" data-col="${c}" x="${n(x)}" y="${n(y)}" width="${n(cell)}" height="${n(cell)}" fill="${scale.colour(v)}" stroke="#ffffff" stroke-width="0.5"/>`,
      );
      if (showValues) {
        out.push(
          `<text x="${n(x + cell / 2)}" y="${n(y + cell / 2 + fs * 0.35)}" text-anchor="middle" font-size="${fs}" fill="${scale.textColour(v)}">${escapeXml(fmt(v, decimals))}</text>`,
        );
      }
      if (j === maxJ) {
        out.push(`<rect x="${n(x + 1)}" y="${n(y + 1)}" width="${n(cell - 2)}" height="${n(cell - 2)}" fill="none" stroke="#000" stroke-width="1.5"/>`);
      }
    });
  });
  rowLabels.forEach((label, r) => {
    out.push(
      `<text class="row-label" x="${n(x0 - 5)}" y="${n(y0 + r * cell + cell / 2 + fs * 0.35)}" text-anchor="end" font-size="${fs}" fill="#222">${escapeXml(label)}</text>`,
    );
  });
  colLabels.forEach((label, c) => {
    const cx = x0 + c * cell + cell / 2;
    const cy = y0 + gridH + 5;
    out.push(
      `<text class="col-label" x="${n(cx)}" y="${n(cy + fs * 0.7)}" transform="rotate(-45 ${n(cx)} ${n(cy)})" text-anchor="end" font-size="${fs}" fill="#222">${escapeXml(label)}</text>`,
    );
  });
  out.push(`<rect x="${n(x0)}" y="${n(y0)}" width="${n(gridW)}" height="${n(gridH)}" fill="none" stroke="#555" stroke-width="0.5"/>`);
  if (opts.rowTitle) {
    const tx = fs;
    const ty = y0 + gridH / 2;
    out.push(
      `<text x="${n(tx)}" y="${n(ty)}" transform="rotate(-90 ${n(tx)} ${n(ty)})" text-anchor="middle" font-size="${fs}" font-weight="bold" fill="#222">${escapeXml(opts.rowTitle)}</text>`,
    );
  }
  if (opts.colTitle) {
    out.push(
      `<text x="${n(x0 + gridW / 2)}" y="${n(height - fs * 0.5)}" text-anchor="middle" font-size="${fs}" font-weight="bold" fill="#222">${escapeXml(opts.colTitle)}</text>`,
    );
  }
  out.push(
    legendSvg(scale, {
      x: x0 + gridW + 14,
      y: y0,
      height: Math.max(60, Math.min(gridH, 200)),
      label: opts.legendLabel,
      decimals,
      fontSize: fs,
    }),
  );
  out.push('</svg>');
  return out.join('');
}
