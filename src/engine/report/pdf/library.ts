// Section 4, software, models and reference library, with each entry's error rate.
import type { ClassifierSummary } from '../../types.js';
import { cappingNote, mostConfusedText } from '../../../shared/held-back-error.js';
import { formatRate } from '../../../shared/numbers.js';
import { displayProse, displayText } from '../../../shared/display-text.js';
import { gitCommit, softwareVersion } from '../../version.js';
import { CONTENT_W, type Writer } from './writer.js';

export function writeSoftwareAndLibrary(w: Writer): void {
  const { c } = w;
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
    ['Library file', displayText(c.library.path)],
    ['Library file, SHA-256', c.library.sha256, 'mono'],
    ...(c.library.classifier ? [['Library classifier', displayProse(classifierText(c.library.classifier))] as [string, string]] : []),
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
        { text: displayText(e.name) },
        { text: displayText(e.family) },
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
      c.library.entries.map((e) => [{ text: String(e.id) }, { text: displayText(e.name) }, { text: displayText(e.family) }]),
    );
  }
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
