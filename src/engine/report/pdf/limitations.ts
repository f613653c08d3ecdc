// Section 5, limitations: fixed text from prose.ts.
import { FAILURE_MODES, LIMITATIONS_INTRO, PER_IMAGE_NOTE } from '../prose.js';
import { F, type Writer } from './writer.js';

export function writeLimitations(w: Writer): void {
  // ---- 5. Limitations ------------------------------------------------------------------------
  w.heading('5. Limitations');
  for (const para of LIMITATIONS_INTRO) w.para(para.text, { lead: `${para.title}.` });
  w.para('Known failure modes:', { font: F.bold });
  w.bullets(FAILURE_MODES);
  w.para(PER_IMAGE_NOTE);
}
