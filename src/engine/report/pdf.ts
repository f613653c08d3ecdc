// The PDF report. Layout is done by hand with pdfkit (A4, standard fonts, buffered pages so the
// header and "page X of Y" footer are drawn once the page count is known); charts come from the
// shared SVG functions and are drawn as vectors with svg-to-pdfkit. The case JSON is embedded as
// an attachment (case.json) so the PDF alone is enough to verify the evidence later.
import { createHash } from 'node:crypto';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { dendrogramSvg, heatmapSvg, stabilitySvg } from '../../shared/svg/index.js';
import type { CaseParams, CaseResult, ClassifierSummary, ClusteringResult, DendrogramNode, LabelledMatrix, Verdict } from '../types.js';
import { scoreIsProbability } from '../types.js';
import { displayDateTime, localIsoString, localTimeZone } from './datetime.js';
import { renderJson } from './json.js';
import { FAILURE_MODES, LIMITATIONS_INTRO, PER_IMAGE_NOTE, methodParagraphs } from './prose.js';
import { needsReplacement, toWinAnsi } from './winansi.js';
import { strengthLine, verdictWording } from './wording.js';
import { compressionSummary } from '../../shared/compression.js';
import { describeConsistency } from '../../shared/consistency.js';
import { cappingNote, describeHeldBackError, formatRate, mostConfusedText } from '../../shared/held-back-error.js';
import { gitCommit, softwareVersion } from '../version.js';
import { formatFingerprint, signReport, SIGNATURE_PLACEHOLDER, type SigningKey } from './signing.js';

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

const PAGE = { width: 595.28, height: 841.89 };
const M = { top: 74, bottom: 62, left: 56, right: 56 };
const CONTENT_W = PAGE.width - M.left - M.right;
const BOTTOM = PAGE.height - M.bottom;
const F = { regular: 'Helvetica', bold: 'Helvetica-Bold', italic: 'Helvetica-Oblique', mono: 'Courier' };
const C = { text: '#111111', muted: '#555555', faint: '#8a8a8a', rule: '#c8c8c8', accent: '#1f3b63', band: '#f2f4f7', warn: '#8a4b00' };
const BODY = 9.5;

/** A table cell; `sub` is a second line in the monospaced font (hashes). */
type Cell = { text: string; font?: string; size?: number; color?: string; sub?: string };
interface Column {
  title: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

const t = (s: string | null | undefined) => toWinAnsi(s ?? '');
const num = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
/**
 * A verdict's score: for the classifier methods (dsf, manifold) a probability, which is shown as a
 * bound ("> 0.999") when it would round to 1 — it assumes independent images and must not read as
 * certainty.
 */
const score = (v: Pick<Verdict, 'method'>, x: number, d = 3) => {
  if (!scoreIsProbability(v.method) || !Number.isFinite(x)) return num(x, d);
  const step = 10 ** -d;
  if (x > 1 - step / 2) return `> ${(1 - step).toFixed(d)}`;
  if (x > 0 && x < step / 2) return `< ${step.toFixed(d)}`;
  return x.toFixed(d);
};

function bytesText(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function svgSize(svg: string): { w: number; h: number } {
  const w = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1] ?? 500);
  const h = Number(/<svg[^>]*\sheight="([\d.]+)"/.exec(svg)?.[1] ?? 300);
  return { w, h };
}

function sanitiseMatrix(m: LabelledMatrix): LabelledMatrix {
  return { rows: m.rows.map(t), cols: m.cols.map(t), values: m.values };
}

function sanitiseClustering(c: ClusteringResult): ClusteringResult {
  const walk = (node: DendrogramNode): DendrogramNode => ({
    ...node,
    label: node.label === undefined ? undefined : t(node.label),
    children: node.children?.map(walk),
  });
  return { ...c, labels: c.labels.map(t), tree: walk(c.tree) };
}

function scoreName(v: Verdict): string {
  return scoreIsProbability(v.method) ? 'probability' : 'mean |corr|';
}

const ESTIMATE_TEXT = {
  projector: 'projector (a learned projection onto real images; any image domain)',
  knn: "knn (the nearest images of a real reference set of the evidence's domain)",
} as const;

/** The Method line of the parameters: which method and, for manifold, which estimate. */
function methodText(p: CaseParams): string {
  if (p.method === 'dsf') return 'dsf: set-based fingerprints (set encoder), with residual correlation';
  if (p.method === 'residual') return 'residual: residual fingerprints (correlation)';
  const estimate = p.manifold?.estimate;
  return `manifold: manifold artifacts (ManiFPT), ${estimate ? `${estimate} estimate` : 'estimate not recorded'}`;
}

/**
 * Parameter rows of the manifold method: what the artifact was measured against. A knn verdict
 * depends on the reference set as much as on the library, so it is named with its size.
 */
function manifoldRows(p: CaseParams): [string, string, ('mono' | 'bold')?][] {
  const m = p.manifold;
  if (!m) return [];
  const rows: [string, string, ('mono' | 'bold')?][] = [
    ['Manifold estimate', ESTIMATE_TEXT[m.estimate] ?? m.estimate],
    ['Artifact definition', m.definition],
  ];
  if (m.reference) {
    const r = m.reference;
    rows.push(['Real reference set', `${r.name} (library entry ${r.id}, family ${r.family}, ${r.images} image${r.images === 1 ? '' : 's'})`]);
  }
  if (m.k !== undefined) rows.push(['Nearest neighbours (k)', String(m.k)]);
  if (m.index) rows.push(['Neighbour search', m.index]);
  if (m.featureSpace) rows.push(['Feature space', m.featureSpace]);
  if (m.projectorSha256) rows.push(['Projector projector.onnx, SHA-256', m.projectorSha256, 'mono']);
  return rows;
}

