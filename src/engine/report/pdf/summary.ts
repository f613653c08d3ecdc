// Title block and summary: the case, who and when, then the folder verdict in plain words.
import { displayDateTime, localIsoString, localTimeZone } from '../datetime.js';
import { formatScore } from '../../../shared/numbers.js';
import { scoreCaption, strengthLine, verdictWording } from '../../../shared/wording.js';
import { displayProse, displayText } from '../../../shared/display-text.js';
import { C, CONTENT_W, F, M, t, type Writer } from './writer.js';

export function writeSummary(w: Writer): void {
  const { doc, c, opts } = w;
  const folder = c.verdicts.folder;
  const entries = c.library.entries.length;
  const folderWording = verdictWording(folder);
  // ---- Title block and summary ------------------------------------------------------------
  doc.font(F.bold).fontSize(9).fillColor(C.muted).text('FORENSIC IMAGE ATTRIBUTION REPORT', M.left, M.top, { characterSpacing: 0.8 });
  w.gap(4);
  doc
    .font(F.bold)
    .fontSize(20)
    .fillColor(C.text)
    .text(t(`Case ${displayText(c.caseId)}`), { width: CONTENT_W });
  w.gap(10);
  w.keyValues(
    [
      ['Examiner', c.examiner ? displayText(c.examiner) : 'not recorded'],
      ['Analysis performed', displayDateTime(c.createdAt)],
      ['Report generated', `${displayDateTime(localIsoString(opts.generatedAt))}, ${localTimeZone()}`],
      ['Evidence folder', displayText(c.caseRoot)],
      ['Notes', displayProse(c.notes?.trim() || 'none')],
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
          `Folder verdict: ${folder.mixed ? `mixed (${c.verdicts.groups.length} groups)` : folder.unknown || !folder.label ? 'unknown (no library entry)' : displayText(folder.label)}; ` +
          `${scoreCaption(folder)} ${formatScore(folder.method, folder.score)}; margin ${formatScore(folder.method, folder.margin)}` +
          `${folder.runnerUp ? ` over ${displayText(folder.runnerUp)}` : ''}. ` +
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
}
