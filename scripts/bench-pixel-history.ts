// The processing-history checks' cost at decode (issue #16, docs/performance.md): CPU time per image
// of `pixelHistory` now against the code before its speed-up (test/fixtures/pixel-history-before/,
// run in this process, alternately), and, with --before <checkout of that commit>, the whole
// `analyseCase` on the same lossless PNG folder and library in both checkouts (each in a child
// process through its own scripts/bench.ts --child, alternately, a fresh library copy per run).
//
//   npx tsx scripts/bench-pixel-history.ts [--sizes 64,256] [--count 300] [--before ../old] [--reps 2]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { enrol, initLibrary } from '../src/engine/index.js';
import { pixelHistory } from '../src/engine/ingest/decode.js';
import { LOSSLESS } from '../src/engine/ingest/compression.js';
import { listDemoGenerators, renderGeneratorSample } from '../src/engine/demo/index.js';
import { detectResampling as resamplingBefore } from '../test/fixtures/pixel-history-before/resampling.js';
import { detectEarlierJpeg as earlierJpegBefore } from '../test/fixtures/pixel-history-before/jpeg-history.js';
import { createRandom, gaussian } from '../src/engine/util/random.js';
import { repoRoot } from '../src/engine/version.js';

const argv = process.argv.slice(2);
const val = (f: string) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
const sizes = (val('--sizes') ?? '64,256').split(',').map(Number);
const count = Number(val('--count') ?? 300);
const reps = Number(val('--reps') ?? 2);
const before = val('--before') ? path.resolve(val('--before')!) : null;
const load = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

/** A demo generator's picture with Gaussian noise (σ = 2 levels) of its own per file. */
function picture(size: number, i: number): Uint8Array {
  const gens = listDemoGenerators();
  const base = renderGeneratorSample(gens[i % gens.length].name, 100 + (i % 8), size);
  const rand = createRandom(1000 + i);
  return base.map((v) => Math.max(0, Math.min(255, Math.round(v + 2 * gaussian(rand)))));
}

console.log(`load average at start ${load()} (1, 5, 15 min) · ${os.cpus().length} CPUs · ${os.cpus()[0].model}`);
console.log('\nCPU ms per image of pixelHistory on lossless pictures (both checks), median of 9 rounds of 20 images');
for (const size of sizes) {
  const images = Array.from({ length: 20 }, (_, i) => picture(size, i));
  const now = () => images.forEach((rgb) => pixelHistory(rgb, size, size, LOSSLESS));
  const old = () => images.forEach((rgb) => ({ r: resamplingBefore(rgb, size, size), j: earlierJpegBefore(rgb, size, size) }));
  const t = { now: [] as number[], before: [] as number[] };
  now();
  old();
  for (let r = 0; r < 9; r++) {
    let a = cpuMs();
    old();
    t.before.push((cpuMs() - a) / images.length);
    a = cpuMs();
    now();
    t.now.push((cpuMs() - a) / images.length);
  }
  const [b, n] = [median(t.before), median(t.now)];
  console.log(`  ${size}²: before ${b.toFixed(2)} ms, now ${n.toFixed(2)} ms (${(b / n).toFixed(1)}× less)`);
}

if (before) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'genprint-phbench-'));
  try {
    for (const size of sizes) {
      const dir = path.join(root, `case-${size}`);
      mkdirSync(dir);
      for (let i = 0; i < count; i++) {
        const png = await sharp(picture(size, 10_000 + i), { raw: { width: size, height: size, channels: 3 } })
          .png()
          .toBuffer();
        writeFileSync(path.join(dir, `${String(i).padStart(5, '0')}.png`), png);
      }
      const library = path.join(root, `library-${size}.gplib`);
      await initLibrary(library);
      for (const g of listDemoGenerators().slice(0, 6)) {
        const refs = path.join(root, `refs-${size}`, g.name);
        mkdirSync(refs, { recursive: true });
        for (let i = 0; i < 16; i++) {
          const png = await sharp(renderGeneratorSample(g.name, 5000 + i, size), { raw: { width: size, height: size, channels: 3 } })
            .png()
            .toBuffer();
          writeFileSync(path.join(refs, `${i}.png`), png);
        }
        await enrol({ libraryPath: library, name: g.name, family: g.family, folders: [refs], manifoldParts: false, banks: false });
      }
      console.log(`\nattribute cold, ${count} lossless PNGs of ${size}², 6-entry library, batch 4, 2 threads (images/s without the library open)`);
      const rates: Record<string, number[]> = { before: [], now: [] };
      for (let r = 0; r < reps; r++) {
        for (const [label, checkout] of [
          ['before', before],
          ['now', repoRoot()],
        ] as const) {
          const copy = path.join(root, `lib-${label}-${size}-${r}.gplib`);
          copyFileSync(library, copy);
          const args = JSON.stringify({ stage: 'attribute', dir, library: copy, batch: 4, threads: 2 });
          const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(checkout, 'scripts', 'bench.ts'), '--child', args], {
            cwd: checkout,
            encoding: 'utf8',
            maxBuffer: 1 << 26,
          });
          const line = child.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
          if (!line) throw new Error(`${label}: no result (exit ${child.status}): ${child.stderr.slice(-2000)}`);
          const res = JSON.parse(line.slice('BENCH_RESULT '.length)) as { images: number; seconds: number };
          rates[label].push(res.images / res.seconds);
          console.log(
            `  ${label.padEnd(6)} run ${r + 1}: ${(res.images / res.seconds).toFixed(1)} images/s (${res.images} images, ${res.seconds.toFixed(1)} s) · load ${load()}`,
          );
        }
      }
      const [b, n] = [median(rates.before), median(rates.now)];
      console.log(`  ${size}²: before ${b.toFixed(1)}, now ${n.toFixed(1)} images/s (${(n / b).toFixed(2)}×)`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
console.log(`\nload average at end ${load()}`);