class Writer {
  readonly doc: PDFKit.PDFDocument;
  private figureNo = 0;

  constructor(
    readonly c: CaseResult,
    readonly opts: PdfRenderOptions,
  ) {
    this.doc = new PDFDocument({
      size: 'A4',
      margins: M,
      bufferPages: true,
      pdfVersion: '1.7',
      info: {
        Title: t(`Forensic image attribution report - case ${c.caseId}`),
        Author: t(c.examiner ?? ''),
        Subject: 'Attribution of images to generative models',
        Creator: `genprint ${softwareVersion()}`,
        Producer: 'genprint (pdfkit)',
        CreationDate: opts.generatedAt,
        // Custom Info keys (PDF 32000-1, 14.3.3): the signer's public key and the signature's
        // placeholder, overwritten once the finished file has been signed.
        ...(opts.signingKey ? { GenprintSigningKey: opts.signingKey.keyToken, GenprintSignature: SIGNATURE_PLACEHOLDER } : {}),
      },
    });
  }

  get y(): number {
    return this.doc.y;
  }

  /** Starts a new page when fewer than `h` points remain. */
  ensure(h: number): void {
    if (this.doc.y + h > BOTTOM) this.doc.addPage();
  }

  gap(h: number): void {
    this.doc.y += h;
  }

  heading(text: string, level: 1 | 2 = 1): void {
    const size = level === 1 ? 13 : 10.5;
    this.ensure(level === 1 ? 70 : 46);
    if (level === 1) this.gap(8);
    this.doc.font(F.bold).fontSize(size).fillColor(C.accent).text(t(text), M.left, this.doc.y, { width: CONTENT_W });
    if (level === 1) {
      const yy = this.doc.y + 1;
      this.doc
        .moveTo(M.left, yy)
        .lineTo(M.left + CONTENT_W, yy)
        .lineWidth(0.6)
        .strokeColor(C.accent)
        .stroke();
      this.gap(6);
    } else this.gap(2);
    this.doc.fillColor(C.text);
  }

  para(text: string, o: { font?: string; size?: number; color?: string; indent?: number; lead?: string } = {}): void {
    const size = o.size ?? BODY;
    const x = M.left + (o.indent ?? 0);
    const width = CONTENT_W - (o.indent ?? 0);
    this.doc.font(o.font ?? F.regular).fontSize(size);
    const full = (o.lead ? `${o.lead} ` : '') + text;
    this.ensure(Math.min(this.doc.heightOfString(t(full), { width, lineGap: 1.5 }), size * 3.2));
    if (o.lead) {
      this.doc
        .font(F.bold)
        .fillColor(o.color ?? C.text)
        .text(t(o.lead) + ' ', x, this.doc.y, { width, continued: true, lineGap: 1.5 });
      this.doc.font(o.font ?? F.regular).text(t(text), { width, lineGap: 1.5 });
    } else {
      this.doc.fillColor(o.color ?? C.text).text(toWinAnsi(text, true), x, this.doc.y, { width, lineGap: 1.5 });
    }
    this.gap(size * 0.5);
    this.doc.fillColor(C.text);
  }

  bullets(items: string[]): void {
    for (const item of items) {
      this.doc.font(F.regular).fontSize(BODY);
      const h = this.doc.heightOfString(t(item), { width: CONTENT_W - 14, lineGap: 1.5 });
      this.ensure(h + 2);
      const y = this.doc.y;
      this.doc.fillColor(C.accent).text('•', M.left + 3, y, { lineBreak: false });
      this.doc.fillColor(C.text).text(t(item), M.left + 14, y, { width: CONTENT_W - 14, lineGap: 1.5 });
      this.gap(2.5);
    }
    this.gap(3);
  }

  /** Two-column key/value list; values may be long and wrap. */
  keyValues(rows: [string, string, ('mono' | 'bold')?][], keyW = 150): void {
    const valW = CONTENT_W - keyW;
    for (const [key, value, style] of rows) {
      const font = style === 'mono' ? F.mono : style === 'bold' ? F.bold : F.regular;
      const size = style === 'mono' ? 8.5 : BODY;
      this.doc.font(font).fontSize(size);
      const hv = this.doc.heightOfString(t(value) || '-', { width: valW, lineGap: 1 });
      this.doc.font(F.bold).fontSize(8.5);
      const hk = this.doc.heightOfString(t(key), { width: keyW - 8 });
      const h = Math.max(hv, hk);
      this.ensure(h + 3);
      const y = this.doc.y;
      this.doc
        .font(F.bold)
        .fontSize(8.5)
        .fillColor(C.muted)
        .text(t(key), M.left, y + (style === 'mono' ? 0.5 : 1), { width: keyW - 8 });
      this.doc
        .font(font)
        .fontSize(size)
        .fillColor(C.text)
        .text(t(value) || '-', M.left + keyW, y, { width: valW, lineGap: 1 });
      this.doc.y = y + h + 3.5;
    }
    this.gap(4);
  }

