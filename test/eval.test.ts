// The evaluation harness: metric functions against hand-computed values and the spectral
// baseline's FFT against a direct DFT. The end-to-end `genprint eval --quick` run is in
// test/slow/eval-quick.test.ts (npm run test:slow).
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  auroc,
  bagDraws,
  emptyFirmWrongTally,
  macroF1,
  pairedDifference,
  randomHalves,
  randomSplit,
  scoreDraws,
  splitHalves,
  std,
  tallyFirmWrong,
} from '../src/eval/protocol.js';
import type { ConsistencyTest } from '../src/shared/consistency.js';
import type { HeldBackErrorRate } from '../src/shared/held-back-error.js';
import { checkCompression } from '../src/engine/ingest/compression.js';
import { detectEarlierJpeg } from '../src/engine/ingest/jpeg-history.js';
import type { Verdict } from '../src/engine/types.js';
import { spectralFeatures } from '../src/eval/spectral-baseline.js';
import { fft, powerSpectrum2d, TILE, SPECTRAL_DIM } from '../src/engine/residual/statistics.js';
import { parseManifest, robustnessScope, type Domain, type GeneratorPool } from '../src/eval/corpus.js';
import { calibrationText, compactPerDraw } from '../src/eval/report.js';
import { TRANSFORMS, transformFiles } from '../src/eval/robustness.js';
import { estimateWebpQuality, readVp8Quantisers } from '../src/engine/ingest/webp-quality.js';
import { compressionOf } from '../src/engine/ingest/compression.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

