// Renders page 1 of the PDF report to docs/img/report-page1.png for the README.
//   npx tsx scripts/render-report-preview.ts CASE.json [OUT.png]
// Without CASE.json it uses the synthetic test fixture (test/fixtures/sample-case.ts), which is
// only a layout stand-in: regenerate from the real demo case (`genprint attribute --json`).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCase, writeReport } from '../src/engine/report/index.js';
import { repoRoot } from '../src/engine/version.js';

const [casePath, outArg] = process.argv.slice(2);
const out = path.resolve(outArg ?? path.join(repoRoot(), 'docs/img/report-page1.png'));
const caseResult = casePath ? (await loadCase(casePath)).caseResult : (await import('../test/fixtures/sample-case.js')).buildSampleCase();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'genprint-preview-'));
try {
  const pdf = path.join(tmp, 'report.pdf');
  const r = await writeReport(caseResult, pdf);
  execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdf, path.join(tmp, 'page1')]);
  copyFileSync(path.join(tmp, 'page1.png'), out); // copy, not rename: tmp may be another filesystem
  console.log(`${out} (page 1 of ${r.pages}, case ${caseResult.caseId}${casePath ? '' : ', synthetic fixture'})`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