  private tableHeader(cols: Column[]): void {
    const y = this.doc.y;
    this.doc.rect(M.left, y, CONTENT_W, 15).fill(C.accent);
    let x = M.left;
    this.doc.font(F.bold).fontSize(8).fillColor('#ffffff');
    for (const col of cols) {
      this.doc.text(t(col.title), x + 3, y + 4, { width: col.width - 6, align: col.align ?? 'left', lineBreak: false });
      x += col.width;
    }
    this.doc.fillColor(C.text);
    this.doc.y = y + 15;
  }

  /** A table whose cells wrap; the header repeats after each page break. */
  table(cols: Column[], rows: Cell[][], o: { zebra?: boolean } = {}): void {
    this.ensure(15 + 16);
    this.tableHeader(cols);
    rows.forEach((row, r) => {
      let h = 0;
      row.forEach((cell, i) => {
        this.doc.font(cell.font ?? F.regular).fontSize(cell.size ?? 8.5);
        let ch = this.doc.heightOfString(toWinAnsi(cell.text, true) || ' ', { width: cols[i]!.width - 6, lineGap: 0.5 });
        if (cell.sub)
          ch +=
            this.doc
              .font(F.mono)
              .fontSize(7)
              .heightOfString(cell.sub, { width: cols[i]!.width - 6 }) + 1;
        h = Math.max(h, ch);
      });
      h += 6;
      if (this.doc.y + h > BOTTOM) {
        this.doc.addPage();
        this.tableHeader(cols);
      }
      const y = this.doc.y;
      if ((o.zebra ?? true) && r % 2 === 1) this.doc.rect(M.left, y, CONTENT_W, h).fill(C.band);
      let x = M.left;
      row.forEach((cell, i) => {
        const col = cols[i]!;
        this.doc
          .font(cell.font ?? F.regular)
          .fontSize(cell.size ?? 8.5)
          .fillColor(cell.color ?? C.text)
          .text(toWinAnsi(cell.text, true), x + 3, y + 3, { width: col.width - 6, align: col.align ?? 'left', lineGap: 0.5 });
        if (cell.sub) {
          this.doc
            .font(F.mono)
            .fontSize(7)
            .fillColor(C.muted)
            .text(cell.sub, x + 3, this.doc.y + 1, { width: col.width - 6 });
        }
        x += col.width;
      });
      this.doc.y = y + h;
    });
    this.doc
      .moveTo(M.left, this.doc.y)
      .lineTo(M.left + CONTENT_W, this.doc.y)
      .lineWidth(0.5)
      .strokeColor(C.rule)
      .stroke();
    this.doc.fillColor(C.text);
    this.gap(8);
  }

  /** Shortens `text` in the middle until it fits `width` at the current font. */
  fit(text: string, width: number): string {
    const s = t(text);
    if (this.doc.widthOfString(s) <= width) return s;
    const chars = Array.from(s);
    let lo = 1;
    let hi = chars.length - 1;
    let best = '…';
    while (lo <= hi) {
      const keep = (lo + hi) >> 1;
      const head = Math.ceil(keep / 2);
      const candidate = chars.slice(0, head).join('') + '…' + chars.slice(chars.length - (keep - head)).join('');
      if (this.doc.widthOfString(candidate) <= width) {
        best = candidate;
        lo = keep + 1;
      } else hi = keep - 1;
    }
    return best;
  }

  figure(svg: string, caption: string): void {
    const { w, h } = svgSize(svg);
    const scale = Math.min(1, CONTENT_W / w);
    const dw = w * scale;
    const dh = h * scale;
    this.doc.font(F.regular).fontSize(8);
    const capH = this.doc.heightOfString(t(caption), { width: CONTENT_W });
    this.ensure(dh + capH + 16);
    const y = this.doc.y;
    SVGtoPDF(this.doc, svg, M.left, y, {
      width: dw,
      height: dh,
      assumePt: true,
      preserveAspectRatio: 'xMinYMin meet',
      warningCallback: () => {},
    });
    this.figureNo++;
    this.doc.y = y + dh + 4;
    this.doc
      .font(F.bold)
      .fontSize(8)
      .fillColor(C.text)
      .text(`Figure ${this.figureNo}. `, M.left, this.doc.y, { continued: true, width: CONTENT_W, lineGap: 1 })
      .font(F.regular)
      .fillColor(C.muted)
      .text(t(caption), { width: CONTENT_W, lineGap: 1 });
    this.doc.fillColor(C.text);
    this.gap(12);
  }

