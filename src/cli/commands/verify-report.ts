// `genprint verify-report REPORT EVIDENCE_FOLDER`: re-hash the evidence and compare it with the
// report's manifest. Exit 0 when everything matches, 5 (EXIT.mismatch) otherwise.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { CaseFormatError, verifyReport, type VerifyResult } from '../../main/engine/report/index.js';
import { requireFolder } from '../common.js';
import { withCancellation } from '../cancel.js';
import { CliError, EXIT } from '../exit-codes.js';

export function formatVerify(r: VerifyResult, all = false): string {
  const out: string[] = [];
  out.push(`case ${r.caseId} · manifest from ${r.source === 'pdf' ? 'the PDF (embedded case.json)' : 'the case JSON'}`);
  const rep = r.report;
  out.push(
    rep.status === 'match'
      ? `report: matches ${rep.checksumPath} (SHA-256 ${rep.sha256})`
      : rep.status === 'differs'
        ? `report: DIFFERS from ${rep.checksumPath} (recorded ${rep.expected}, now ${rep.sha256})`
        : `report: no .sha256 beside it to compare with (SHA-256 ${rep.sha256})`,
  );
  for (const f of r.files) {
    if (f.status === 'match' && !all) continue;
    const tag = f.status === 'match' ? 'match  ' : f.status === 'differs' ? 'DIFFERS' : f.status === 'missing' ? 'MISSING' : 'NEW    ';
    const detail =
      f.status === 'differs' && f.expectedSha256 && f.actualSha256
        ? ` (recorded ${f.expectedSha256.slice(0, 16)}…, now ${f.actualSha256.slice(0, 16)}…)`
        : f.status === 'new' && f.actualSha256
          ? ` (SHA-256 ${f.actualSha256.slice(0, 16)}…)`
          : '';
    out.push(`${tag} ${f.relPath}${detail}${f.note ? ` — ${f.note}` : ''}`);
  }
  const c = r.counts;
  out.push(`${c.match} match, ${c.differs} differ, ${c.missing} missing, ${c.new} new → ${r.ok ? 'VERIFIED: evidence unchanged' : 'NOT VERIFIED'}`);
  return out.join('\n');
}

export function registerVerifyReport(program: Command): void {
  program
    .command('verify-report')
    .description('re-hash an evidence folder (read-only) and compare it with a report: match, differs, missing, new')
    .argument('<report>', 'report PDF (with its embedded case.json) or case/report JSON')
    .argument('<evidence>', 'evidence folder')
    .option('-a, --all', 'list matching files too')
    .option('--json', 'print the result as JSON')
    .action(async (report: string, evidence: string, o: { all?: boolean; json?: boolean }) => {
      if (!existsSync(report)) throw new CliError(`no such file: ${report}`, EXIT.input);
      requireFolder(evidence);
      let result: VerifyResult;
      try {
        result = await withCancellation((signal) => verifyReport(report, evidence, { signal }));
      } catch (err) {
        if (err instanceof CaseFormatError || err instanceof SyntaxError) throw new CliError((err as Error).message, EXIT.input);
        throw err;
      }
      process.stdout.write((o.json ? JSON.stringify(result, null, 2) : formatVerify(result, o.all)) + '\n');
      if (!result.ok) throw new CliError(`verification failed: ${result.counts.differs} differ, ${result.counts.missing} missing, ${result.counts.new} new${result.report.status === 'differs' ? ', report file altered' : ''}`, EXIT.mismatch);
    });
}
