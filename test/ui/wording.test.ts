// One verdict, three displays: the CLI's formatter (the one `genprint attribute` prints with), the
// UI's verdict card (the real React component, rendered to static markup) and the PDF report (the
// real renderPdf, read back with pdftotext) must show the same statement, strength and numbers.
// The expected strings are written out by hand, so a display that formats on its own fails here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createElement } from 'react';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCase } from '../../src/cli/commands/attribute.js';
import { renderPdf } from '../../src/engine/report/index.js';
import { VerdictCard } from '../../src/renderer/src/components/VerdictCard.js';
import { tooltipValue } from '../../src/renderer/src/components/StabilityChart.js';
import { assessVerdict, scoreCaption, statementFor, verdictWording } from '../../src/shared/wording.js';
import type { CaseResult, Verdict } from '../../src/shared/types.js';
import { buildSampleCase } from '../fixtures/sample-case.js';
import { staticText } from './static-text.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'genprint-wording-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whitespace folded, so a sentence wrapped by a layout compares as one line. */
const flat = (s: string) => s.replace(/\s+/g, ' ');

let hasPdftotext = true;
try {
  execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
} catch {
  hasPdftotext = false;
  console.warn('wording.test: pdftotext (poppler-utils) not found; the PDF is not compared');
}

/**
 * The sample case with a folder verdict that exercises the policy: a probability that must not
 * print as 1.000, 12 images (moderate) and a margin of 0.25 (moderate).
 */
function caseWithModerateVerdict(): CaseResult {
  const c = buildSampleCase({ files: 12 });
  const v: Verdict = { ...c.verdicts.folder, score: 0.99962, margin: 0.25, evidenceCount: 12 };
  v.consistency = { ...v.consistency!, images: 12, favouring: 11 };
  v.errorRate = { ...v.errorRate!, n: 12 };
  v.statement = statementFor(v, null);
  c.verdicts.folder = v;
  c.verdicts.groups = [{ ...v, groupIndex: 0, files: c.manifest.map((f) => f.relPath) }];
  return c;
}

describe('one verdict in the CLI, the UI and the PDF', () => {
  const c = caseWithModerateVerdict();
  const v = c.verdicts.folder;
  const runnerUp = v.runnerUp!;
  const statement =
    `The 12 images are consistent with the library entry StyleGAN2 (FFHQ) (family: GAN), with probability above 0.999 and a margin of 0.250 over ${runnerUp}. ` +
    'This does not exclude generators that are not in the library.';
  const strength =
    "Strength of evidence relative to the library: moderate (12 images were analysed; the method's scores stabilise with larger sets; " +
    `the margin over the runner-up (${runnerUp}) is 0.250).`;

  it('the wording layer words it moderate, with the probability as a bound', () => {
    expect(v.statement).toBe(statement);
    expect(assessVerdict(v).strength).toBe('moderate');
    expect(verdictWording(v).statement).toBe(statement);
  });

  it('the CLI prints the statement, the strength and the same numbers', () => {
    const text = flat(formatCase(c));
    expect(text).toContain(statement);
    expect(text).toContain(strength);
    expect(text).toContain(`probability > 0.999; runner-up ${runnerUp} (margin 0.250); 12 images`);
    expect(text).not.toMatch(/100(\.0)? ?%|1\.000\b|99\.9 %/);
  });

  it('the UI verdict card shows the statement, the strength and the same numbers', () => {
    const text = staticText(createElement(VerdictCard, { verdict: v, title: 'Whole folder', provider: 'cpu', primary: true, solo: true }));
    expect(text).toContain(statement);
    expect(text).toContain(strength);
    expect(text).toMatch(/Probability > 0\.999 Margin to runner-up 0\.250 \(/);
    expect(text).toContain('12 images');
    expect(text).not.toMatch(/100(\.0)? ?%|1\.000\b|99\.9 %/);
  });

  it("the UI stability chart's tooltip writes the mean score as a score", () => {
    expect(tooltipValue('dsf', 'Probability of A', 0.99996, 'Probability of A')).toBe('> 0.999');
    expect(tooltipValue('residual', 'Mean |corr| of A', 0.12345, 'Mean |corr| of A')).toBe('0.1235');
    expect(tooltipValue('dsf', 'Probability of A', 0.5, 'Bags agreeing with the verdict')).toBe('0.500');
  });

  it.skipIf(!hasPdftotext)('the PDF report shows the statement, the strength and the same numbers', async () => {
    const file = path.join(dir, 'report.pdf');
    writeFileSync(file, (await renderPdf(c, { generatedAt: new Date('2024-03-15T09:30:00Z') })).bytes);
    const text = flat(execFileSync('pdftotext', ['-layout', file, '-']).toString('utf8'));
    expect(text).toContain(statement);
    expect(text).toContain(strength);
    expect(text).toContain(`probability > 0.999; margin 0.250 over ${runnerUp}`);
    expect(text).toContain('Score (probability) > 0.999');
    expect(text).not.toMatch(/probability 1\.000|100(\.0)? ?%|99\.9 %/);
  });
});

/**
 * An unknown verdict keeps the nearest entry's closed-set probability as its score. Printed as a
 * bare "probability > 0.999" beside UNKNOWN GENERATOR it reads as confidence in that entry; every
 * display must caption it as a probability among the library's entries only.
 */
describe('an unknown verdict in the CLI, the UI and the PDF', () => {
  const c = buildSampleCase({ files: 12 });
  const v: Verdict = { ...c.verdicts.folder, label: null, family: null, unknown: true, score: 0.99962, evidenceCount: 12 };
  v.statement = statementFor(v, c.verdicts.folder.label);
  c.verdicts.folder = v;
  c.verdicts.groups = [{ ...v, groupIndex: 0, files: c.manifest.map((f) => f.relPath) }];
  const caption = "probability of the nearest entry, among the library's entries only";

  it('the wording layer captions the score', () => {
    expect(scoreCaption(v)).toBe(caption);
    expect(scoreCaption({ ...v, unknown: false, label: 'A' })).toBe('probability');
  });

  it('the CLI prints the caption, never a bare probability', () => {
    const text = flat(formatCase(c));
    expect(text).toContain(`${caption} > 0.999;`);
    expect(text).not.toMatch(/(^|[^y]) probability > 0\.999/);
  });

  it('the UI verdict card prints the caption', () => {
    const text = staticText(createElement(VerdictCard, { verdict: v, title: 'Whole folder', provider: 'cpu', primary: true, solo: true }));
    expect(text).toContain(`Probability of the nearest entry, among the library's entries only > 0.999`);
  });

  it.skipIf(!hasPdftotext)('the PDF report prints the caption in the summary and the findings', async () => {
    const file = path.join(dir, 'unknown.pdf');
    writeFileSync(file, (await renderPdf(c, { generatedAt: new Date('2024-03-15T09:30:00Z') })).bytes);
    const text = flat(execFileSync('pdftotext', ['-layout', file, '-']).toString('utf8'));
    expect(text).toContain(`${caption} > 0.999; margin`);
    // The findings table wraps its label column, so the value may sit between the caption's lines.
    expect(text).toMatch(/Score \(probability of the nearest (> 0\.999 )?entry, among the library's entries only\)/);
  });
});
