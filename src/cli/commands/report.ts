// `genprint report CASE.json -o report.pdf [--format pdf|json|csv]`: the same writeReport the
// app's Export button calls.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  CaseFormatError,
  formatFingerprint,
  formatFromPath,
  installationSigningKey,
  loadCase,
  writeReport,
  type ReportFormat,
} from '../../engine/report/index.js';
import { parseChoice } from '../common.js';
import { CliError, EXIT } from '../exit-codes.js';
import { displayText } from '../../shared/display-text.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description("write the forensic report (PDF, JSON or CSV) for a case, signed with this installation's key (PDF, JSON), with its SHA-256 beside it")
    .argument('<case>', 'case JSON (from `genprint attribute --json`) or an earlier report PDF/JSON')
    .option('-o, --output <file>', 'report file (default: <case>.report.<format> beside the case)')
    .option('-f, --format <format>', 'pdf, json or csv (default: from the output extension, else pdf)', parseChoice(['pdf', 'json', 'csv'] as const))
    .action(async (casePath: string, o: { output?: string; format?: ReportFormat }) => {
      if (!existsSync(casePath)) throw new CliError(`no such file: ${casePath}`, EXIT.input);
      const format: ReportFormat = o.format ?? (o.output ? formatFromPath(o.output) : null) ?? 'pdf';
      const out = o.output ?? path.join(path.dirname(casePath), `${path.basename(casePath).replace(/\.(json|pdf)$/i, '')}.report.${format}`);
      if (path.resolve(out) === path.resolve(casePath)) throw new CliError('the report would overwrite the case file; choose another -o', EXIT.usage);
      // Checked here so the error names the folder the user gave, not the report's internal temp file.
      const outDir = path.dirname(path.resolve(out));
      if (!existsSync(outDir)) throw new CliError(`no such folder for the report: ${outDir}`, EXIT.input);
      if (!statSync(outDir).isDirectory()) throw new CliError(`not a folder: ${outDir} (for the report ${out})`, EXIT.input);
      let caseResult;
      try {
        ({ caseResult } = await loadCase(casePath));
      } catch (err) {
        if (err instanceof CaseFormatError || err instanceof SyntaxError) throw new CliError((err as Error).message, EXIT.input);
        throw err;
      }
      const signingKey = format === 'csv' ? undefined : installationSigningKey();
      const r = await writeReport(caseResult, out, { format, signingKey });
      process.stdout.write(
        `${displayText(r.path)}\n  ${r.format.toUpperCase()}, ${r.bytes} bytes${r.pages ? `, ${r.pages} pages` : ''}\n  SHA-256 ${r.sha256} (${displayText(r.sha256Path)})\n` +
          (r.signedBy ? `  signed with this installation's key ${formatFingerprint(r.signedBy)}\n` : '  not signed (CSV is a table export)\n'),
      );
    });
}
