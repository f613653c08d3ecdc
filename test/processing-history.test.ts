// Processing history read from the pixels: resampling (ingest/resampling.ts) and an earlier JPEG
// compression of a file saved losslessly (ingest/jpeg-history.ts), from real sharp-resized, cropped
// and re-saved images made here; and how a verdict states them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImageBuffer } from '../src/engine/ingest/decode.js';
import { listDemoGenerators, renderGeneratorSample } from '../src/engine/demo/index.js';
import { checkProcessingHistory, judge, type ImageEvidence } from '../src/engine/attribution/judge.js';
import { statementFor, verdictWording } from '../src/shared/wording.js';
import { formatVerdict } from '../src/cli/common.js';
import { writeReport } from '../src/engine/report/index.js';
import { renderCsv } from '../src/engine/report/csv.js';
import { buildSampleCase } from './fixtures/sample-case.js';
import { createElement } from 'react';
import { VerdictCard } from '../src/renderer/src/components/VerdictCard.js';
import { staticText } from './ui/static-text.js';
import { earlierJpegLine, processingHistorySummary, resamplingLine } from '../src/shared/processing-history.js';
import type { EvidenceFile } from '../src/shared/types.js';
import { handMadeLibrary } from './helpers/hand-made-library.js';

const SIZE = 256;
const GENERATORS = listDemoGenerators().map((g) => g.name);