  /** Header (case id) and footer (page X of Y) on every page, drawn once all pages exist. */
  decorate(): void {
    const range = this.doc.bufferedPageRange();
    const generated = localIsoString(this.opts.generatedAt);
    for (let i = range.start; i < range.start + range.count; i++) {
      this.doc.switchToPage(i);
      // Writing inside the margins would make pdfkit add pages; lift them while decorating.
      const saved = { ...this.doc.page.margins };
      this.doc.page.margins = { top: 0, bottom: 0, left: 0, right: 0 };
      const hy = 34;
      this.doc.font(F.bold).fontSize(8).fillColor(C.accent).text('GENPRINT FORENSIC REPORT', M.left, hy, { lineBreak: false });
      this.doc
        .font(F.regular)
        .fontSize(8)
        .fillColor(C.text)
        .text(t(`Case ${this.c.caseId}`), M.left, hy, { width: CONTENT_W, align: 'right', lineBreak: false });
      this.doc
        .moveTo(M.left, hy + 13)
        .lineTo(M.left + CONTENT_W, hy + 13)
        .lineWidth(0.5)
        .strokeColor(C.rule)
        .stroke();
      const fy = PAGE.height - 40;
      this.doc
        .moveTo(M.left, fy - 6)
        .lineTo(M.left + CONTENT_W, fy - 6)
        .lineWidth(0.5)
        .strokeColor(C.rule)
        .stroke();
      this.doc
        .font(F.regular)
        .fontSize(7.5)
        .fillColor(C.muted)
        .text(t(`Generated ${generated} by genprint ${softwareVersion()}`), M.left, fy, { lineBreak: false });
      this.doc
        .font(F.regular)
        .fontSize(8)
        .fillColor(C.text)
        .text(`Page ${i - range.start + 1} of ${range.count}`, M.left, fy, { width: CONTENT_W, align: 'right', lineBreak: false });
      this.doc.page.margins = saved;
    }
  }
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
  const folder = c.verdicts.folder;
  const entries = c.library.entries.length;
  const folderWording = verdictWording(folder, entries);
  const images = new Map(c.images.map((r) => [r.relPath, r]));
  const anyReplaced = [...c.manifest, ...c.skipped].some((f) => needsReplacement(f.relPath));

  // ---- Title block and summary ------------------------------------------------------------
  doc.font(F.bold).fontSize(9).fillColor(C.muted).text('FORENSIC IMAGE ATTRIBUTION REPORT', M.left, M.top, { characterSpacing: 0.8 });
  w.gap(4);
  doc
    .font(F.bold)
    .fontSize(20)
    .fillColor(C.text)
    .text(t(`Case ${c.caseId}`), { width: CONTENT_W });
  w.gap(10);
  w.keyValues(
    [
      ['Examiner', c.examiner ?? 'not recorded'],
      ['Analysis performed', displayDateTime(c.createdAt)],
      ['Report generated', `${displayDateTime(localIsoString(opts.generatedAt))}, ${localTimeZone()}`],
      ['Evidence folder', c.caseRoot],
      ['Notes', c.notes?.trim() || 'none'],
    ],
    120,
  );

  {
    // Summary box: the folder verdict in plain words, then the key numbers.
    const pad = 10;
    const innerW = CONTENT_W - 2 * pad - 4;
    const lines: { text: string; font: string; size: number; color: string }[] = [
      { text: 'Summary of findings', font: F.bold, size: 10.5, color: C.accent },
      { text: folderWording.statement, font: F.bold, size: 10, color: C.text },
      { text: strengthLine(folderWording), font: F.regular, size: 9, color: folderWording.strength === 'weak' ? C.warn : C.text },
      {
        text:
          `Folder verdict: ${folder.mixed ? `mixed (${c.verdicts.groups.length} groups)` : folder.unknown || !folder.label ? 'unknown (no library entry)' : folder.label}; ` +
          `${scoreName(folder)} ${score(folder, folder.score)}; margin ${score(folder, folder.margin)}` +
          `${folder.runnerUp ? ` over ${folder.runnerUp}` : ''}. ` +
          `${c.manifest.length} image${c.manifest.length === 1 ? '' : 's'} analysed, ${c.skipped.length} skipped; ` +
          `${c.verdicts.groups.length} evidence group${c.verdicts.groups.length === 1 ? '' : 's'}; library of ${entries} entr${entries === 1 ? 'y' : 'ies'}.`,
        font: F.regular,
        size: 9,
        color: C.muted,
      },
    ];
    let h = pad;
    for (const l of lines) {
      doc.font(l.font).fontSize(l.size);
      h += doc.heightOfString(t(l.text), { width: innerW, lineGap: 1.5 }) + 5;
    }
    h += pad - 5;
    w.ensure(h + 10);
    const y0 = doc.y + 4;
    doc.rect(M.left, y0, CONTENT_W, h).fill(C.band);
    doc.rect(M.left, y0, 3, h).fill(C.accent);
    let y = y0 + pad;
    for (const l of lines) {
      doc
        .font(l.font)
        .fontSize(l.size)
        .fillColor(l.color)
        .text(t(l.text), M.left + pad + 4, y, { width: innerW, lineGap: 1.5 });
      y = doc.y + 5;
    }
    doc.y = y0 + h + 10;
    doc.fillColor(C.text);
  }

