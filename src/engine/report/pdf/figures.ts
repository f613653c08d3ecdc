// Section 2, figures: the heatmaps, the dendrogram and the stability chart, drawn from the shared SVG.
import type { ClusteringResult, DendrogramNode, LabelledMatrix } from '../../types.js';
import { dendrogramSvg, heatmapSvg, stabilitySvg } from '../../../shared/svg/index.js';
import { num } from './text.js';
import { CONTENT_W, t, type Writer } from './writer.js';
import { displayText } from '../../../shared/display-text.js';

/** A label as the figures show it: escaped (display-text.ts), then in the PDF fonts' code page. */
const shown = (label: string) => t(displayText(label));

export function writeFigures(w: Writer): void {
  const { c } = w;
  const folder = c.verdicts.folder;
  // ---- 2. Figures ---------------------------------------------------------------------------
  w.heading('2. Figures');
  const order = c.clustering?.order;
  const evl = c.correlation.evidenceVsLibrary;
  if (evl.rows.length && evl.cols.length) {
    w.figure(
      heatmapSvg(sanitiseMatrix(evl), {
        title: 'Evidence versus library',
        rowTitle: 'Evidence group',
        colTitle: 'Library entry',
        legendLabel: 'mean |corr| (Eq. 4)',
        colOrder: order && order.length === evl.cols.length ? order : undefined,
        markRowMax: true,
        width: CONTENT_W,
        decimals: 2,
      }),
      'Mean absolute correlation between the residuals of each evidence group and each library fingerprint (Eq. 4, with the ' +
        'evidence in place of held-out images). A framed cell marks the highest value in its row. Values are relative: compare ' +
        'a row across entries, not with other cases.',
    );
  }
  const lvl = c.correlation.libraryVsLibrary;
  if (lvl.rows.length && lvl.cols.length) {
    const ok = order && order.length === lvl.rows.length && lvl.rows.length === lvl.cols.length;
    w.figure(
      heatmapSvg(sanitiseMatrix(lvl), {
        title: 'Library versus library',
        legendLabel: 'mean |corr| (Eq. 5)',
        rowOrder: ok ? order : undefined,
        colOrder: ok ? order : undefined,
        width: CONTENT_W,
      }),
      `Correlation between the library's fingerprints (Eq. 5), in dendrogram order. A strong diagonal and weak off-diagonal ` +
        `values mean the entries are distinguishable; decorrelation score (Eq. 6) ${num(c.correlation.decorrelationScore, 3)}.`,
    );
  }
  if (c.clustering && c.clustering.labels.length > 1) {
    w.figure(
      dendrogramSvg(sanitiseClustering(c.clustering), {
        title: 'Similarity of the library entries',
        highlight: folder.label && !folder.unknown ? [shown(folder.label)] : [],
        width: CONTENT_W,
      }),
      `Hierarchical clustering (${c.clustering.linkage} linkage) of the library entries by ${c.clustering.space === 'embeddings' ? 'the distance between their set-encoder embeddings (bag-embedding centroids)' : c.clustering.space === 'residual-correlation' ? 'the correlation of their residual fingerprints (Eq. 5)' : 'fingerprint similarity'}; entries joined ` +
        `further to the right are more alike and easier to confuse. Cophenetic correlation ${num(c.clustering.copheneticCorrelation)}. ` +
        'The entry of the folder verdict is in bold.',
    );
  }
  w.figure(
    stabilitySvg(c.stability, {
      title: 'Stability of the verdict with the number of images',
      scoreLabel: folder.label && !folder.unknown ? t(`Score of ${displayText(folder.label)}`) : 'Score of the nearest entry',
      width: CONTENT_W,
      height: 250,
    }),
    'For bags of increasing size drawn from the evidence: the score of the folder verdict (line, with a band of one standard ' +
      'deviation across bags), the share of bags that reach the same verdict, and the decorrelation score. A verdict that holds ' +
      'only for the largest bags, or whose band stays wide, rests on weaker evidence.',
  );
}

function sanitiseMatrix(m: LabelledMatrix): LabelledMatrix {
  return { rows: m.rows.map(shown), cols: m.cols.map(shown), values: m.values };
}

function sanitiseClustering(c: ClusteringResult): ClusteringResult {
  const walk = (node: DendrogramNode): DendrogramNode => ({
    ...node,
    label: node.label === undefined ? undefined : shown(node.label),
    children: node.children?.map(walk),
  });
  return { ...c, labels: c.labels.map(shown), tree: walk(c.tree) };
}