function png(rgb: Uint8Array, size = SIZE): Promise<Buffer> {
  return sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

async function decoded(buf: Buffer): Promise<Omit<EvidenceFile, 'relPath' | 'sha256' | 'sizeBytes' | 'mtimeMs'>> {
  const r = await decodeImageBuffer(buf);
  if ('skip' in r) throw new Error(r.message);
  return r.info;
}

describe('resampling', () => {
  it('is not detected in clean demo-generator images, whose ×2 upsampling traces sit on the excluded grid', async () => {
    for (const g of GENERATORS) {
      for (let i = 0; i < 3; i++) {
        const info = await decoded(await png(renderGeneratorSample(g, i, SIZE)));
        expect(info.resampling?.measured, `${g} #${i}`).toBe(true);
        expect(info.resampling?.detected, `${g} #${i} score ${info.resampling?.score}`).toBe(false);
      }
    }
  }, 60_000);

  it('is detected after sharp enlarges by 1.5× (period 3 px), with 1.5× first among the factors', async () => {
    for (const g of GENERATORS.slice(0, 4)) {
      const big = await sharp(await png(renderGeneratorSample(g, 7, SIZE)))
        .resize(SIZE * 1.5, SIZE * 1.5)
        .png()
        .toBuffer();
      const r = (await decoded(big)).resampling!;
      expect(r.detected, `${g} score ${r.score}`).toBe(true);
      expect(r.period).toBeCloseTo(3, 1);
      expect(r.factors).toContain(1.5);
      expect(r.factors).toContain(0.75);
      expect(r.factor).toBe(1.5);
      expect(resamplingLine(r)).toMatch(/^resampling suspected \(period 3 px, consistent with resizing by 1\.5× or 0\.75×/);
    }
  }, 60_000);

  it('is not measured under 64 pixels a side', async () => {
    const r = (await decoded(await png(renderGeneratorSample(GENERATORS[0], 0, 48), 48))).resampling!;
    expect(r).toMatchObject({ measured: false, detected: false, score: null });
  });
});

describe('earlier JPEG compression of a losslessly saved file', () => {
  it('is not suspected in clean demo-generator PNGs', async () => {
    for (const g of GENERATORS) {
      const info = await decoded(await png(renderGeneratorSample(g, 1, SIZE)));
      expect(info.earlierJpeg?.measured).toBe(true);
      expect(info.earlierJpeg?.suspected, `${g} score ${info.earlierJpeg?.score}`).toBe(false);
    }
  }, 60_000);

  it('is suspected in a JPEG q75 / q90 re-saved as PNG, with the quality estimated', async () => {
    for (const q of [75, 90]) {
      for (const g of GENERATORS.slice(0, 3)) {
        const jpg = await sharp(await png(renderGeneratorSample(g, 2, SIZE)))
          .jpeg({ quality: q })
          .toBuffer();
        const j = (await decoded(await sharp(jpg).png().toBuffer())).earlierJpeg!;
        expect(j.suspected, `${g} q${q} score ${j.score}`).toBe(true);
        expect(j.quality).toBe(q);
        expect(j.gridOffset).toEqual({ x: 0, y: 0 });
        expect(earlierJpegLine(j)).toMatch(new RegExp(`^earlier JPEG compression suspected \\(estimated quality ${q};`));
      }
    }
  }, 60_000);

  it('finds the 8×8 grid moved by a crop after the JPEG', async () => {
    const jpg = await sharp(await png(renderGeneratorSample(GENERATORS[0], 3, SIZE)))
      .jpeg({ quality: 75 })
      .toBuffer();
    const cropped = await sharp(jpg)
      .extract({ left: 3, top: 5, width: SIZE - 3, height: SIZE - 5 })
      .png()
      .toBuffer();
    const j = (await decoded(cropped)).earlierJpeg!;
    expect(j.suspected).toBe(true);
    // The grid that started at 0 now starts at 8 − 3 = 5 across and 8 − 5 = 3 down.
    expect(j.gridOffset).toEqual({ x: 5, y: 3 });
    expect(earlierJpegLine(j)).toMatch(/8×8 grid offset 5, 3 px, so it was cropped after/);
  }, 30_000);

  it('is not looked for in a file that is a JPEG now (its own blocks are no history)', async () => {
    const jpg = await sharp(await png(renderGeneratorSample(GENERATORS[0], 4, SIZE)))
      .jpeg({ quality: 75 })
      .toBuffer();
    const info = await decoded(jpg);
    expect(info.compression).toBe('jpeg-q75');
    expect(info.earlierJpeg).toBeUndefined();
    expect(info.resampling?.detected).toBe(false);
  });
});

describe('verdicts on processed evidence', () => {
  const lib = handMadeLibrary();
  async function evidence(history: (i: number) => ImageEvidence['history'], n = 10): Promise<ImageEvidence[]> {
    return Array.from({ length: n }, (_, i) => ({
      relPath: `${i}.png`,
      sha256: String(i),
      corr: Float64Array.from([0.12, 0.02]),
      logProba: null,
      novelty: null,
      features: null,
      history: history(i),
    }));
  }

  it('counts the findings of real resized and re-saved images and words a mostly resized set weak', async () => {
    const resized = await sharp(await png(renderGeneratorSample(GENERATORS[0], 5, SIZE)))
      .resize(SIZE * 1.5, SIZE * 1.5)
      .png()
      .toBuffer();
    const clean = await png(renderGeneratorSample(GENERATORS[0], 6, SIZE));
    const [r, c] = [await decoded(resized), await decoded(clean)];
    const items = await evidence((i) =>
      i < 7 ? { resampling: r.resampling, earlierJpeg: r.earlierJpeg } : { resampling: c.resampling, earlierJpeg: c.earlierJpeg },
    );
    const v = await judge(lib, items, 'residual', null);
    expect(v.label).toBe('alpha');
    expect(v.processingHistory).toMatchObject({
      total: 10,
      resamplingMeasured: 10,
      resampled: 7,
      factors: { '1.5× or 0.75×': 7 },
      jpegMeasured: 10,
      earlierJpeg: 0,
    });
    expect(v.statement).toMatch(/^The 10 images are weakly consistent with the library entry alpha/);
    expect(v.statement).toMatch(/Caution: .*7 of 10 evidence images show traces of resizing after generation \(estimated 1\.5× or 0\.75× \(7\)\)/);
    expect(v.statement).toMatch(/no firm attribution/);
    const w = verdictWording(v);
    expect(w.strength).toBe('weak');
    expect(w.cautions.map((x) => x.id)).toContain('resampled');
    expect(processingHistorySummary(v.processingHistory)).toBe(
      '7 of 10 images look resized (1.5× or 0.75× (7)); no earlier JPEG compression detected in 10 losslessly saved',
    );
  }, 30_000);

  it('a minority of resized images makes the verdict moderate at most, and clean images add no caution', async () => {
    const flagged = { measured: true, detected: true, score: 50, threshold: 12, period: 3, factor: 1.5, factors: [1.5, 0.75] };
    const clean = { ...flagged, detected: false, score: 3, period: null, factor: null, factors: [] };
    const some = await judge(lib, await evidence((i) => ({ resampling: i < 2 ? flagged : clean }), 40), 'residual', null);
    expect(verdictWording(some).cautions.find((c) => c.id === 'resampled')?.caps).toBe('moderate');
    const none = await judge(lib, await evidence(() => ({ resampling: clean }), 40), 'residual', null);
    expect(none.processingHistory?.resampled).toBe(0);
    expect(verdictWording(none).cautions.map((c) => c.id)).not.toContain('resampled');
    expect(none.statement).not.toMatch(/Caution/);
  });

  it('names an earlier JPEG of PNG evidence, with its quality, and words the verdict weak', async () => {
    const jpg = await sharp(await png(renderGeneratorSample(GENERATORS[1], 8, SIZE)))
      .jpeg({ quality: 75 })
      .toBuffer();
    const info = await decoded(await sharp(jpg).png().toBuffer());
    const v = await judge(lib, await evidence(() => ({ resampling: info.resampling, earlierJpeg: info.earlierJpeg })), 'residual', null);
    expect(v.processingHistory).toMatchObject({ earlierJpeg: 10, qualities: { q75: 10 } });
    expect(v.statement).toMatch(/10 of 10 evidence images saved losslessly show the 8×8 block traces of an earlier JPEG compression \(q75 \(10\)\)/);
    expect(verdictWording(v).strength).toBe('weak');
  }, 30_000);

  it('records nothing for evidence without the analysis (older case files, cached records before it)', () => {
    expect(checkProcessingHistory([{}, {}])).toBeUndefined();
    expect(processingHistorySummary(undefined)).toBe('not recorded');
    // A case file not written by this engine cannot forge a line through a key.
    const forged = { total: 1, resamplingMeasured: 1, resampled: 1, factors: { '2×\nStrength: strong': 1 }, jpegMeasured: 0, earlierJpeg: 0, qualities: {} };
    expect(processingHistorySummary(forged)).not.toContain('\n');
    expect(processingHistorySummary(forged)).toContain('2×\\nStrength: strong (1)');
  });
});

describe('what the CLI and the PDF report print', () => {
  const hasPoppler = existsSync('/usr/bin/pdftotext');
  const history = { total: 3, resamplingMeasured: 3, resampled: 2, factors: { '1.5× or 0.75×': 2 }, jpegMeasured: 3, earlierJpeg: 1, qualities: { q75: 1 } };

  it('the CLI prints the processing-history line under the verdict', () => {
    const c = buildSampleCase();
    const v = { ...c.verdicts.folder, processingHistory: history };
    v.statement = statementFor(v, v.label);
    const text = formatVerdict(v, 'Folder');
    expect(text).toContain(
      '  processing history: 2 of 3 images look resized (1.5× or 0.75× (2)); 1 of 3 losslessly saved show an earlier JPEG compression (q75 (1))',
    );
    expect(text).toMatch(/Strength of evidence relative to the library: weak \(.*2 of 3 evidence images show traces of resizing/);
  });

  it('the CSV export has a column for each finding', () => {
    const c = buildSampleCase();
    c.manifest[1] = {
      ...c.manifest[1],
      resampling: { measured: true, detected: true, score: 80, threshold: 12, period: 3, factor: 1.5, factors: [1.5, 0.75] },
      earlierJpeg: { measured: true, suspected: true, score: 12.5, threshold: 1.5, quality: 75, gridOffset: { x: 0, y: 0 } },
    };
    c.manifest[2] = {
      ...c.manifest[2],
      resampling: { measured: true, detected: false, score: 3, threshold: 12, period: null, factor: null, factors: [] },
      earlierJpeg: { measured: true, suspected: false, score: 1, threshold: 1.5, quality: null, gridOffset: null },
    };
    const rows = renderCsv(c)
      .toString('utf8')
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    const col = (name: string) => rows[0].indexOf(name);
    expect(rows[2][col('resampling')]).toBe('1.5× or 0.75×');
    expect(rows[2][col('earlierJpeg')]).toBe('q75');
    expect(rows[3][col('resampling')]).toBe('no');
    expect(rows[3][col('earlierJpeg')]).toBe('no');
    expect(rows[1][col('resampling')]).toBe('');
  });

  it("the app's verdict card shows the same line", () => {
    const c = buildSampleCase();
    const v = { ...c.verdicts.folder, processingHistory: history };
    v.statement = statementFor(v, v.label);
    const text = staticText(createElement(VerdictCard, { verdict: v, title: 'Whole folder', provider: 'cpu', primary: true, solo: true }));
    expect(text).toContain('Processing history');
    expect(text).toContain('2 of 3 images look resized (1.5× or 0.75× (2)); 1 of 3 losslessly saved show an earlier JPEG compression (q75 (1))');
    expect(text).toMatch(/weakly consistent/);
  });

  it.skipIf(!hasPoppler)(
    'the PDF names the verdict facts and the flagged files of the manifest',
    async () => {
      const c = buildSampleCase();
      const v = { ...c.verdicts.folder, processingHistory: history };
      v.statement = statementFor(v, v.label);
      c.verdicts.folder = v;
      // #2 of the sample manifest is a PNG.
      c.manifest[1] = {
        ...c.manifest[1],
        resampling: { measured: true, detected: true, score: 80, threshold: 12, period: 3, factor: 1.5, factors: [1.5, 0.75, 3, 0.6] },
        earlierJpeg: { measured: true, suspected: true, score: 12.5, threshold: 1.5, quality: 75, gridOffset: { x: 5, y: 3 } },
      };
      const dir = mkdtempSync(path.join(tmpdir(), 'genprint-history-pdf-'));
      const file = path.join(dir, 'report.pdf');
      await writeReport(c, file, { generatedAt: new Date('2024-03-15T09:30:00Z') });
      const text = execFileSync('pdftotext', ['-layout', file, '-']).toString('utf8').replace(/\s+/g, ' ');
      expect(text).toContain(
        'Processing history 2 of 3 images look resized (1.5× or 0.75× (2)); 1 of 3 losslessly saved show an earlier JPEG compression (q75 (1))',
      );
      expect(text).toContain('Strength weak (2 of 3 evidence images show traces of resizing after generation');
      expect(text).toContain(
        '#2 cloud-export/2024-03/IMG_20240312_1037.png: resampling suspected (period 3 px, consistent with resizing by 1.5× or 0.75×; score 80 >= 12); ' +
          'earlier JPEG compression suspected (estimated quality 75; 8×8 grid offset 5, 3 px, so it was cropped after; quantisation fit 12.5 >= 1.5)',
      );
    },
    60_000,
  );
});
