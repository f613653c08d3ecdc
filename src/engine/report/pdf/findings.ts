// Section 1, findings: the folder verdict, every entry's score, the evidence groups and the bags.
import type { Verdict } from '../../types.js';
import { compressionSummary, referenceMatchText } from '../../../shared/compression.js';
import { processingHistorySummary } from '../../../shared/processing-history.js';
import { describeConsistency } from '../../../shared/consistency.js';
import { describeHeldBackError } from '../../../shared/held-back-error.js';
import { describeNeighbourCheck, describeOpenSetCalibration, describeSplitTest, heterogeneousLabel } from '../../../shared/calibration.js';
import { formatScore, scoreName } from '../../../shared/numbers.js';
import { analysisVerdicts, scoreCaption, strengthText, verdictWording } from '../../../shared/wording.js';
import { displayProse, displayText } from '../../../shared/display-text.js';
import { C, CONTENT_W, F, type Writer } from './writer.js';

const ANALYSIS_NAMES = { classifier: 'classifier', embedding: 'embedding distance', residual: 'residual correlation' } as const;

export function writeFindings(w: Writer): void {
  w.heading('1. Findings');
  w.heading('1.1 Folder verdict (all evidence together)', 2);
  w.keyValues(verdictRows(w.c.verdicts.folder));
  writeScores(w);
  writeGroups(w);
  writeBags(w);
}

/** One verdict as key/value rows: statement, strength, numbers, the checks behind it. */
function verdictRows(v: Verdict): [string, string, ('mono' | 'bold')?][] {
  const wording = verdictWording(v);
  const agreement = analysisVerdicts(v)
    .map((a) => `${ANALYSIS_NAMES[a.analysis]}: ${displayText(a.verdict)}`)
    .join('; ');
  return [
    ['Statement', wording.statement, 'bold'],
    ['Strength', `${strengthText(wording)}.`],
    ['Nearest entry', nearestEntryText(v)],
    [`Score (${scoreCaption(v)})`, formatScore(v.method, v.score)],
    ['Runner-up and margin', `${v.runnerUp ? displayText(v.runnerUp) : '-'}; margin ${formatScore(v.method, v.margin)}`],
    ['Unknown flag', v.unknown ? 'yes' : 'no'],
    ['Images', String(v.evidenceCount)],
    ['Decided by', v.decidedBy || '-'],
    ['Compression', compressionSummary(v.compression)],
    ...(v.references ? [['References', referenceMatchText(v.references)] as [string, string]] : []),
    ['Processing history', processingHistorySummary(v.processingHistory)],
    ['Consistency across images', consistencyText(v)],
    ['Error rate on held-back references', errorRateText(v)],
    ['Unknown-generator test', openSetText(v)],
    ['Closer to the runner-up than the references?', neighbourText(v)],
    ...(v.split ? ([['Split into groups', splitText(v)]] as [string, string][]) : []),
    ['Independent analyses', `${agreement || '-'} (${v.agreement.agree ? 'they agree' : 'they do not all agree'})`],
    ['How the score was computed', displayProse(v.explanation || '-')],
  ];
}

/** 1.2: every library entry's score for the folder. */
function writeScores(w: Writer): void {
  const folder = w.c.verdicts.folder;
  if (folder.candidates.length) {
    w.heading('1.2 Scores for every library entry', 2);
    const cands = [...folder.candidates].sort((a, b) => b.score - a.score);
    w.table(
      [
        { title: 'Rank', width: 36, align: 'right' },
        { title: 'Library entry', width: 230 },
        { title: 'Family', width: 110 },
        { title: `Score (${scoreName(folder.method)})`, width: CONTENT_W - 376, align: 'right' },
      ],
      cands.map((cand, i) => [
        { text: String(i + 1) },
        { text: displayText(cand.name), font: i === 0 && !folder.unknown ? F.bold : F.regular },
        { text: displayText(cand.family) },
        { text: formatScore(folder.method, cand.score) },
      ]),
    );
  }
}

/** 1.3: the evidence groups, each attributed on its own. */
function writeGroups(w: Writer): void {
  const { c } = w;
  if (c.verdicts.groups.length) {
    w.heading('1.3 Evidence groups', 2);
    w.para(
      'The evidence was split into groups of images that lean to different library entries, and each group was attributed separately; ' +
        'the split test (section 1.1, "Split into groups") decided that the groups differ significantly.',
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
        const gw = verdictWording(g);
        return [
          { text: String(g.groupIndex + 1) },
          { text: String(g.files.length || g.evidenceCount) },
          { text: g.unknown || !g.label ? 'unknown' : displayText(g.label) },
          { text: formatScore(g.method, g.score) },
          { text: formatScore(g.method, g.margin) },
          { text: `${gw.statement} Strength: ${gw.strength}.`, size: 8 },
        ];
      }),
    );
  }
}

/** 1.4: the bag verdicts, counted by verdict. */
function writeBags(w: Writer): void {
  const { c } = w;
  if (c.verdicts.bags.length) {
    w.heading('1.4 Bag verdicts', 2);
    const byLabel = new Map<string, { count: number; sum: number }>();
    for (const b of c.verdicts.bags) {
      const key = b.unknown || !b.label ? 'unknown' : displayText(b.label);
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
          { text: formatScore(c.verdicts.folder.method, e.sum / e.count) },
        ]),
    );
  }
}

function openSetText(v: Verdict): string {
  return v.openSet.calibration
    ? describeOpenSetCalibration(v.openSet.calibration)
    : 'fixed thresholds (3 standard errors): the library keeps no held-back data to calibrate them on, so no false-unknown or detection rate is stated';
}

function neighbourText(v: Verdict): string {
  if (v.mixed) return 'not applicable (mixed: see the group verdicts)';
  if (v.unknown || !v.label) return 'not applicable (no entry is named)';
  if (!v.neighbour) return 'not checked (the library keeps no held-back data, or it has one entry)';
  return `${v.neighbour.closer ? 'yes' : 'no'}: ${describeNeighbourCheck(v.neighbour, v.label)}`;
}

function splitText(v: Verdict): string {
  const s = v.split!;
  const outcome = s.reported ? 'reported as a mixed folder' : (heterogeneousLabel(s) ?? 'judged as one set');
  return `${s.groups.map((g) => `${g.images} images → ${displayText(g.entry)}`).join('; ')}: ${describeSplitTest(s)}; ${outcome}`;
}

function nearestEntryText(v: Verdict): string {
  if (v.mixed) return 'none for the folder as a whole (mixed: see the group verdicts)';
  if (v.unknown || !v.label) return 'none (unknown: outside every entry’s calibrated range)';
  return `${displayText(v.label)}${v.family ? ` (${displayText(v.family)})` : ''}`;
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