  // ---- 1. Findings --------------------------------------------------------------------------
  w.heading('1. Findings');
  w.heading('1.1 Folder verdict (all evidence together)', 2);
  const verdictRows = (v: Verdict): [string, string, ('mono' | 'bold')?][] => {
    const wording = verdictWording(v, entries);
    const agreement = [
      v.agreement.classifier !== undefined ? `classifier: ${v.agreement.classifier ?? 'none'}` : null,
      v.agreement.embedding !== undefined ? `embedding distance: ${v.agreement.embedding ?? 'none'}` : null,
      v.agreement.residual !== undefined ? `residual correlation: ${v.agreement.residual ?? 'none'}` : null,
    ]
      .filter(Boolean)
      .join('; ');
    return [
      ['Statement', wording.statement, 'bold'],
      ['Strength', strengthLine(wording).replace(/^Strength of evidence relative to the library: /, '')],
      ['Nearest entry', nearestEntryText(v)],
      [`Score (${scoreName(v)})`, score(v, v.score)],
      ['Runner-up and margin', `${v.runnerUp ?? '-'}; margin ${score(v, v.margin)}`],
      ['Unknown flag', v.unknown ? 'yes' : 'no'],
      ['Images', String(v.evidenceCount)],
      ['Decided by', v.decidedBy || '-'],
      ['Compression', compressionSummary(v.compression)],
      ['Consistency across images', consistencyText(v)],
      ['Error rate on held-back references', errorRateText(v)],
      ['Independent analyses', `${agreement || '-'} (${v.agreement.agree ? 'they agree' : 'they do not all agree'})`],
      ['How the score was computed', v.explanation || '-'],
    ];
  };
  w.keyValues(verdictRows(folder));

  if (folder.candidates.length) {
    w.heading('1.2 Scores for every library entry', 2);
    const cands = [...folder.candidates].sort((a, b) => b.score - a.score);
    w.table(
      [
        { title: 'Rank', width: 36, align: 'right' },
        { title: 'Library entry', width: 230 },
        { title: 'Family', width: 110 },
        { title: `Score (${scoreName(folder)})`, width: CONTENT_W - 376, align: 'right' },
      ],
      cands.map((cand, i) => [
        { text: String(i + 1) },
        { text: cand.name, font: i === 0 && !folder.unknown ? F.bold : F.regular },
        { text: cand.family },
        { text: score(folder, cand.score) },
      ]),
    );
  }

  if (c.verdicts.groups.length) {
    w.heading('1.3 Evidence groups', 2);
    w.para(
      'The evidence was also split into groups of images that resemble each other, and each group was attributed separately. ' +
        'Groups that disagree with the folder verdict indicate a mixed folder.',
      { color: C.muted, size: 8.5 },
    );
    w.table(
      [
        { title: 'Group', width: 40, align: 'right' },
        { title: 'Images', width: 42, align: 'right' },
        { title: 'Nearest entry', width: 110 },
        { title: 'Score', width: 40, align: 'right' },
        { title: 'Margin', width: 40, align: 'right' },
        { title: 'Statement', width: CONTENT_W - 272 },
      ],
      c.verdicts.groups.map((g) => {
        const gw = verdictWording(g, entries);
        return [
          { text: String(g.groupIndex + 1) },
          { text: String(g.files.length || g.evidenceCount) },
          { text: g.unknown || !g.label ? 'unknown' : g.label },
          { text: score(g, g.score) },
          { text: score(g, g.margin) },
          { text: `${gw.statement} Strength: ${gw.strength}.`, size: 8 },
        ];
      }),
    );
  }

  if (c.verdicts.bags.length) {
    w.heading('1.4 Bag verdicts', 2);
    const byLabel = new Map<string, { count: number; sum: number }>();
    for (const b of c.verdicts.bags) {
      const key = b.unknown || !b.label ? 'unknown' : b.label;
      const e = byLabel.get(key) ?? { count: 0, sum: 0 };
      e.count++;
      e.sum += b.score;
      byLabel.set(key, e);
    }
    const total = c.verdicts.bags.length;
    w.para(
      `${total} random bag${total === 1 ? '' : 's'} of evidence images were attributed independently. The share of bags reaching ` +
        'the same verdict shows how stable the folder verdict is under resampling (the individual bags are listed in the embedded case.json).',
      { color: C.muted, size: 8.5 },
    );
    w.table(
      [
        { title: 'Verdict of the bag', width: 230 },
        { title: 'Bags', width: 70, align: 'right' },
        { title: 'Share', width: 80, align: 'right' },
        { title: 'Mean score', width: CONTENT_W - 380, align: 'right' },
      ],
      [...byLabel.entries()]
        .sort((a, b) => b[1].count - a[1].count)
        .map(([label, e]) => [
          { text: label },
          { text: String(e.count) },
          { text: `${((100 * e.count) / total).toFixed(0)} %` },
          { text: num(e.sum / e.count) },
        ]),
    );
  }

