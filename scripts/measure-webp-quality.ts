// Measures how well a lossy WebP's quality is read back from its quantisers
// (src/engine/ingest/webp-quality.ts) on the public corpus: each chosen image is saved with sharp
// (libwebp, its default settings) at a grid of qualities and the estimate compared with the quality
// given. The figures go into docs/robustness.md ("WebP quality").
//
//   node --import tsx scripts/measure-webp-quality.ts [--corpus ../shared/corpus] [--per-generator 3] [--generators 4]
//
// Images: the first --per-generator files (sorted by name) of the first --generators generator
// folders (sorted) of every corpus domain.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { estimateWebpQuality, readVp8Quantisers } from '../src/engine/ingest/webp-quality.js';

const QUALITIES = [30, 40, 50, 60, 70, 75, 80, 85, 90, 95];

function parseArgs(argv: string[]) {
  const a = { corpus: path.resolve('../shared/corpus'), perGenerator: 3, generators: 4 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--corpus') a.corpus = path.resolve(argv[++i]);
    else if (argv[i] === '--per-generator') a.perGenerator = Number(argv[++i]);
    else if (argv[i] === '--generators') a.generators = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return a;
}

async function subfolders(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

const quantile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const errors: number[] = []; // highest candidate − quality given
  const widths: number[] = []; // highest − lowest candidate
  let encodes = 0;
  let among = 0;
  let none = 0;
  let images = 0;
  const domains = await subfolders(args.corpus);
  for (const domain of domains) {
    for (const generator of (await subfolders(path.join(args.corpus, domain))).slice(0, args.generators)) {
      const dir = path.join(args.corpus, domain, generator);
      const files = (await fs.readdir(dir))
        .filter((f) => /\.(png|jpe?g|webp)$/i.test(f))
        .sort()
        .slice(0, args.perGenerator);
      for (const f of files) {
        images++;
        for (const q of QUALITIES) {
          const buf = await sharp(path.join(dir, f)).webp({ quality: q }).toBuffer();
          const quantisers = readVp8Quantisers(buf);
          const estimate = quantisers ? estimateWebpQuality(quantisers) : null;
          encodes++;
          if (!estimate) {
            none++;
            continue;
          }
          if (estimate.candidates.includes(q)) among++;
          errors.push(estimate.quality - q);
          widths.push(estimate.quality - estimate.candidates[0]);
        }
      }
    }
  }
  errors.sort((a, b) => a - b);
  widths.sort((a, b) => a - b);
  const exact = errors.filter((e) => e === 0).length;
  console.log(
    `${images} images from ${domains.length} domains, ${encodes} encodes at qualities ${QUALITIES.join(', ')} (sharp ${sharp.versions.sharp}, libwebp ${sharp.versions.webp ?? '?'})`,
  );
  console.log(`no estimate: ${none}; quality given among the candidates: ${among} of ${encodes - none}`);
  console.log(
    `highest candidate − quality given: exact ${exact} (${((100 * exact) / errors.length).toFixed(0)} %), ` +
      `min ${errors[0]}, median ${quantile(errors, 0.5)}, 90th percentile ${quantile(errors, 0.9)}, max ${errors[errors.length - 1]}`,
  );
  console.log(`candidate span (highest − lowest): median ${quantile(widths, 0.5)}, 90th percentile ${quantile(widths, 0.9)}, max ${widths[widths.length - 1]}`);
}

await main();
