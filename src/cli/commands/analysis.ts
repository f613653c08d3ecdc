// `genprint correlate` and `genprint cluster`: the library's correlation analysis (Eq. 5–6) and
// its hierarchical clustering into families.
import type { Command } from 'commander';
import { analyseCase, analyseLibrary, type DendrogramNode, type LabelledMatrix } from '../../engine/index.js';
import { mapErrors, parseChoice } from '../common.js';
import { displayJson, displayText } from '../../shared/display-text.js';

export function formatMatrix(m: LabelledMatrix, digits = 3): string {
  const rows = m.rows.map(displayText);
  const w = Math.max(8, ...rows.map((r) => r.length));
  const cols = m.cols.map((_, j) => `#${j + 1}`.padStart(digits + 4));
  const lines = [`${''.padEnd(w)} ${cols.join('')}`];
  rows.forEach((r, i) => {
    lines.push(`${r.padEnd(w)} ${m.values[i].map((v) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a').padStart(digits + 4)).join('')}`);
  });
  lines.push(`columns: ${m.cols.map((c, j) => `#${j + 1} ${displayText(c)}`).join(', ')}`);
  return lines.join('\n');
}

function formatTree(node: DendrogramNode, indent = ''): string {
  if (!node.children || node.children.length === 0) return `${indent}${node.label === undefined ? node.index : displayText(node.label)}`;
  return [`${indent}+ (height ${node.height.toFixed(3)})`, ...node.children.map((c) => formatTree(c, `${indent}  `))].join('\n');
}

export function registerAnalysis(program: Command): void {
  program
    .command('correlate')
    .description('correlation analysis: the library matrix (Eq. 5) and its decorrelation score (Eq. 6), or, given a folder, evidence × library (Eq. 4)')
    .requiredOption('-l, --library <file>', 'library file')
    .option(
      '--residuals <kind>',
      'wavelet (denoiser residuals, default) or projector (manifold artifacts x − P(x), ManiFPT)',
      parseChoice(['wavelet', 'projector'] as const),
      'wavelet',
    )
    .option('--json', 'print JSON')
    .argument('[folder]', 'suspect folder (read-only): correlate its images with every library fingerprint')
    .action(async (folder: string | undefined, o) => {
      const what = o.residuals === 'projector' ? 'projector artifacts x − P(x)' : 'residuals';
      if (folder) {
        const method = o.residuals === 'projector' ? 'manifold' : 'residual';
        const r = await mapErrors(() =>
          analyseCase({ libraryPath: o.library, caseRoot: folder, method, manifold: method === 'manifold' ? { estimate: 'projector' } : undefined }),
        );
        if (o.json) return void process.stdout.write(`${displayJson(r.correlation.evidenceVsLibrary)}\n`);
        process.stdout.write(`rows: evidence groups; columns: entry fingerprints; values: mean |corr| of the images' ${what} (Eq. 4)\n`);
        process.stdout.write(`${formatMatrix(r.correlation.evidenceVsLibrary, 4)}\n`);
        return;
      }
      const a = await mapErrors(() => analyseLibrary(o.library, { space: 'residual', residuals: o.residuals }));
      if (o.json) return void process.stdout.write(`${displayJson(a)}\n`);
      process.stdout.write(`rows: held-out enrolment ${what} of each entry; columns: entry fingerprints; values: mean |corr| (Eq. 5)\n`);
      process.stdout.write(`${formatMatrix(a.libraryVsLibrary)}\n`);
      process.stdout.write(
        `decorrelation score (Eq. 6 as printed, (1/M²)·‖ρ − I‖_F; 0 = every fingerprint distinct): ${a.decorrelationScore.toFixed(4)}\n` +
          `diagonal contrast (mean diagonal − mean off-diagonal; > 0 = fingerprints are distinct): ${a.diagonalContrast.toFixed(4)}\n`,
      );
    });

  program
    .command('cluster')
    .description('hierarchical clustering of the library entries into families')
    .requiredOption('-l, --library <file>', 'library file')
    .option('--linkage <method>', 'average, complete or ward', parseChoice(['average', 'complete', 'ward'] as const), 'average')
    .option('--space <space>', 'auto (embeddings when available), embeddings or residual', parseChoice(['auto', 'embeddings', 'residual'] as const), 'auto')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const a = await mapErrors(() => analyseLibrary(o.library, { linkage: o.linkage, space: o.space }));
      if (o.json) return void process.stdout.write(`${displayJson(a)}\n`);
      if (!a.clustering) return void process.stdout.write('fewer than two comparable entries: nothing to cluster\n');
      const c = a.clustering;
      process.stdout.write(`clustered on ${a.clusteredOn}, ${c.linkage} linkage; cophenetic correlation ${c.copheneticCorrelation.toFixed(3)}\n`);
      process.stdout.write(`leaf order: ${c.order.map((i) => displayText(c.labels[i] ?? '')).join(', ')}\n`);
      process.stdout.write(`${formatTree(c.tree)}\n`);
    });
}
