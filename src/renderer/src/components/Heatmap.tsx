import { useMemo, useState, type KeyboardEvent } from 'react';
import type { LabelledMatrix } from '../../../shared/api.js';
import { colourScale, type ColourScale } from '../../../shared/svg/colour.js';
import { ellipsizeMiddle, estimateTextWidth, fmt } from '../../../shared/svg/text.js';
import { ColourLegend } from './ColourLegend.js';
import { displayText } from '../../../shared/display-text.js';

const FS = 11;
const MAX_LABEL = 24;

function validOrder(order: number[] | undefined, n: number): number[] {
  const id = Array.from({ length: n }, (_, i) => i);
  return order && order.length === n && new Set(order).size === n && order.every((i) => i >= 0 && i < n) ? order : id;
}

/** Sequential scale for non-negative data; symmetric diverging scale about 0 when any value is negative. */
function scaleFor(values: number[]): ColourScale {
  const finite = values.filter(Number.isFinite);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  if (lo < 0) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return colourScale('diverging', -m, m);
  }
  return colourScale('sequential', Math.min(0, lo), hi > 0 ? hi : 1);
}

/** Enough decimals to tell values apart across the scale's range (2 to 4). */
function decimalsFor(scale: ColourScale): number {
  const range = Math.abs(scale.max - scale.min);
  if (!(range > 0)) return 2;
  return Math.min(4, Math.max(2, Math.ceil(-Math.log10(range)) + 1));
}

export interface HeatmapProps {
  title: string;
  matrix: LabelledMatrix;
  rowOrder?: number[];
  colOrder?: number[];
  rowTitle: string;
  colTitle: string;
  legendLabel: string;
  /** Column labels drawn bold (e.g. the verdict's entry). */
  highlightCols?: string[];
  width?: number;
}

export function Heatmap(props: HeatmapProps) {
  const { matrix } = props;
  const rows = validOrder(props.rowOrder, matrix.rows.length);
  const cols = validOrder(props.colOrder, matrix.cols.length);
  const scale = useMemo(() => scaleFor(matrix.values.flat()), [matrix]);
  const [active, setActive] = useState<{ r: number; c: number } | null>(null);

  const width = props.width ?? 560;
  const rowLabels = rows.map((i) => ellipsizeMiddle(displayText(matrix.rows[i] ?? ''), MAX_LABEL));
  const colLabels = cols.map((j) => ellipsizeMiddle(displayText(matrix.cols[j] ?? ''), MAX_LABEL));
  // The estimate is for Helvetica; the UI font runs up to a fifth wider.
  const rowLabelW = Math.max(30, ...rowLabels.map((l) => estimateTextWidth(l, FS))) * 1.2 + 10;
  const colLabelH = (Math.max(30, ...colLabels.map((l) => estimateTextWidth(l, FS))) * 1.15 + 8) * Math.SQRT1_2 + FS;
  const legendW = 64;
  const cell = Math.max(12, Math.min(44, (width - rowLabelW - legendW - 16) / Math.max(1, cols.length)));
  const gridW = cell * cols.length;
  const gridH = cell * rows.length;
  const left = rowLabelW;
  const top = colLabelH;
  const svgW = Math.ceil(left + gridW + 16 + legendW);
  const svgH = Math.ceil(top + Math.max(gridH, 120) + 8);
  const showValues = cell >= 34;
  const decimals = decimalsFor(scale);

  const onKey = (e: KeyboardEvent) => {
    if (!rows.length || !cols.length) return;
    const cur = active ?? { r: 0, c: 0 };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key === 'Escape') return setActive(null);
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    setActive({ r: Math.min(rows.length - 1, Math.max(0, cur.r + m[0])), c: Math.min(cols.length - 1, Math.max(0, cur.c + m[1])) });
  };

  const activeValue = active ? matrix.values[rows[active.r]!]?.[cols[active.c]!] : undefined;
  const highlight = new Set(props.highlightCols ?? []);

  return (
    <figure className="chart heatmap" data-testid="heatmap">
      <figcaption>{props.title}</figcaption>
      <div className="chart-body" style={{ width: svgW }}>
        <svg
          width={svgW}
          height={svgH}
          viewBox={`0 0 ${svgW} ${svgH}`}
          role="img"
          tabIndex={0}
          aria-label={`${props.title}: ${matrix.rows.length} ${props.rowTitle.toLowerCase()} rows by ${matrix.cols.length} ${props.colTitle.toLowerCase()} columns. Arrow keys read cells.`}
          onKeyDown={onKey}
          onFocus={() => setActive((a) => a ?? { r: 0, c: 0 })}
          onBlur={() => setActive(null)}
          onMouseLeave={() => setActive(null)}
        >
          {colLabels.map((l, k) => {
            const x = left + (k + 0.5) * cell;
            return (
              <text
                key={`c${k}`}
                transform={`translate(${x} ${top - 6}) rotate(-45)`}
                fontSize={FS}
                className={highlight.has(matrix.cols[cols[k]!]!) ? 'label strong' : 'label'}
              >
                <title>{displayText(matrix.cols[cols[k]!] ?? '')}</title>
                {l}
              </text>
            );
          })}
          {rowLabels.map((l, k) => (
            <text key={`r${k}`} x={left - 6} y={top + (k + 0.5) * cell + FS * 0.35} fontSize={FS} textAnchor="end" className="label">
              <title>{displayText(matrix.rows[rows[k]!] ?? '')}</title>
              {l}
            </text>
          ))}
          {rows.map((ri, r) =>
            cols.map((ci, c) => {
              const v = matrix.values[ri]?.[ci] ?? NaN;
              return (
                <g key={`${r}-${c}`} onMouseEnter={() => setActive({ r, c })}>
                  <rect x={left + c * cell} y={top + r * cell} width={cell} height={cell} fill={scale.colour(v)} stroke="var(--bg-card)" strokeWidth={1} />
                  {showValues && (
                    <text
                      x={left + (c + 0.5) * cell}
                      y={top + (r + 0.5) * cell + FS * 0.35}
                      fontSize={FS - 1}
                      textAnchor="middle"
                      fill={scale.textColour(v)}
                      pointerEvents="none"
                    >
                      {fmt(v, decimals)}
                    </text>
                  )}
                </g>
              );
            }),
          )}
          {active && (
            <rect
              x={left + active.c * cell}
              y={top + active.r * cell}
              width={cell}
              height={cell}
              fill="none"
              stroke="var(--fg)"
              strokeWidth={2}
              pointerEvents="none"
            />
          )}
          <ColourLegend decimals={decimals} scale={scale} x={left + gridW + 16} y={top} height={Math.max(gridH, 120)} label={props.legendLabel} />
        </svg>
        {active && activeValue !== undefined && (
          <div
            className="tooltip"
            role="status"
            style={{ left: Math.max(0, Math.min(svgW - 200, left + active.c * cell)), top: top + (active.r + 1) * cell + 4 }}
          >
            <div>
              <span className="muted">{props.rowTitle}:</span> {displayText(matrix.rows[rows[active.r]!] ?? '')}
            </div>
            <div>
              <span className="muted">{props.colTitle}:</span> {displayText(matrix.cols[cols[active.c]!] ?? '')}
            </div>
            <div className="tooltip-value">
              {props.legendLabel} = {fmt(activeValue, 4)}
            </div>
          </div>
        )}
      </div>
    </figure>
  );
}
