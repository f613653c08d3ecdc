// The JSON export: the CaseResult unchanged, plus a `report` block saying when and by what it was
// exported. The same document is embedded in the PDF, so either can be verified.
import type { CaseResult } from '../types.js';
import { gitCommit, softwareVersion } from '../version.js';
import { localIsoString, localTimeZone } from './datetime.js';

export interface ReportBlock {
  format: 'genprint.report/1';
  generatedAt: string;
  timeZone: string;
  software: { name: string; version: string; gitCommit: string | null };
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

export function renderJson(caseResult: CaseResult, generatedAt: Date): Buffer {
  return Buffer.from(JSON.stringify(reportJson(caseResult, generatedAt), null, 2) + '\n', 'utf8');
}
