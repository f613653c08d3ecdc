// Can a crop off the generator's pixel grid be measured? Generators' upsampling layers leave a
// pattern that repeats every 2, 4 or 8 pixels from the image origin; a crop by a non-multiple
// shifts it. This script folds a high-pass residual modulo 8 (an 8×8 mean pattern per image),
// takes a generator's pattern from half of its images (the "library entry"), and estimates the
// shift of the other half's patterns, single images and sets of 10, after crops by 0–7 pixels.
// docs/robustness-detection.md reports the outcome.
//
//   node --import tsx scripts/measure-grid-alignment.ts [--corpus ../shared/corpus]
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { listDemoGenerators, renderGeneratorSample } from '../src/engine/demo/index.js';
import { mulberry32 } from '../src/engine/demo/prng.js';

interface Img {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** 8×8 mean of (luma − mean of its 3×3 neighbourhood), folded on the image's own origin, after a crop by (d, d). */
function foldedResidual(img: Img, d: number): Float64Array {
  const w = img.width - d;
  const h = img.height - d;
  const y = new Float64Array(w * h);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const s = ((r + d) * img.width + c + d) * 3;
      y[r * w + c] = 0.299 * img.rgb[s] + 0.587 * img.rgb[s + 1] + 0.114 * img.rgb[s + 2];
    }
  const sum = new Float64Array(64);
  const n = new Float64Array(64);
  for (let r = 1; r + 1 < h; r++)
    for (let c = 1; c + 1 < w; c++) {
      let box = 0;
      for (let a = -1; a <= 1; a++) for (let b = -1; b <= 1; b++) box += y[(r + a) * w + c + b];
      const k = (r & 7) * 8 + (c & 7);
      sum[k] += y[r * w + c] - box / 9;
      n[k]++;
    }
  const out = Float64Array.from(sum, (s, k) => s / n[k]);
  const mean = out.reduce((a, b) => a + b, 0) / 64;
  return out.map((v) => v - mean);
}

/** Correlation of `evidence` with `reference` at every circular shift (sx, sy): out[sy * 8 + sx]. */
function shiftCorrelations(reference: Float64Array, evidence: Float64Array): Float64Array {
  const norm = (v: Float64Array) => Math.sqrt(v.reduce((a, b) => a + b * b, 0)) || 1;
  const nr = norm(reference);
  const ne = norm(evidence);
  const out = new Float64Array(64);
  for (let sy = 0; sy < 8; sy++)
    for (let sx = 0; sx < 8; sx++) {
      let s = 0;
      for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) s += evidence[r * 8 + c] * reference[((r + sy) & 7) * 8 + ((c + sx) & 7)];
      out[sy * 8 + sx] = s / nr / ne;
    }
  return out;
}

/**
 * Misaligned: the best shift's correlation exceeds the correlation at (0, 0) by MARGIN. The true
 * shift is found when its correlation is within TIE of the best (a period-4 pattern correlates
 * alike at s and s + 4, and those shifts are the same for attribution).
 */
const MARGIN = 0.3;
const TIE = 0.05;

function judgeShift(c: Float64Array, want: number): { misaligned: boolean; found: boolean } {
  const best = Math.max(...c);
  return { misaligned: best - c[0] > MARGIN, found: c[want * 8 + want] >= best - TIE };
}

async function corpusGenerators(corpus: string): Promise<{ name: string; images: Img[] }[]> {
  const manifest = (await fs.readFile(path.join(corpus, 'MANIFEST.tsv'), 'utf8')).trim().split('\n').slice(1);
  const out: { name: string; images: Img[] }[] = [];
  for (const line of manifest) {
    const [domain, generator, , , , , , format, , count, size] = line.split('\t');
    const [w] = size.split('x').map(Number);
    if (w < 128 || Number(count) < 24 || format !== 'png') continue;
    const dir = path.join(corpus, domain, generator);
    const files = (await fs.readdir(dir))
      .filter((f) => f.endsWith('.png'))
      .sort()
      .slice(0, 40);
    const images: Img[] = [];
    for (const f of files) {
      const { data, info } = await sharp(path.join(dir, f)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      images.push({ rgb: data, width: info.width, height: info.height });
    }
    out.push({ name: `${domain}/${generator}`, images });
  }
  return out;
}

function measure(name: string, images: Img[], rand: () => number): string {
  const half = images.length >> 1;
  const reference = new Float64Array(64);
  for (const img of images.slice(0, half)) foldedResidual(img, 0).forEach((v, k) => (reference[k] += v / half));
  const evidence = images.slice(half);
  // Counts: [flagged misaligned, true shift found, trials] for uncropped and cropped, single images and sets of 10.
  const tally = { clean1: [0, 0, 0], crop1: [0, 0, 0], clean10: [0, 0, 0], crop10: [0, 0, 0] };
  const add = (t: number[], j: { misaligned: boolean; found: boolean }) => {
    t[0] += j.misaligned ? 1 : 0;
    t[1] += j.found ? 1 : 0;
    t[2]++;
  };
  for (let trial = 0; trial < 8; trial++) {
    const d = trial < 2 ? 0 : 1 + Math.floor(rand() * 7);
    const patterns = evidence.map((img) => foldedResidual(img, d));
    for (const p of patterns) add(d === 0 ? tally.clean1 : tally.crop1, judgeShift(shiftCorrelations(reference, p), d));
    for (let b = 0; b + 10 <= patterns.length; b += 10) {
      const sum = new Float64Array(64);
      for (const p of patterns.slice(b, b + 10)) p.forEach((v, k) => (sum[k] += v));
      add(d === 0 ? tally.clean10 : tally.crop10, judgeShift(shiftCorrelations(reference, sum), d));
    }
  }
  const pct = (k: number, n: number) => (n ? `${Math.round((100 * k) / n)} % (${k}/${n})` : 'n/a');
  const t = tally;
  return `| ${name} | ${pct(t.clean1[0], t.clean1[2])} | ${pct(t.crop1[0], t.crop1[2])} · ${pct(t.crop1[1], t.crop1[2])} | ${pct(t.clean10[0], t.clean10[2])} | ${pct(t.crop10[0], t.crop10[2])} · ${pct(t.crop10[1], t.crop10[2])} |`;
}

async function main() {
  const corpusArg = process.argv.indexOf('--corpus');
  const corpus = path.resolve(corpusArg >= 0 ? process.argv[corpusArg + 1] : '../shared/corpus');
  const rand = mulberry32(7);
  console.log(
    '| generator | 1 image, uncropped: flagged | 1 image, cropped 1–7 px: flagged · shift found | 10 images, uncropped: flagged | 10 images, cropped: flagged · shift found |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const g of listDemoGenerators()) {
    const images = Array.from({ length: 40 }, (_, i) => ({ rgb: renderGeneratorSample(g.name, i, 256), width: 256, height: 256 }));
    console.log(measure(`demo/${g.name} (256 px)`, images, rand));
  }
  try {
    for (const g of await corpusGenerators(corpus)) console.log(measure(g.name, g.images, rand));
  } catch (err) {
    console.log(`corpus not measured: ${(err as Error).message}`);
  }
}

await main();
