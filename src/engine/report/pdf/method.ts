// Section 3, method and parameters.
import type { CaseParams } from '../../types.js';
import { methodParagraphs } from '../prose.js';
import { displayText } from '../../../shared/display-text.js';
import type { Writer } from './writer.js';

export function writeMethod(w: Writer): void {
  const { c } = w;
  // ---- 3. Method and parameters ------------------------------------------------------------
  w.heading('3. Method and parameters');
  const p = c.params;
  w.keyValues([
    ['Method', methodText(p)],
    ...manifoldRows(p),
    ['Bag size', `${p.bagSize} images`],
    ['Number of bags', String(p.bags)],
    ['Random seed', String(p.seed)],
    ['Canvas', `${p.canvas} x ${p.canvas} pixels (centre crop, no resampling)`],
    ['Execution provider', p.provider],
    ['Threads', String(p.threads)],
  ]);
  for (const para of methodParagraphs(p)) w.para(para.text, { lead: `${para.title}.` });
}

const ESTIMATE_TEXT = {
  projector: 'projector (a learned projection onto real images; any image domain)',
  knn: "knn (the nearest images of a real reference set of the evidence's domain)",
} as const;

/** The Method line of the parameters: which method and, for manifold, which estimate. */
function methodText(p: CaseParams): string {
  if (p.method === 'dsf') return 'dsf: set-based fingerprints (set encoder), with residual correlation';
  if (p.method === 'residual') return 'residual: residual fingerprints (correlation)';
  const estimate = p.manifold?.estimate;
  return `manifold: manifold artifacts (ManiFPT), ${estimate ? `${estimate} estimate` : 'estimate not recorded'}`;
}

/**
 * Parameter rows of the manifold method: what the artifact was measured against. A knn verdict
 * depends on the reference set as much as on the library, so it is named with its size.
 */
function manifoldRows(p: CaseParams): [string, string, ('mono' | 'bold')?][] {
  const m = p.manifold;
  if (!m) return [];
  const rows: [string, string, ('mono' | 'bold')?][] = [
    ['Manifold estimate', ESTIMATE_TEXT[m.estimate] ?? m.estimate],
    ['Artifact definition', m.definition],
  ];
  if (m.reference) {
    const r = m.reference;
    rows.push([
      'Real reference set',
      `${displayText(r.name)} (library entry ${r.id}, family ${displayText(r.family)}, ${r.images} image${r.images === 1 ? '' : 's'})`,
    ]);
  }
  if (m.k !== undefined) rows.push(['Nearest neighbours (k)', String(m.k)]);
  if (m.index) rows.push(['Neighbour search', m.index]);
  if (m.featureSpace) rows.push(['Feature space', m.featureSpace]);
  if (m.projectorSha256) rows.push(['Projector projector.onnx, SHA-256', m.projectorSha256, 'mono']);
  return rows;
}