  // ---- 2. Figures ---------------------------------------------------------------------------
  w.heading('2. Figures');
  const order = c.clustering?.order;
  const evl = c.correlation.evidenceVsLibrary;
  if (evl.rows.length && evl.cols.length) {
    w.figure(
      heatmapSvg(sanitiseMatrix(evl), {
        title: 'Evidence versus library',
        rowTitle: 'Evidence group',
        colTitle: 'Library entry',
        legendLabel: 'mean |corr| (Eq. 4)',
        colOrder: order && order.length === evl.cols.length ? order : undefined,
        markRowMax: true,
        width: CONTENT_W,
        decimals: 2,
      }),
      'Mean absolute correlation between the residuals of each evidence group and each library fingerprint (Eq. 4, with the ' +
        'evidence in place of held-out images). A framed cell marks the highest value in its row. Values are relative: compare ' +
        'a row across entries, not with other cases.',
    );
  }
  const lvl = c.correlation.libraryVsLibrary;
  if (lvl.rows.length && lvl.cols.length) {
    const ok = order && order.length === lvl.rows.length && lvl.rows.length === lvl.cols.length;
    w.figure(
      heatmapSvg(sanitiseMatrix(lvl), {
        title: 'Library versus library',
        legendLabel: 'mean |corr| (Eq. 5)',
        rowOrder: ok ? order : undefined,
        colOrder: ok ? order : undefined,
        width: CONTENT_W,
      }),
      `Correlation between the library's fingerprints (Eq. 5), in dendrogram order. A strong diagonal and weak off-diagonal ` +
        `values mean the entries are distinguishable; decorrelation score (Eq. 6) ${num(c.correlation.decorrelationScore, 3)}.`,
    );
  }
  if (c.clustering && c.clustering.labels.length > 1) {
    w.figure(
      dendrogramSvg(sanitiseClustering(c.clustering), {
        title: 'Similarity of the library entries',
        highlight: folder.label && !folder.unknown ? [t(folder.label)] : [],
        width: CONTENT_W,
      }),
      `Hierarchical clustering (${c.clustering.linkage} linkage) of the library entries by ${c.clustering.space === 'embeddings' ? 'the distance between their set-encoder embeddings (bag-embedding centroids)' : c.clustering.space === 'residual-correlation' ? 'the correlation of their residual fingerprints (Eq. 5)' : 'fingerprint similarity'}; entries joined ` +
        `further to the right are more alike and easier to confuse. Cophenetic correlation ${num(c.clustering.copheneticCorrelation)}. ` +
        'The entry of the folder verdict is in bold.',
    );
  }
  w.figure(
    stabilitySvg(c.stability, {
      title: 'Stability of the verdict with the number of images',
      scoreLabel: folder.label && !folder.unknown ? t(`Score of ${folder.label}`) : 'Score of the nearest entry',
      width: CONTENT_W,
      height: 250,
    }),
    'For bags of increasing size drawn from the evidence: the score of the folder verdict (line, with a band of one standard ' +
      'deviation across bags), the share of bags that reach the same verdict, and the decorrelation score. A verdict that holds ' +
      'only for the largest bags, or whose band stays wide, rests on weaker evidence.',
  );

  // ---- 3. Method and parameters ------------------------------------------------------------
  w.heading('3. Method and parameters');
  const p = c.params;
  w.keyValues([
    ['Method', methodText(p)],
    ...manifoldRows(p),
    ['Bag size', `${p.bagSize} images`],
    ['Number of bags', String(p.bags)],
    ['Random seed', String(p.seed)],
    ['Canvas', `${p.canvas} x ${p.canvas} pixels (centre crop, no resampling)`],
    ['Execution provider', p.provider],
    ['Threads', String(p.threads)],
  ]);
  for (const para of methodParagraphs(p)) w.para(para.text, { lead: `${para.title}.` });

  // ---- 4. Software, models and library ----------------------------------------------------
  w.heading('4. Software, models and reference library');
  w.keyValues([
    ['Analysis software', `${c.software.name} ${c.software.version}`],
    ['Analysis git commit', c.software.gitCommit ?? 'not recorded (not built from a git checkout)', 'mono'],
    ['Report software', `genprint ${softwareVersion()}`],
    ['Report git commit', gitCommit() ?? 'not recorded', 'mono'],
    ['Image encoder phi.onnx, SHA-256', c.model.phiSha256 ?? 'not used', 'mono'],
    ['Set head rho.onnx, SHA-256', c.model.rhoSha256 ?? 'not used', 'mono'],
    ['Model card version', c.model.modelCardVersion ?? 'not recorded'],
    ['Library file', c.library.path],
    ['Library file, SHA-256', c.library.sha256, 'mono'],
    ...(c.library.classifier ? [['Library classifier', classifierText(c.library.classifier)] as [string, string]] : []),
  ]);
  const rates = c.library.classifier?.errorRates;
  if (c.library.entries.length && rates && rates.length === c.library.entries.length) {
    // With the classifier's held-back error rates: the known error rate of a verdict for each entry.
    w.para(
      `Error rate of a verdict for each entry on held-back reference sets of ${rates[0].n} image${rates[0].n === 1 ? '' : 's'} (the bag size): ` +
        'the share of the sets attributed to the entry that came from other entries, and the entry they came from most often. ' +
        `At ${Math.round(100 * rates[0].limit)} % or more a verdict for the entry is worded weak.` +
        (cappingNote(rates[0]) ? ` Note: ${cappingNote(rates[0])}.` : ''),
    );
    w.table(
      [
        { title: 'Id', width: 36, align: 'right' },
        { title: 'Library entry', width: 170 },
        { title: 'Family', width: 70 },
        { title: 'Error rate', width: 56, align: 'right' },
        { title: 'Most often from', width: CONTENT_W - 332 },
      ],
      c.library.entries.map((e, i) => [
        { text: String(e.id) },
        { text: e.name },
        { text: e.family },
        { text: formatRate(rates[i].errorRate) },
        { text: mostConfusedText(rates[i]) ?? '-' },
      ]),
    );
  } else if (c.library.entries.length) {
    w.table(
      [
        { title: 'Id', width: 36, align: 'right' },
        { title: 'Library entry', width: 280 },
        { title: 'Family', width: CONTENT_W - 316 },
      ],
      c.library.entries.map((e) => [{ text: String(e.id) }, { text: e.name }, { text: e.family }]),
    );
  }

