// Section 6, integrity and verification, and the examiner's declaration block.
import { formatFingerprint } from '../signing.js';
import { displayText } from '../../../shared/display-text.js';
import { BODY, C, CONTENT_W, F, M, type Writer } from './writer.js';

export function writeVerification(w: Writer, embeddedSha256: string): void {
  const { opts } = w;
  // ---- 6. Verification -----------------------------------------------------------------------
  w.heading('6. Integrity and verification');
  const name = displayText(opts.fileName ?? 'report.pdf');
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
}

export function writeDeclaration(w: Writer): void {
  const { doc } = w;
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
}
