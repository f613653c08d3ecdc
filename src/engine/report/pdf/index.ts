// The PDF report. Layout is done by hand with pdfkit (A4, standard fonts, buffered pages so the
// header and "page X of Y" footer are drawn once the page count is known); charts come from the
// shared SVG functions and are drawn as vectors with svg-to-pdfkit. The case JSON is embedded as
// an attachment (case.json) so the PDF alone is enough to verify the evidence later.
//
// One file per section, in the order they are drawn; writer.ts holds the layout primitives.
import { createHash } from 'node:crypto';
import type { CaseResult } from '../../types.js';
import { renderJson } from '../json.js';
import { displayText } from '../../../shared/display-text.js';
import { signReport, type SigningKey } from '../signing.js';
import { writeFigures } from './figures.js';
import { writeFindings } from './findings.js';
import { writeSoftwareAndLibrary } from './library.js';
import { writeLimitations } from './limitations.js';
import { writeManifest } from './manifest.js';
import { writeMethod } from './method.js';
import { writeSkipped } from './skipped.js';
import { writeSummary } from './summary.js';
import { writeDeclaration, writeVerification } from './verification.js';
import { Writer } from './writer.js';

export interface PdfRenderOptions {
  generatedAt: Date;
  /** File name the report will have, shown in the verification section. */
  fileName?: string;
  /** Signs the PDF (signing.ts); without it the report says that it is not signed. */
  signingKey?: SigningKey;
}

export interface PdfRenderResult {
  bytes: Buffer;
  pages: number;
  /** SHA-256 of the embedded case.json. */
  embeddedSha256: string;
}

export async function renderPdf(c: CaseResult, opts: PdfRenderOptions): Promise<PdfRenderResult> {
  const w = new Writer(c, opts);
  const { doc } = w;
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });

  const caseJson = renderJson(c, opts.generatedAt);
  const embeddedSha256 = createHash('sha256').update(caseJson).digest('hex');

  writeSummary(w);
  writeFindings(w);
  writeFigures(w);
  writeMethod(w);
  writeSoftwareAndLibrary(w);
  writeLimitations(w);
  writeVerification(w, embeddedSha256);
  writeDeclaration(w);
  writeManifest(w);
  writeSkipped(w);

  w.decorate();
  doc.file(caseJson, {
    name: 'case.json',
    type: 'application/json',
    description: `genprint case ${displayText(c.caseId)} (genprint.case/1 with report block)`,
    creationDate: opts.generatedAt,
    modifiedDate: opts.generatedAt,
    relationship: 'Data',
  } as PDFKit.Mixins.PDFAttachmentOptions);
  const pages = doc.bufferedPageRange().count;
  doc.end();
  await done;
  const bytes = Buffer.concat(chunks);
  return { bytes: opts.signingKey ? signReport(bytes, opts.signingKey) : bytes, pages, embeddedSha256 };
}