  // ---- 5. Limitations ------------------------------------------------------------------------
  w.heading('5. Limitations');
  for (const para of LIMITATIONS_INTRO) w.para(para.text, { lead: `${para.title}.` });
  w.para('Known failure modes:', { font: F.bold });
  w.bullets(FAILURE_MODES);
  w.para(PER_IMAGE_NOTE);

  // ---- 6. Verification -----------------------------------------------------------------------
  w.heading('6. Integrity and verification');
  const name = opts.fileName ?? 'report.pdf';
  w.para(
    'This PDF carries the complete machine-readable case, including the full evidence manifest with exact file names, as an ' +
      'embedded file named case.json (shown in the attachments panel of a PDF reader).',
  );
  w.keyValues([['case.json, SHA-256', embeddedSha256, 'mono']]);
  const key = opts.signingKey;
  if (key) {
    w.para(
      'This PDF is signed with the Ed25519 key of the Genprint installation that wrote it. The signature covers every byte of ' +
        "the file, this page and the embedded case.json included, so any change after signing is detected. The key's public " +
        'half is stored in the file; its fingerprint (SHA-256 of the public key) is:',
    );
    w.keyValues([['Signing key fingerprint', formatFingerprint(key.fingerprint), 'mono']]);
    w.para(
      'Whether that key is the examiner\'s is established outside this document: on the examiner\'s machine "genprint key export" ' +
        'writes the public key, and "genprint verify-report --key KEY.pem" checks the report against it.',
    );
  } else {
    w.para('This PDF is not signed. Its integrity rests on the SHA-256 written beside it, which protects against accidental change only.');
  }
  w.para(
    `The SHA-256 of this PDF is also written beside it in ${name}.sha256 (sha256sum format): a file cannot contain its own hash. ` +
      `To confirm that the evidence is unchanged, run "genprint verify-report ${name} EVIDENCE_FOLDER". It checks the embedded ` +
      'case.json against the SHA-256 printed above and the signature, re-computes the SHA-256 of every evidence file without ' +
      'modifying any, and lists each as match, differs, missing or new; exit code 0 means that every file matches and the report ' +
      'is signed by a key the verifier trusts.',
  );

  // ---- Declaration ------------------------------------------------------------------------------
  w.ensure(110);
  w.gap(8);
  doc.font(F.bold).fontSize(BODY).fillColor(C.text).text('Examiner', M.left, doc.y);
  w.gap(22);
  const sy = doc.y;
  const third = (CONTENT_W - 40) / 3;
  ['Name', 'Signature', 'Date'].forEach((label, i) => {
    const x = M.left + i * (third + 20);
    doc
      .moveTo(x, sy)
      .lineTo(x + third, sy)
      .lineWidth(0.6)
      .strokeColor(C.muted)
      .stroke();
    doc
      .font(F.regular)
      .fontSize(8)
      .fillColor(C.muted)
      .text(label, x, sy + 3, { width: third });
  });
  doc.y = sy + 20;

  // ---- Appendix A: evidence manifest -------------------------------------------------------------
  doc.addPage();
  w.heading('Appendix A. Evidence manifest');
  w.para(
    `${c.manifest.length} analysed file${c.manifest.length === 1 ? '' : 's'}, in the order they were read. Paths are relative ` +
      `to the evidence folder. Long paths are shortened in the middle (…)` +
      (anyReplaced ? '; characters outside the PDF standard font are shown as "?"' : '') +
      '. The exact names are in the embedded case.json and in the CSV export. Group numbers refer to Section 1.3; the ' +
      'per-image candidate and score are weak evidence on their own.',
    { size: 8.5, color: C.muted },
  );
  {
    const cols: Column[] = [
      { title: '#', width: 30, align: 'right' },
      { title: 'File (path relative to the evidence folder) and SHA-256', width: 205 },
      { title: 'Size', width: 48, align: 'right' },
      { title: 'Format', width: 38 },
      { title: 'Pixels', width: 55, align: 'right' },
      { title: 'Group', width: 30, align: 'right' },
      { title: 'Per-image', width: CONTENT_W - 406 },
    ];
    const rowH = 21;
    w.ensure(15 + rowH);
    // Drawn with a fixed row height rather than through table(): thousands of rows must stay fast.
    const header = () => {
      const y = doc.y;
      doc.rect(M.left, y, CONTENT_W, 15).fill(C.accent);
      let x = M.left;
      doc.font(F.bold).fontSize(7.5).fillColor('#ffffff');
      for (const col of cols) {
        doc.text(col.title, x + 3, y + 4.5, { width: col.width - 6, align: col.align ?? 'left', lineBreak: false });
        x += col.width;
      }
      doc.y = y + 15;
    };
    header();
    c.manifest.forEach((f, i) => {
      if (doc.y + rowH > BOTTOM) {
        doc.addPage();
        header();
      }
      const y = doc.y;
      if (i % 2 === 1) doc.rect(M.left, y, CONTENT_W, rowH).fill(C.band);
      const r = images.get(f.relPath);
      const xs: number[] = [];
      cols.reduce((x, col) => (xs.push(x), x + col.width), M.left);
      const cell = (k: number, text: string, font = F.regular, size = 8, color = C.text) => {
        const col = cols[k]!;
        doc.font(font).fontSize(size).fillColor(color);
        doc.text(w.fit(text, col.width - 6), xs[k]! + 3, y + 3, { width: col.width - 6, align: col.align ?? 'left', lineBreak: false });
      };
      cell(0, String(i + 1), F.regular, 8, C.muted);
      cell(1, f.relPath);
      cell(2, bytesText(f.sizeBytes));
      cell(3, f.format);
      cell(4, `${f.width} x ${f.height}`);
      cell(5, r ? String(r.group + 1) : '-');
      cell(6, r ? (r.topCandidate ?? 'no candidate') : '-', F.regular, 7.5);
      if (r)
        doc
          .font(F.regular)
          .fontSize(7)
          .fillColor(C.muted)
          .text(`score ${num(r.score)}`, xs[6]! + 3, y + 12, { lineBreak: false });
      doc
        .font(F.mono)
        .fontSize(7)
        .fillColor(C.muted)
        .text(f.sha256, xs[1]! + 3, y + 12, { lineBreak: false });
      if (f.decodeWarning)
        doc
          .font(F.bold)
          .fontSize(6.5)
          .fillColor(C.text)
          .text('warnings', xs[3]! + 3, y + 12, { lineBreak: false });
      doc.y = y + rowH;
    });
    doc
      .moveTo(M.left, doc.y)
      .lineTo(M.left + CONTENT_W, doc.y)
      .lineWidth(0.5)
      .strokeColor(C.rule)
      .stroke();
    doc.fillColor(C.text);
    w.gap(10);
    const warned = c.manifest.map((f, i) => ({ f, i })).filter(({ f }) => f.decodeWarning);
    if (warned.length)
      w.para(
        `Decoded with warnings (the decoder concealed damaged data; these images were analysed, and the verdicts that include ` +
          `them carry a caution): ${warned.map(({ f, i }) => `#${i + 1} ${w.fit(f.relPath, 200)}: ${f.decodeWarning}`).join('; ')}.`,
        { size: 8.5 },
      );
  }

