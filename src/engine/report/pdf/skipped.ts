// Appendix B, the files that could not be analysed.
import { bytesText } from './text.js';
import { displayProse, displayText } from '../../../shared/display-text.js';
import { C, CONTENT_W, F, type Writer } from './writer.js';

export function writeSkipped(w: Writer): void {
  const { doc, c } = w;
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
          { text: w.fit(displayText(s.relPath), 270), size: 8, sub: s.sha256 ?? 'SHA-256 not recorded' },
          { text: `${s.reason}\n${displayProse(s.message)}`, size: 7.5 },
          { text: bytesText(s.sizeBytes) },
        ];
      }),
    );
  }
}
