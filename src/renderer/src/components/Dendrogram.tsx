import { useState, type JSX } from 'react';
import type { ClusteringResult, DendrogramNode } from '../../../shared/types.js';
import { ellipsizeMiddle, estimateTextWidth, fmt } from '../../../shared/svg/text.js';
import { niceTicks } from '../../../shared/svg/ticks.js';
import { displayText } from '../../../shared/display-text.js';

const FS = 11;
const SPACING = 22;

function leavesOf(node: DendrogramNode, acc: DendrogramNode[] = []): DendrogramNode[] {
  if (!node.children?.length) acc.push(node);
  else for (const c of node.children) leavesOf(c, acc);
  return acc;
}

interface Merge {
  x: number;
  y: number;
  height: number;
  members: string[];
}

/** Root on the left, leaves on the right in the clustering's leaf order (the heatmaps use the same order). */
export function Dendrogram({ clustering, highlight = [], width = 900 }: { clustering: ClusteringResult; highlight?: string[]; width?: number }) {
  const [hover, setHover] = useState<Merge | null>(null);
  const leaves = leavesOf(clustering.tree);
  const labelOf = (l: DendrogramNode) => l.label ?? (l.index !== undefined ? clustering.labels[l.index] : undefined) ?? '?';
  const pos = new Map<DendrogramNode, number>();
  leaves.forEach((l, k) => {
    const p = l.index !== undefined ? clustering.order.indexOf(l.index) : -1;
    pos.set(l, p >= 0 ? p : k);
  });

  const labels = leaves.map((l) => ellipsizeMiddle(displayText(labelOf(l)), 32));
  // Bold labels run wider than the estimate; leave room so they are not clipped.
  const labelW = Math.max(40, ...labels.map((l) => estimateTextWidth(l, FS))) * 1.15 + 16;
  const left = 16;
  const right = width - labelW;
  const maxH = Math.max(1e-9, clustering.tree.height, ...leaves.map((l) => l.height));
  const ticks = niceTicks(0, maxH, 8);
  const axisMax = Math.max(maxH, ticks.at(-1) ?? maxH);
  const xOf = (h: number) => right - (h / axisMax) * (right - left);
  const yOf = (p: number) => 8 + SPACING / 2 + p * SPACING;
  const plotBottom = 8 + leaves.length * SPACING;
  const height = plotBottom + 40;

  const segs: JSX.Element[] = [];
  const merges: Merge[] = [];
  const draw = (node: DendrogramNode): { y: number; members: string[] } => {
    if (!node.children?.length) return { y: yOf(pos.get(node) ?? 0), members: [displayText(labelOf(node))] };
    const kids = node.children.map(draw);
    const x = xOf(node.height);
    const ys = kids.map((k) => k.y);
    segs.push(<line key={`v${segs.length}`} x1={x} x2={x} y1={Math.min(...ys)} y2={Math.max(...ys)} />);
    node.children.forEach((c, i) => {
      const cx = c.children?.length ? xOf(c.height) : right;
      segs.push(<line key={`h${segs.length}`} x1={x} x2={cx} y1={ys[i]} y2={ys[i]} />);
    });
    const y = (Math.min(...ys) + Math.max(...ys)) / 2;
    const members = kids.flatMap((k) => k.members);
    merges.push({ x, y, height: node.height, members });
    return { y, members };
  };
  draw(clustering.tree);
  const hl = new Set(highlight);

  return (
    <figure className="chart dendrogram" data-testid="dendrogram">
      <div className="chart-body" style={{ width }}>
        <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Dendrogram of ${leaves.length} library entries`}>
          {ticks.map((t) => (
            <g key={t}>
              <line x1={xOf(t)} x2={xOf(t)} y1={8} y2={plotBottom} className="grid" />
              <text x={xOf(t)} y={plotBottom + 14} fontSize={10} textAnchor="middle" className="label">
                {fmt(t, 2)}
              </text>
            </g>
          ))}
          <text x={(left + right) / 2} y={plotBottom + 32} fontSize={11} textAnchor="middle" className="label">
            Merge distance
          </text>
          <g className="tree">{segs}</g>
          {merges.map((m, i) => (
            <circle
              key={i}
              cx={m.x}
              cy={m.y}
              r={hover === m ? 5 : 3.5}
              className="merge"
              tabIndex={0}
              aria-label={`Merge at ${fmt(m.height, 3)} of ${m.members.join(', ')}`}
              onMouseEnter={() => setHover(m)}
              onMouseLeave={() => setHover(null)}
              onFocus={() => setHover(m)}
              onBlur={() => setHover(null)}
            />
          ))}
          {leaves.map((l, k) => (
            <text key={k} x={right + 6} y={yOf(pos.get(l) ?? k) + FS * 0.35} fontSize={FS} className={hl.has(labelOf(l)) ? 'label strong' : 'label'}>
              <title>{displayText(labelOf(l))}</title>
              {labels[k]}
            </text>
          ))}
        </svg>
        {hover && (
          <div className="tooltip" role="status" style={{ left: Math.min(width - 220, hover.x + 8), top: hover.y + 6 }}>
            <div className="tooltip-value">distance {fmt(hover.height, 4)}</div>
            <div className="muted">
              {hover.members.length} entries: {hover.members.slice(0, 6).join(', ')}
              {hover.members.length > 6 ? ', …' : ''}
            </div>
          </div>
        )}
      </div>
    </figure>
  );
}
