// The PDF's page geometry, fonts and colours, and the Writer: the layout primitives (headings,
// paragraphs, key/value lists, tables, figures, header and footer) every report section draws with.
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import type { CaseResult } from '../../types.js';
import { localIsoString } from '../datetime.js';
import { toWinAnsi } from '../winansi.js';
import { softwareVersion } from '../../version.js';
import { SIGNATURE_PLACEHOLDER } from '../signing.js';
import { displayText } from '../../../shared/display-text.js';
import type { PdfRenderOptions } from './index.js';

export const PAGE = { width: 595.28, height: 841.89 };
export const M = { top: 74, bottom: 62, left: 56, right: 56 };
export const CONTENT_W = PAGE.width - M.left - M.right;
export const BOTTOM = PAGE.height - M.bottom;
export const F = { regular: 'Helvetica', bold: 'Helvetica-Bold', italic: 'Helvetica-Oblique', mono: 'Courier' };
export const C = { text: '#111111', muted: '#555555', faint: '#8a8a8a', rule: '#c8c8c8', accent: '#1f3b63', band: '#f2f4f7', warn: '#8a4b00' };
export const BODY = 9.5;

/** A table cell; `sub` is a second line in the monospaced font (hashes). */
export type Cell = { text: string; font?: string; size?: number; color?: string; sub?: string };
export interface Column {
  title: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

export const t = (s: string | null | undefined) => toWinAnsi(s ?? '');

function svgSize(svg: string): { w: number; h: number } {
  const w = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1] ?? 500);
  const h = Number(/<svg[^>]*\sheight="([\d.]+)"/.exec(svg)?.[1] ?? 300);
  return { w, h };
}

export class Writer {
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
        Title: t(`Forensic image attribution report - case ${displayText(c.caseId)}`),
        Author: t(displayText(c.examiner ?? '')),
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
        .text(t(`Case ${displayText(this.c.caseId)}`), M.left, hy, { width: CONTENT_W, align: 'right', lineBreak: false });
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
