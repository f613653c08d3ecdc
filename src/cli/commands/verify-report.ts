// `genprint verify-report REPORT EVIDENCE_FOLDER [--key KEY.pem]`: establish that the report is
// authentic (signature and its key, the printed digest of the embedded case.json, the .sha256
// beside it) and re-hash the evidence against its manifest. Exit 0 when everything matches and the
// report is signed by a trusted key, 6 (EXIT.unauthenticated) when everything matches but the
// report's origin is not established, 5 (EXIT.mismatch) when anything differs.
import { existsSync, readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { CaseFormatError, formatFingerprint, parsePublicKey, verifyReport, type VerifyResult } from '../../engine/report/index.js';
import { requireFolder } from '../common.js';
import { withCancellation } from '../cancel.js';
import { CliError, EXIT } from '../exit-codes.js';
import { displayJson, displayProse, displayText } from '../../shared/display-text.js';

function signatureLine(r: VerifyResult): string {
  const s = r.signature;
  const fp = s.fingerprint ? ` (key ${formatFingerprint(s.fingerprint)})` : '';
  if (s.status === 'unsigned') return `signature: none — ${s.reason}`;
  if (s.status === 'invalid') return `signature: INVALID${fp} — ${s.reason}`;
  const whose =
    s.trust === 'this-installation' ? "this installation's key" : s.trust === 'given-key' ? 'the key given with --key' : 'a key this verifier does not know';
  return `signature: valid, by ${whose}${fp}`;
}

function embeddedLine(r: VerifyResult): string | null {
  const e = r.embedded;
  if (!e) return null;
  if (e.status === 'match') return `embedded case.json: matches the SHA-256 printed in the report (${e.sha256})`;
  if (e.status === 'differs') return `embedded case.json: DIFFERS from the SHA-256 printed in the report (printed ${e.printed}, embedded ${e.sha256})`;
  return `embedded case.json: SHA-256 ${e.sha256}; the report prints no readable digest to compare it with`;
}

function sidecarLine(r: VerifyResult): string {
  const rep = r.report;
  if (rep.status === 'match') return `report file: matches ${displayText(rep.checksumPath ?? '')} (SHA-256 ${rep.sha256})`;
  if (rep.status === 'differs') return `report file: DIFFERS from ${displayText(rep.checksumPath ?? '')} (recorded ${rep.expected}, now ${rep.sha256})`;
  return `report file: no .sha256 beside it (SHA-256 ${rep.sha256}); not needed when the signature is valid`;
}

const OUTCOME_TEXT = {
  verified: 'VERIFIED: evidence unchanged, report signed by a trusted key',
  unauthenticated: 'EVIDENCE MATCHES THE REPORT, BUT THE REPORT IS NOT AUTHENTICATED',
  'not-verified': 'NOT VERIFIED',
} as const;

export function formatVerify(r: VerifyResult, all = false): string {
  const out: string[] = [];
  out.push(`case ${displayText(r.caseId)} · manifest from ${r.source === 'pdf' ? 'the PDF (embedded case.json)' : 'the case JSON'}`);
  out.push(signatureLine(r));
  const emb = embeddedLine(r);
  if (emb) out.push(emb);
  out.push(sidecarLine(r));
  for (const f of r.files) {
    if (f.status === 'match' && !all) continue;
    const tag = f.status === 'match' ? 'match  ' : f.status === 'differs' ? 'DIFFERS' : f.status === 'missing' ? 'MISSING' : 'NEW    ';
    const detail =
      f.status === 'differs' && f.expectedSha256 && f.actualSha256
        ? ` (recorded ${f.expectedSha256.slice(0, 16)}…, now ${f.actualSha256.slice(0, 16)}…)`
        : f.status === 'new' && f.actualSha256
          ? ` (SHA-256 ${f.actualSha256.slice(0, 16)}…)`
          : '';
    out.push(`${tag} ${displayText(f.relPath)}${detail}${f.note ? ` — ${displayProse(f.note)}` : ''}`);
  }
  const c = r.counts;
  out.push(`${c.match} match, ${c.differs} differ, ${c.missing} missing, ${c.new} new → ${OUTCOME_TEXT[r.outcome]}`);
  for (const reason of r.reasons) out.push(`  because ${displayProse(reason)}`);
  return out.join('\n');
}

function readKey(file: string): KeyObject {
  if (!existsSync(file)) throw new CliError(`no such file: ${file}`, EXIT.input);
  try {
    return parsePublicKey(readFileSync(file));
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, EXIT.input);
  }
}

export function registerVerifyReport(program: Command): void {
  program
    .command('verify-report')
    .description('check a report (signature, printed digest, .sha256) and re-hash its evidence folder (read-only): match, differs, missing, new')
    .argument('<report>', 'report PDF (with its embedded case.json) or JSON report')
    .argument('<evidence>', 'evidence folder')
    .option('-k, --key <file>', "the examiner's public key (PEM, from `genprint key export`); repeatable", (v: string, prev: string[] = []) => [...prev, v])
    .option('-a, --all', 'list matching files too')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 verified (evidence unchanged, report signed by this installation or a --key);\n' +
        '6 evidence unchanged but the report is not authenticated (unsigned, or signed by an unknown key);\n' +
        '5 something differs (evidence, signature, printed digest or .sha256).',
    )
    .action(async (report: string, evidence: string, o: { key?: string[]; all?: boolean; json?: boolean }) => {
      if (!existsSync(report)) throw new CliError(`no such file: ${report}`, EXIT.input);
      requireFolder(evidence);
      const trustedKeys = (o.key ?? []).map(readKey);
      let result: VerifyResult;
      try {
        result = await withCancellation((signal) => verifyReport(report, evidence, { signal, trustedKeys }));
      } catch (err) {
        if (err instanceof CaseFormatError || err instanceof SyntaxError) throw new CliError((err as Error).message, EXIT.input);
        throw err;
      }
      process.stdout.write((o.json ? displayJson(result) : formatVerify(result, o.all)) + '\n');
      if (result.outcome === 'not-verified') throw new CliError(`verification failed: ${result.reasons.join('; ')}`, EXIT.mismatch);
      if (result.outcome === 'unauthenticated') throw new CliError(`report not authenticated: ${result.reasons.join('; ')}`, EXIT.unauthenticated);
    });
}
