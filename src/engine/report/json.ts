// The JSON export: the CaseResult unchanged, plus a `report` block saying when and by what it was
// exported. The same document is embedded in the PDF, so either can be verified.
import type { CaseResult } from '../types.js';
import { gitCommit, softwareVersion } from '../version.js';
import { localIsoString, localTimeZone } from './datetime.js';
import { signReport, SIGNATURE_PLACEHOLDER, type SigningKey } from './signing.js';

export interface ReportBlock {
  format: 'genprint.report/1';
  generatedAt: string;
  timeZone: string;
  software: { name: string; version: string; gitCommit: string | null };
  /**
   * Present in a signed JSON report: the signer's public key and the Ed25519 signature over the
   * file's bytes with `value` set to zeros (signing.ts). Never present in a PDF's embedded case.json:
   * the PDF is signed as a whole.
   */
  signature?: { algorithm: 'ed25519'; publicKey: string; value: string };
}

export type ReportJson = CaseResult & { report: ReportBlock };

export function reportBlock(generatedAt: Date): ReportBlock {
  return {
    format: 'genprint.report/1',
    generatedAt: localIsoString(generatedAt),
    timeZone: localTimeZone(),
    software: { name: 'genprint', version: softwareVersion(), gitCommit: gitCommit() },
  };
}

export function reportJson(caseResult: CaseResult, generatedAt: Date): ReportJson {
  // A case re-exported from an earlier JSON report gets a fresh block, not a nested one.
  const { report: _previous, ...rest } = caseResult as ReportJson;
  return { ...(rest as CaseResult), report: reportBlock(generatedAt) };
}

export function renderJson(caseResult: CaseResult, generatedAt: Date, signingKey?: SigningKey): Buffer {
  const doc = reportJson(caseResult, generatedAt);
  if (!signingKey) return Buffer.from(JSON.stringify(doc, null, 2) + '\n', 'utf8');
  doc.report.signature = { algorithm: 'ed25519', publicKey: signingKey.keyToken, value: SIGNATURE_PLACEHOLDER };
  return signReport(Buffer.from(JSON.stringify(doc, null, 2) + '\n', 'utf8'), signingKey);
}
