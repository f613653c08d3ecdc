// Appendix A, the evidence manifest: one fixed-height row per analysed file.
import { needsReplacement } from '../winansi.js';
import { displayProse, displayText } from '../../../shared/display-text.js';
import { formatScore } from '../../../shared/numbers.js';
import { earlierJpegLine, resamplingLine } from '../../../shared/processing-history.js';
import { bytesText } from './text.js';
import { BOTTOM, C, CONTENT_W, F, M, type Column, type Writer } from './writer.js';

export function writeManifest(w: Writer): void {
  const { doc, c } = w;
  const images = new Map(c.images.map((r) => [r.relPath, r]));
  const anyReplaced = [...c.manifest, ...c.skipped].some((f) => needsReplacement(displayText(f.relPath)));
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
      cell(1, displayText(f.relPath));
      cell(2, bytesText(f.sizeBytes));
      cell(3, f.format);
      cell(4, `${f.width} x ${f.height}`);
      cell(5, r ? String(r.group + 1) : '-');
      cell(6, r ? (r.topCandidate === null ? 'no candidate' : displayText(r.topCandidate)) : '-', F.regular, 7.5);
      if (r)
        doc
          .font(F.regular)
          .fontSize(7)
          .fillColor(C.muted)
          .text(`score ${formatScore(c.verdicts.folder.method, r.score)}`, xs[6]! + 3, y + 12, { lineBreak: false });
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
          `them carry a caution): ${warned.map(({ f, i }) => `#${i + 1} ${w.fit(displayText(f.relPath), 200)}: ${displayProse(f.decodeWarning!)}`).join('; ')}.`,
        { size: 8.5 },
      );
    const processed = c.manifest
      .map((f, i) => ({ f, i, found: [resamplingLine(f.resampling), earlierJpegLine(f.earlierJpeg)].filter((l): l is string => l !== null) }))
      .filter(({ found }) => found.length > 0);
    if (processed.length)
      w.para(
        `Processing history read from the pixels (a resize after generation, or a JPEG compression before a lossless save; ` +
          `the verdicts that include these images carry a caution): ${processed.map(({ f, i, found }) => `#${i + 1} ${w.fit(displayText(f.relPath), 200)}: ${displayProse(found.join('; '))}`).join('; ')}.`,
        { size: 8.5 },
      );
  }
}