describe('robustness transforms', () => {
  it('write what their labels say: JPEG quality and chroma read back from the files, resize factors, crops', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'genprint-transforms-'));
    try {
      const src = path.join(root, 'gen', 'a.png');
      const px = Buffer.from(Array.from({ length: 80 * 64 * 3 }, (_, i) => (i * 29 + (i >> 6) * 7) % 251));
      mkdirSync(path.dirname(src), { recursive: true });
      await sharp(px, { raw: { width: 80, height: 64, channels: 3 } }).toFile(src);
      const expected: Record<string, (file: string) => Promise<void>> = {
        jpeg95: async (f) => expect(compressionOf(readFileSync(f), 'jpeg')).toBe('jpeg-q95'),
        jpeg90: async (f) => expect(compressionOf(readFileSync(f), 'jpeg')).toBe('jpeg-q90'),
        jpeg85: async (f) => expect(compressionOf(readFileSync(f), 'jpeg')).toBe('jpeg-q85'),
        jpeg75: async (f) => expect(compressionOf(readFileSync(f), 'jpeg')).toBe('jpeg-q75'),
        jpeg65: async (f) => expect(compressionOf(readFileSync(f), 'jpeg')).toBe('jpeg-q65'),
        jpeg50: async (f) => expect(compressionOf(readFileSync(f), 'jpeg')).toBe('jpeg-q50'),
        'jpeg90-444': async (f) => expect(compressionOf(readFileSync(f), 'jpeg')).toBe('jpeg-q90-444'),
        'jpeg75-444': async (f) => expect(compressionOf(readFileSync(f), 'jpeg')).toBe('jpeg-q75-444'),
        webp90: async (f) => expect(estimateWebpQuality(readVp8Quantisers(readFileSync(f))!)!.candidates).toContain(90),
        webp75: async (f) => expect(estimateWebpQuality(readVp8Quantisers(readFileSync(f))!)!.candidates).toContain(75),
        webp50: async (f) => expect(estimateWebpQuality(readVp8Quantisers(readFileSync(f))!)!.candidates).toContain(50),
        // Lossless now, with the q75 JPEG's block traces in its pixels.
        jpeg75png: async (f) => {
          expect(await sharp(f).metadata()).toMatchObject({ width: 80, height: 64, format: 'png' });
          const { data, info } = await sharp(f).removeAlpha().raw().toBuffer({ resolveWithObject: true });
          expect(detectEarlierJpeg(data, info.width, info.height)).toMatchObject({ suspected: true, quality: 75, gridOffset: { x: 0, y: 0 } });
        },
        'resize0.75': async (f) => expect(await sharp(f).metadata()).toMatchObject({ width: 60, height: 48, format: 'png' }),
        'resize0.5': async (f) => expect(await sharp(f).metadata()).toMatchObject({ width: 40, height: 32, format: 'png' }),
        crop75: async (f) => expect(await sharp(f).metadata()).toMatchObject({ width: 60, height: 48, format: 'png' }),
      };
      expect(TRANSFORMS.map((t) => t.id).sort()).toEqual(Object.keys(expected).sort());
      for (const t of TRANSFORMS) {
        const made = await transformFiles(root, [src], t.id, path.join(root, 'out', t.id), 1);
        expect(made.size, t.id).toBe(1);
        await expected[t.id](made.get('gen/a.png')!);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('metrics', () => {
  it('AUROC equals the hand-computed Mann–Whitney value, ties counting one half', () => {
    // Pairs (p, n): 0.9 beats all 3; 0.6 beats 0.1 and 0.5, loses to 0.7; 0.5 ties 0.5, beats 0.1.
    // (3 + 2 + 1.5) / (3 · 3) = 6.5 / 9.
    expect(auroc([0.9, 0.6, 0.5], [0.1, 0.5, 0.7])).toBeCloseTo(6.5 / 9, 12);
    expect(auroc([2, 3], [0, 1])).toBe(1);
    expect(auroc([0, 1], [2, 3])).toBe(0);
    expect(auroc([1, 1], [1, 1])).toBe(0.5);
    expect(Number.isNaN(auroc([], [1]))).toBe(true);
  });

  it('macro-F1 equals the hand-computed value', () => {
    const truth = ['a', 'a', 'a', 'b', 'b', 'c'];
    const pred = ['a', 'a', 'b', 'b', 'c', 'c'];
    // a: tp 2, fp 0, fn 1 → 4/5; b: tp 1, fp 1, fn 1 → 2/4; c: tp 1, fp 1, fn 0 → 2/3.
    expect(macroF1(truth, pred)).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    // A null prediction (no label) is a miss for the true class and a false positive for none.
    expect(macroF1(['a', 'b'], ['a', null])).toBeCloseTo((1 + 0) / 2, 12);
    expect(accuracy(truth, pred)).toBeCloseTo(4 / 6, 12);
  });

  it('scores draws per repeat and reuses a capped single bag', () => {
    const s = scoreDraws(['a', 'b'], [['a', 'b', 'a'], ['b']], 3, true);
    // Rows are the predictions for generators a and b. a: a, b, a → ✓ ✗ ✓; b has one (capped) bag,
    // reused in every draw: ✓ ✓ ✓. Per draw: 1, 0.5, 1.
    expect(s.mean).toBeCloseTo(2.5 / 3, 12);
    expect(s.std).toBeCloseTo(std([1, 0.5, 1]), 12);
    expect(s.bags).toBe(6);
  });

  it('pairs two methods draw by draw, with a bootstrap interval that resolves only a consistent difference', () => {
    const base = [0.5, 0.75, 1, 0.25, 0.5, 0.75, 1, 0.5];
    // A constant gain of 0.25 on every draw is resolved however much the draws vary.
    const up = pairedDifference(
      base.map((x) => x + 0.25),
      base,
    );
    expect(up.mean).toBeCloseTo(0.25, 12);
    expect(up.lo).toBeCloseTo(0.25, 12);
    expect(up.hi).toBeCloseTo(0.25, 12);
    expect(up.draws).toBe(8);
    // Differences of +0.25 and −0.25 alternating: mean 0, interval straddling 0.
    const noisy = pairedDifference(
      base.map((x, i) => x + (i % 2 ? 0.25 : -0.25)),
      base,
    );
    expect(noisy.mean).toBeCloseTo(0, 12);
    expect(noisy.lo).toBeLessThan(0);
    expect(noisy.hi).toBeGreaterThan(0);
    // Mostly ahead (mean 0.125): hand-computed mean, interval inside [min, max] of the differences.
    const d = [0.25, 0.25, 0, 0.25, 0, 0.25, 0, 0];
    const mostly = pairedDifference(
      base.map((x, i) => x + d[i]),
      base,
    );
    expect(mostly.mean).toBeCloseTo(0.125, 12);
    expect(mostly.lo).toBeGreaterThanOrEqual(0);
    expect(mostly.hi).toBeLessThanOrEqual(0.25);
    expect(mostly.lo).toBeLessThan(mostly.hi);
    expect(pairedDifference(base, base, 1)).toEqual(pairedDifference(base, base, 1));
    expect(() => pairedDifference([1], [1, 0])).toThrow(RangeError);
    expect(scoreDraws(['a'], [['a', 'b']], 2, false).perDraw).toEqual([1, 0]);
  });

  it('writes per-draw lists on one line without changing the JSON', () => {
    const value = { a: { perDraw: [1, 0.5, 0.25], mean: 0.58 }, b: [{ perDraw: [] }], other: [1, 2] };
    const pretty = JSON.stringify(value, null, 1);
    const compact = compactPerDraw(pretty);
    expect(JSON.parse(compact)).toEqual(value);
    expect(compact).toContain('"perDraw": [1, 0.5, 0.25]');
    expect(compact).toContain('"other": [\n');
    expect(compact.split('\n').length).toBeLessThan(pretty.split('\n').length);
  });

  it('splits sorted files into alternating halves and draws reproducible bags', () => {
    const s = splitHalves(['/x/003.png', '/x/001.png', '/x/002.png', '/x/000.png', '/x/004.png']);
    expect(s.enrol).toEqual(['/x/000.png', '/x/002.png', '/x/004.png']);
    expect(s.query).toEqual(['/x/001.png', '/x/003.png']);
    expect(bagDraws(10, 3, 4, 7)).toEqual(bagDraws(10, 3, 4, 7));
    expect(bagDraws(4, 10, 20, 1)).toEqual([[0, 1, 2, 3]]);
  });

  it('splits into seeded random halves: a partition, reproducible, independent of input order', () => {
    const files = Array.from({ length: 21 }, (_, i) => `/x/${String(i).padStart(3, '0')}.png`);
    const a = randomHalves(files, 3);
    expect(a.enrol).toHaveLength(11);
    expect(a.query).toHaveLength(10);
    expect([...a.enrol, ...a.query].sort()).toEqual(files);
    expect(randomHalves([...files].reverse(), 3)).toEqual(a);
    expect(randomHalves(files, 4)).not.toEqual(a);
    // Not the even/odd split the tables use (which a seed could only hit by chance, 1 in C(21, 11)).
    expect(a.enrol).not.toEqual(splitHalves(files).enrol);
  });

  it('splits a seeded random share for enrolment, and is randomHalves at one half', () => {
    const files = Array.from({ length: 16 }, (_, i) => `/x/${String(i).padStart(3, '0')}.png`);
    const q = randomSplit(files, 5, 0.25);
    expect(q.enrol).toHaveLength(4);
    expect(q.query).toHaveLength(12);
    expect([...q.enrol, ...q.query].sort()).toEqual(files);
    expect(randomSplit(files, 5, 0.75).enrol).toHaveLength(12);
    expect(randomSplit(files, 5, 0.5)).toEqual(randomHalves(files, 5));
    // Never an empty side, whatever the share.
    expect(randomSplit(files.slice(0, 3), 1, 0.01).enrol).toHaveLength(1);
    expect(randomSplit(files.slice(0, 3), 1, 0.99).query).toHaveLength(1);
    expect(() => randomSplit(files, 1, 1)).toThrow(RangeError);
  });

  it('parses the manifest format', () => {
    const rows = parseManifest('domain\tgenerator\tfamily\tsource_repo\tcount\timage_size\nd\tg\tgan\to/r\t12\t28x28 L\n');
    expect(rows).toEqual([{ domain: 'd', generator: 'g', family: 'gan', source_repo: 'o/r', format: '', count: 12, image_size: '28x28 L' }]);
  });

  it('gives --robustness-only a scope on domains with fewer than two held-out generators', () => {
    const pool = (name: string, trained: boolean): GeneratorPool => ({ name, family: 't2i', sourceRepo: 'o/r', files: [], trained });
    const domain = (generators: GeneratorPool[]): Domain => ({ name: 'd', root: '/nowhere', source: 'corpus', generators, imageSize: '256x256' });
    const split = (heldOut: string[], train: string[]) => ({ heldOut: new Set(heldOut.map((g) => `d/${g}`)), train: new Set(train.map((g) => `d/${g}`)) });
    // Like fmnist28: two or more held-out generators keep the headline held-out scope, trained ones left out.
    const mixed = domain([pool('a', false), pool('b', false), pool('c', true)]);
    const headline = robustnessScope(mixed, split(['a', 'b'], ['c']));
    expect(headline?.scope).toBe('held-out');
    expect(headline?.gens.map((g) => g.name)).toEqual(['a', 'b']);
    // Like t2i: one held-out generator, three trained ones — every generator, as the "all" scope.
    const t2i = domain([pool('ldm', false), pool('dalle', true), pool('sd768', true), pool('sd512', true)]);
    const one = robustnessScope(t2i, split(['ldm'], ['dalle', 'sd768', 'sd512']));
    expect(one?.scope).toBe('all');
    expect(one?.gens.map((g) => g.name)).toEqual(['ldm', 'dalle', 'sd768', 'sd512']);
    // Like t2i-modern: generators the model card lists neither as trained nor as held out.
    const modern = domain([pool('flux', false), pool('turbo', false)]);
    expect(robustnessScope(modern, split([], []))).toEqual({ scope: 'all', gens: modern.generators });
    // One generator: nothing to attribute between.
    expect(robustnessScope(domain([pool('only', false)]), split(['only'], []))).toBeNull();
  });
});

describe('spectral baseline', () => {
  it('the radix-2 FFT agrees with a direct DFT', () => {
    const n = 16;
    const x = Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + (i % 3) * 0.25);
    const re = Float64Array.from(x);
    const im = new Float64Array(n);
    fft(re, im);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        sr += x[t] * Math.cos((-2 * Math.PI * k * t) / n);
        si += x[t] * Math.sin((-2 * Math.PI * k * t) / n);
      }
      expect(re[k]).toBeCloseTo(sr, 9);
      expect(im[k]).toBeCloseTo(si, 9);
    }
  });

  it('a pure horizontal cosine puts its power at ±its frequency', () => {
    const tile = new Float64Array(TILE * TILE);
    for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) tile[y * TILE + x] = Math.cos((2 * Math.PI * 4 * x) / TILE);
    const p = powerSpectrum2d(tile);
    const total = p.reduce((a, b) => a + b, 0);
    expect((p[4] + p[TILE - 4]) / total).toBeCloseTo(1, 9);
  });

  it('gives fixed-length features for 28-px and 256-px canvases', () => {
    for (const side of [28, 256]) {
      const data = new Float32Array(3 * side * side).map((_, i) => ((i * 7919) % 255) / 255);
      const f = spectralFeatures({ width: side, height: side, data });
      expect(f.length).toBe(SPECTRAL_DIM);
      expect(f.every((v) => Number.isFinite(v))).toBe(true);
    }
  });
});

