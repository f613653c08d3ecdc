// Report export: one code path for the app's Export button and `genprint report`.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { CaseResult } from '../types.js';
import { renderCsv } from './csv.js';
import { renderJson } from './json.js';
import { renderPdf } from './pdf/index.js';
import { sha256sumLine } from './hash.js';
import type { SigningKey } from './signing.js';

export type ReportFormat = 'pdf' | 'json' | 'csv';

export interface WriteReportOptions {
  format?: ReportFormat;
  /** Defaults to now; fixed by tests for reproducible output. */
  generatedAt?: Date;
  /** Signs PDF and JSON reports (CSV is a table export and is not signed). */
  signingKey?: SigningKey;
}

export interface WriteReportResult {
  path: string;
  format: ReportFormat;
  sha256: string;
  /** The sha256sum-format file written beside the report. */
  sha256Path: string;
  bytes: number;
  /** PDF only. */
  pages?: number;
  /** Fingerprint of the key the report was signed with; absent when it is not signed. */
  signedBy?: string;
}

/** The format implied by a file name (".pdf", ".json", ".csv"), or null. */
export function formatFromPath(file: string): ReportFormat | null {
  const ext = path.extname(file).toLowerCase().slice(1);
  return ext === 'pdf' || ext === 'json' || ext === 'csv' ? ext : null;
}

async function writeAtomic(file: string, data: Buffer): Promise<void> {
  // Written beside the target and renamed, so a crash never leaves a half report under the real name.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes the report for a case as PDF (default), JSON or CSV, then its SHA-256 beside it in
 * `<outPath>.sha256` (sha256sum format).
 */
export async function writeReport(caseResult: CaseResult, outPath: string, opts: WriteReportOptions = {}): Promise<WriteReportResult> {
  const format = opts.format ?? formatFromPath(outPath) ?? 'pdf';
  const generatedAt = opts.generatedAt ?? new Date();
  let data: Buffer;
  let pages: number | undefined;
  if (format === 'pdf') {
    const r = await renderPdf(caseResult, { generatedAt, fileName: path.basename(outPath), signingKey: opts.signingKey });
    data = r.bytes;
    pages = r.pages;
  } else if (format === 'json') data = renderJson(caseResult, generatedAt, opts.signingKey);
  else if (format === 'csv') data = renderCsv(caseResult);
  else throw new Error(`unknown report format: ${String(format)}`);
  const sha256 = createHash('sha256').update(data).digest('hex');
  await writeAtomic(outPath, data);
  const sha256Path = `${outPath}.sha256`;
  await writeAtomic(sha256Path, Buffer.from(sha256sumLine(sha256, outPath), 'utf8'));
  const signedBy = opts.signingKey && format !== 'csv' ? opts.signingKey.fingerprint : undefined;
  return { path: outPath, format, sha256, sha256Path, bytes: data.length, pages, signedBy };
}

export { renderPdf, type PdfRenderOptions, type PdfRenderResult } from './pdf/index.js';
export { renderJson, reportJson, type ReportJson, type ReportBlock } from './json.js';
export { renderCsv, csvField, csvRow, CSV_BASE_COLUMNS } from './csv.js';
export { verifyReport, type VerifyResult, type FileCheck, type FileStatus, type ReportIntegrity } from './verify.js';
export { loadCase, asCaseResult, CaseFormatError, type CaseSource } from './load.js';
export { extractEmbeddedFile, listEmbeddedFiles } from './pdf-reader.js';
export { verdictWording, strengthLine, overstates, type VerdictWording, type EvidenceStrength } from '../../shared/wording.js';
export { sha256File } from './hash.js';
export {
  installationSigningKey,
  signingKeyDir,
  formatFingerprint,
  parsePublicKey,
  checkReportSignature,
  SigningError,
  PUBLIC_KEY_FILE,
  type SigningKey,
  type SignatureCheck,
} from './signing.js';
