// Dendrogram of a hierarchical clustering, drawn left to right: root on the left, leaves on the
// right next to their labels, merge height on the x axis.
import type { ClusteringResult, DendrogramNode } from '../types.js';
import { ellipsizeMiddle, escapeXml, estimateTextWidth, fmt, n, svgHeader } from './text.js';
import { niceTicks } from './ticks.js';

export interface DendrogramOptions {
  title?: string;
  width?: number;
  /** Vertical space per leaf in px. Default 18. */
  leafSpacing?: number;
  axisLabel?: string;
  maxLabelChars?: number;
  fontSize?: number;
  /** Leaf labels to emphasise (e.g. the verdict's entry), drawn bold. */
  highlight?: string[];
}

function leavesOf(node: DendrogramNode, acc: DendrogramNode[] = []): DendrogramNode[] {
  if (!node.children?.length) acc.push(node);
  else for (const c of node.children) leavesOf(c, acc);
  return acc;
}

export function dendrogramSvg(clustering: ClusteringResult, opts: DendrogramOptions = {}): string {
  const fs = opts.fontSize ?? 9;
  const maxChars = opts.maxLabelChars ?? 32;
  const spacing = opts.leafSpacing ?? 18;
  const width = opts.width ?? 520;
  const leaves = leavesOf(clustering.tree);
  const labelOf = (leaf: DendrogramNode) => leaf.label ?? (leaf.index !== undefined ? clustering.labels[leaf.index] : undefined) ?? '?';

  // Leaf rows follow clustering.order when it is a permutation of the leaf indices; otherwise the
  // tree's own left-to-right order (which is a valid dendrogram order by construction).
  const position = new Map<DendrogramNode, number>();
  const orderOk =
    clustering.order.length === leaves.length &&
    leaves.every((l) => l.index !== undefined && clustering.order.includes(l.index)) &&
    new Set(clustering.order).size === clustering.order.length;
  leaves.forEach((leaf, k) => position.set(leaf, orderOk ? clustering.order.indexOf(leaf.index!) : k));

  const titleH = opts.title ? fs * 2.4 : 4;
  const labels = leaves.map((l) => ellipsizeMiddle(labelOf(l), maxChars));
  const labelW = Math.max(20, ...labels.map((l) => estimateTextWidth(l, fs))) + 8;
  const left = 12;
  const right = width - labelW;
  const maxH = Math.max(1e-9, clustering.tree.height, ...leaves.map((l) => l.height));
  const ticks = niceTicks(0, maxH, 5);
  const axisMax = Math.max(maxH, ticks[ticks.length - 1] ?? maxH);
  const xOf = (h: number) => right - (h / axisMax) * (right - left);
  const yOf = (pos: number) => titleH + spacing / 2 + pos * spacing;
  const plotBottom = titleH + leaves.length * spacing;
  const height = Math.ceil(plotBottom + fs * 4.5);

  const segs: string[] = [];
  // Returns the y of a node's horizontal stem.
  const draw = (node: DendrogramNode): number => {
    if (!node.children?.length) return yOf(position.get(node) ?? 0);
    const ys = node.children.map(draw);
    const x = xOf(node.height);
    node.children.forEach((child, i) => {
      segs.push(`M${n(x)} ${n(ys[i]!)}H${n(xOf(child.children?.length ? child.height : 0))}`);
    });
    segs.push(`M${n(x)} ${n(Math.min(...ys))}V${n(Math.max(...ys))}`);
    return (Math.min(...ys) + Math.max(...ys)) / 2;
  };
  const rootY = draw(clustering.tree);

  const highlight = new Set(opts.highlight ?? []);
  const out: string[] = [];
  out.push(...svgHeader(width, height, fs, opts.title));
  for (const t of ticks) {
    const x = xOf(t);
    out.push(`<line x1="${n(x)}" y1="${n(titleH)}" x2="${n(x)}" y2="${n(plotBottom)}" stroke="#e3e3e3" stroke-width="0.5"/>`);
  }
  out.push(`<path d="${segs.join('')}M${n(xOf(clustering.tree.height))} ${n(rootY)}H${n(left - 6)}" fill="none" stroke="#1f3b63" stroke-width="1.2"/>`);
  leaves.forEach((leaf, k) => {
    const y = yOf(position.get(leaf) ?? 0);
    const bold = highlight.has(labelOf(leaf)) ? ' font-weight="bold"' : '';
    out.push(
      `<text class="leaf" data-index="${leaf.index ?? ''}" x="${n(right + 5)}" y="${n(y + fs * 0.35)}" font-size="${fs}"${bold} fill="#222">${escapeXml(labels[k]!)}</text>`,
    );
  });
  // Axis.
  out.push(`<line x1="${n(left)}" y1="${n(plotBottom)}" x2="${n(right)}" y2="${n(plotBottom)}" stroke="#555" stroke-width="0.7"/>`);
  for (const t of ticks) {
    const x = xOf(t);
    out.push(`<line x1="${n(x)}" y1="${n(plotBottom)}" x2="${n(x)}" y2="${n(plotBottom + 3)}" stroke="#555" stroke-width="0.7"/>`);
    out.push(`<text x="${n(x)}" y="${n(plotBottom + 3 + fs)}" text-anchor="middle" font-size="${fs}" fill="#222">${escapeXml(fmt(t, 2))}</text>`);
  }
  const axisLabel = opts.axisLabel ?? `Merge distance (${clustering.linkage} linkage)`;
  out.push(
    `<text x="${n((left + right) / 2)}" y="${n(plotBottom + fs * 3.4)}" text-anchor="middle" font-size="${fs}" fill="#222">${escapeXml(axisLabel)}</text>`,
  );
  out.push('</svg>');
  return out.join('');
}