describe('firm wrong verdicts', () => {
  const verdict = (label: string | null, extra: Partial<Verdict> = {}): Verdict => ({
    label,
    family: null,
    unknown: label === null,
    score: 0.99,
    runnerUp: 'other',
    margin: 0.9,
    evidenceCount: 10,
    method: 'dsf',
    candidates: [],
    decidedBy: 'classifier',
    agreement: { classifier: label, residual: label, agree: true },
    openSet: { kind: 'novelty', statistic: 0, threshold: 1, unknownScore: -1, tests: [] },
    statement: '',
    explanation: '',
    ...extra,
  });
  const inconsistent: ConsistencyTest = { versus: 'other', images: 10, favouring: 5, meanLogRatio: 0.4, t: 0.9, pValue: 0.2, level: 0.05, consistent: false };
  it('counts wrong and right verdicts by wording, with and without the compression check, the consistency test, the error-rate guard and the bank caution', () => {
    const t = emptyFirmWrongTally();
    const rate = (errorRate: number, entry: string): HeldBackErrorRate => ({
      entry,
      n: 10,
      setsPerEntry: 200,
      fewestImages: 32,
      recall: 0.9,
      errorRate,
      mostConfused: { entry: 'gen-c', rate: errorRate },
      limit: 0.1,
    });
    tallyFirmWrong(t, 'gen-a', verdict('gen-a')); // right and moderate
    tallyFirmWrong(t, 'gen-a', verdict('gen-a', { consistency: inconsistent })); // right, weak only through the test
    tallyFirmWrong(t, 'gen-a', verdict(null)); // unknown
    tallyFirmWrong(t, 'gen-a', verdict('gen-b', { margin: 0.05 })); // wrong but weak (thin margin)
    tallyFirmWrong(t, 'gen-a', verdict('gen-b')); // wrong and moderate
    const recompressed = checkCompression('gen-b', Array(10).fill('jpeg-q90'), { lossless: 30 });
    tallyFirmWrong(t, 'gen-a', verdict('gen-b', { compression: recompressed })); // wrong, weak only through the check
    tallyFirmWrong(t, 'gen-a', verdict('gen-b', { consistency: { ...inconsistent, versus: 'gen-a' } })); // wrong, weak only through the test
    tallyFirmWrong(t, 'gen-a', verdict('gen-b', { errorRate: rate(0.3, 'gen-b') })); // wrong, weak only through the error rate
    tallyFirmWrong(t, 'gen-a', verdict('gen-a', { errorRate: rate(0.02, 'gen-a') })); // right, moderate, low estimate
    const closer = { neighbour: 'gen-b', n: 10, evidenceLogOdds: 0.5, referenceLogOdds: 3, limit: 2, level: 0.05, closer: true };
    tallyFirmWrong(t, 'gen-a', verdict('gen-a', { neighbour: closer })); // right, weak only through the neighbour check
    const bank = { bank: 'jpeg-q90', processing: 'JPEG q90', evidence: { 'jpeg-q90': 10 } };
    tallyFirmWrong(t, 'gen-a', verdict('gen-b', { references: bank })); // wrong, weak only through the bank caution
    tallyFirmWrong(t, 'gen-a', verdict('gen-a', { references: bank })); // right, weak only through the bank caution
    expect(t).toEqual({
      bags: 12,
      wrong: 6,
      wrongFirm: 1,
      wrongFirmWithoutCompressionCheck: 2,
      right: 5,
      rightFirm: 2,
      wrongFirmWithoutConsistencyTest: 2,
      rightFirmWithoutConsistencyTest: 3,
      wrongFirmWithoutErrorRate: 2,
      rightFirmWithoutErrorRate: 2,
      wrongFirmWithoutOpenSetGuards: 1,
      rightFirmWithoutOpenSetGuards: 3,
      // The two bank verdicts are the only extra firm ones once the bank caution is left out.
      wrongFirmWithoutMatchedReferences: 2,
      rightFirmWithoutMatchedReferences: 3,
      estimated: 2,
      estimatedErrorSum: 0.32,
      estimatedWrong: 1,
    });
    expect(calibrationText(t)).toBe('Held-back error-rate estimate: mean 0.16 over 2 named verdicts, observed error rate 0.50 on the same verdicts');
  });
});