  // ---- Appendix B: skipped files -------------------------------------------------------------------
  w.heading('Appendix B. Files not analysed');
  if (!c.skipped.length) {
    w.para('Every file in the evidence folder was analysed.');
  } else {
    w.para(
      `${c.skipped.length} file${c.skipped.length === 1 ? '' : 's'} in the evidence folder could not be analysed. They are part of ` +
        'the manifest for verification: their hashes, where the file could be read, are checked like the others.',
      { size: 8.5, color: C.muted },
    );
    w.table(
      [
        { title: '#', width: 30, align: 'right' },
        { title: 'File and SHA-256', width: 276 },
        { title: 'Reason and detail', width: CONTENT_W - 351 },
        { title: 'Size', width: 45, align: 'right' },
      ],
      c.skipped.map((s, i) => {
        doc.font(F.regular).fontSize(8);
        return [
          { text: String(i + 1), color: C.muted },
          { text: w.fit(s.relPath, 270), size: 8, sub: s.sha256 ?? 'SHA-256 not recorded' },
          { text: `${s.reason}\n${s.message}`, size: 7.5 },
          { text: bytesText(s.sizeBytes) },
        ];
      }),
    );
  }

  w.decorate();
  doc.file(caseJson, {
    name: 'case.json',
    type: 'application/json',
    description: `genprint case ${c.caseId} (genprint.case/1 with report block)`,
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

function nearestEntryText(v: Verdict): string {
  if (v.mixed) return 'none for the folder as a whole (mixed: see the group verdicts)';
  if (v.unknown || !v.label) return 'none (unknown: outside every entry’s calibrated range)';
  return `${v.label}${v.family ? ` (${v.family})` : ''}`;
}

function consistencyText(v: Verdict): string {
  if (v.mixed) return 'not applicable (mixed: see the group verdicts)';
  if (v.unknown || !v.label) return 'not applicable (no entry is named)';
  return v.consistency ? describeConsistency(v.consistency, v.label) : 'not tested (fewer than two images, or not a classifier verdict)';
}

function errorRateText(v: Verdict): string {
  if (v.mixed) return 'not applicable (mixed: see the group verdicts)';
  if (v.unknown || !v.label) return 'not applicable (no entry is named)';
  return v.errorRate ? describeHeldBackError(v.errorRate) : 'not estimated (not a classifier verdict, or the classifier kept no held-back enrolment logits)';
}

/** The library classifier's evidence blocks and weights, in one sentence for the report. */
function classifierText(k: ClassifierSummary): string {
  const blocks = k.blocks.map((b) => `${b.description} (weight ${b.weight.toPrecision(2)})`).join(' + ');
  const acc = k.heldOutAccuracy !== null ? `; out-of-fold per-image accuracy on the enrolment images ${k.heldOutAccuracy.toFixed(2)}` : '';
  const tempered =
    k.bagTemperatureExponent !== undefined && k.bagTemperatureExponent !== null
      ? ` A set's summed log-probabilities are divided by n^α with α = ${k.bagTemperatureExponent.toFixed(2)}, fitted on sets of held-back enrolment images, because a generator's images are not independent.`
      : '';
  if (k.blocks.length === 1) return `${blocks}.${tempered}${k.caveat ? ` Note: ${k.caveat}.` : ''}`;
  return `${blocks}, combined by ${k.weighting}${acc}.${tempered}${k.caveat ? ` Note: ${k.caveat}.` : ''}`;
}
