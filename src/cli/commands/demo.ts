import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { displayText } from '../../shared/display-text.js';
import { runDemo } from '../../engine/demo/index.js';
import { repoRoot } from '../../engine/version.js';
import { CliError, EXIT } from '../exit-codes.js';
import { addMethodOptions, formatVerdict, manifoldOptionsFrom } from '../common.js';
import { createProgressReporter } from '../progress.js';

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('build the synthetic demo (no downloads), enrol its library, attribute its cases and check the answers')
    .option('-o, --out <dir>', 'folder for the demo data, library and case results', path.join(repoRoot(), 'demo'))
    .option('--models <dir>', 'folder with phi.onnx, rho.onnx, model-card.json')
    .option('-q, --quiet', 'no progress output');
  addMethodOptions(cmd).action(async (o) => {
    const progress = createProgressReporter(process.stderr, o.quiet);
    const out = path.resolve(o.out);
    const run = await runDemo(out, {
      method: o.method,
      manifold: manifoldOptionsFrom(o),
      classifierEvidence: o.evidence,
      modelsDir: o.models,
      onProgress: (p) => progress.update(p),
      onCase: (c) => {
        progress.stop();
        writeFileSync(path.join(out, `${path.basename(c.folder)}.case.json`), `${JSON.stringify(c.result, null, 2)}\n`);
        process.stdout.write(`\n${c.ok ? '✓' : '✗'} ${displayText(c.folder)}: expected ${c.expected}, got ${c.got}\n`);
        process.stdout.write(`${formatVerdict(c.result.verdicts.folder, '  Folder').replace(/^/gm, '  ')}\n`);
      },
    });
    progress.stop();
    const right = run.outcomes.filter((c) => c.ok).length;
    process.stdout.write(
      `\n${right}/${run.outcomes.length} demo cases as expected · library ${displayText(run.libraryPath)} · case results ${displayText(`${out}/*.case.json`)}\n`,
    );
    if (right !== run.outcomes.length) throw new CliError('some demo verdicts differ from the known answers', EXIT.failure);
  });
}
