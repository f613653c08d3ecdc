// `npm run bench`: throughput and peak memory of every stage of the analysis path, on images this
// script generates itself. A benchmark that prints numbers, never a test: nothing here asserts on
// time. docs/performance.md is written from its output.
//
//   npm run bench                      sizes 64², 256², 1024² (JPEG q90); 1k and 10k images
//   npm run bench -- --quick           smoke run: small counts, a few minutes
//   npm run bench -- --large           also 100k images at 256²
//   npm run bench -- --sizes 256 --counts 1000 --batch 4,8,16 --keep /tmp/b
//   npm run bench -- --before ../old-checkout   also times that checkout's CLI on the same folder
//   npm run bench -- --keep DIR --skip-stages   only the library, --before and the CLI rows
//
// Every stage runs in its own child process (this script with --child), so each reports its own
// peak RSS (VmHWM on Linux, else process.resourceUsage().maxRSS) and starts from a cold process
// like a CLI run does.
//
// Stages, per image size:
//   decode      read + SHA-256 + decode + centre crop (ingest), one file in flight: the practical limit
//   decode×2    the same with two files in flight (what the pipeline uses)
//   residual    the wavelet residual alone: the ONNX graph (batched) and the JavaScript reference
//   φ           the set-encoder's per-image features alone (batched)
//   scoring     per image |corr| with every fingerprint, residual statistics and the classifier
//   attribute   analyseCase on the folder, cold (fresh library copy, no cache), then warm (rerun)
// Rates of the single stages count only the time inside the stage (decoding runs beside them).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { analyseCase, enrol, initLibrary } from '../src/engine/index.js';
import { ingestFolder } from '../src/engine/ingest/index.js';
import { computeResidual } from '../src/engine/residual/index.js';
import { FingerprintBank } from '../src/engine/correlation.js';
import { residualStatistics } from '../src/engine/residual/statistics.js';
import { residualEngine } from '../src/engine/residual/wavelet-onnx.js';
import { loadSetEncoder } from '../src/engine/features/set-encoder.js';
import { DEFAULT_BATCH, openAttributor, sidecarFiles } from '../src/engine/attributor.js';
import { imageEvidence } from '../src/engine/attribution/judge.js';
import { listDemoGenerators, renderGeneratorSample } from '../src/engine/demo/index.js';
import { createRandom, gaussian } from '../src/engine/util/random.js';
import { repoRoot } from '../src/engine/version.js';
import type { Canvas } from '../src/engine/types.js';

const SELF = fileURLToPath(import.meta.url);
const CANVAS = 256;
const ENTRIES = 6;

// ---------------------------------------------------------------------------------------------
// Child side: one stage, one JSON line on stdout.

interface StageArgs {
  stage: string;
  dir: string;
  library?: string;
  batch: number;
  threads: number;
}

interface StageResult {
  images: number;
  /** Seconds spent in the stage itself. */
  seconds: number;
  /** Wall seconds of the whole child, for stages that time only part of it. */
  wallSeconds: number;
  maxRssMiB: number;
  provider?: string;
  extra?: Record<string, number | string>;
}

async function* decoded(dir: string, concurrency = 2) {
  for await (const ev of ingestFolder(dir, { canvas: CANVAS, concurrency })) if (ev.kind === 'image') yield ev.image;
}

async function batches(dir: string, size: number, fn: (crops: Canvas[], shas: string[]) => Promise<void>): Promise<number> {
  let n = 0;
  let crops: Canvas[] = [];
  let shas: string[] = [];
  for await (const img of decoded(dir)) {
    n++;
    crops.push(...img.crops);
    shas.push(img.file.sha256);
    if (shas.length >= size) {
      await fn(crops, shas);
      crops = [];
      shas = [];
    }
  }
  if (shas.length > 0) await fn(crops, shas);
  return n;
}

async function runStage(a: StageArgs): Promise<Omit<StageResult, 'wallSeconds' | 'maxRssMiB'>> {
  const timed = { s: 0 };
  const time = async <T>(fn: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    const r = await fn();
    timed.s += (performance.now() - t) / 1000;
    return r;
  };
  switch (a.stage) {
    case 'decode':
    case 'decode2': {
      const t = performance.now();
      let n = 0;
      for await (const _ of decoded(a.dir, a.stage === 'decode' ? 1 : 2)) n++;
      return { images: n, seconds: (performance.now() - t) / 1000 };
    }
    case 'residual-js': {
      let n = 0;
      for await (const img of decoded(a.dir)) {
        n++;
        await time(() => img.crops.map((c) => computeResidual(c)));
      }
      return { images: n, seconds: timed.s, provider: 'JavaScript (main thread)' };
    }
    case 'residual': {
      const engine = await residualEngine({ threads: a.threads });
      const n = await batches(a.dir, a.batch, async (crops) => void (await time(() => engine.residuals(crops))));
      return { images: n, seconds: timed.s, provider: engine.provider };
    }
    case 'phi': {
      const encoder = await loadSetEncoder({ threads: a.threads });
      const n = await batches(a.dir, a.batch, async (crops) => void (await time(() => encoder.embedImages(crops))));
      return { images: n, seconds: timed.s, provider: encoder.provider };
    }
    case 'scoring': {
      const t0 = performance.now();
      const attributor = await openAttributor({ libraryPath: a.library!, method: 'dsf', threads: a.threads });
      const prepareSeconds = (performance.now() - t0) / 1000;
      const lib = attributor.library;
      const bank = new FingerprintBank(lib.entries.map((e) => e.fingerprint));
      const engine = await residualEngine({ threads: a.threads });
      const encoder = attributor.encoder!;
      const n = await batches(a.dir, a.batch, async (crops) => {
        const [residuals, feats] = await Promise.all([engine.residuals(crops), encoder.embedImages(crops)]);
        await time(() =>
          residuals.forEach((r, i) => {
            imageEvidence(lib, 'x', 'x', bank.absCorrelations(r), feats[i], residualStatistics([r]));
          }),
        );
      });
      return { images: n, seconds: timed.s, extra: { prepareSeconds, entries: lib.entries.length } };
    }
    case 'attribute':
    case 'attribute-warm': {
      const t = performance.now();
      const r = await analyseCase({ libraryPath: a.library!, caseRoot: a.dir, threads: a.threads, batchSize: a.batch });
      const wall = (performance.now() - t) / 1000;
      return {
        images: r.manifest.length,
        seconds: wall - r.timings.prepareSeconds,
        provider: r.params.provider,
        extra: { prepareSeconds: r.timings.prepareSeconds, totalSeconds: wall, verdict: r.verdicts.folder.label ?? 'unknown' },
      };
    }
    default:
      throw new Error(`unknown stage ${a.stage}`);
  }
}

/**
 * Peak resident memory of this process in MiB. On Linux VmHWM of /proc/self/status: getrusage's
 * maxRSS (process.resourceUsage) also counts the parent's RSS at fork time, which exec keeps.
 */
function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS / 1024;
}

async function childMain(json: string): Promise<void> {
  const t = performance.now();
  const r = await runStage(JSON.parse(json) as StageArgs);
  const out: StageResult = { ...r, wallSeconds: (performance.now() - t) / 1000, maxRssMiB: peakRssMiB() };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(out)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Parent side.

interface Options {
  quick: boolean;
  large: boolean;
  sizes: number[];
  counts: number[];
  batches: number[];
  threads: number;
  keep: string | null;
  json: string | null;
  /** Another checkout (e.g. the commit before this work) whose CLI is timed on the same folder. */
  before: string | null;
  /** Only the library, --before and the CLI rows (e.g. to finish an interrupted run with --keep). */
  skipStages: boolean;
}

function parseArgs(argv: string[]): Options {
  const has = (f: string) => argv.includes(f);
  const val = (f: string) => {
    const i = argv.indexOf(f);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (f: string, d: number[]) => (val(f) ? val(f)!.split(',').map(Number) : d);
  const quick = has('--quick');
  const large = has('--large');
  return {
    quick,
    large,
    sizes: list('--sizes', [64, 256, 1024]),
    counts: list('--counts', quick ? [40, 120] : large ? [1000, 10000, 100000] : [1000, 10000]),
    batches: list('--batch', [DEFAULT_BATCH]),
    threads: Number(val('--threads') ?? 2),
    keep: val('--keep') ?? null,
    json: val('--json') ?? null,
    before: val('--before') ?? null,
    skipStages: has('--skip-stages'),
  };
}

function runChild(args: StageArgs): Promise<StageResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--child', JSON.stringify(args)], {
      cwd: repoRoot(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code !== 0 || !line) reject(new Error(`stage ${args.stage} failed (exit ${code})`));
      else resolve(JSON.parse(line.slice('BENCH_RESULT '.length)) as StageResult);
    });
  });
}

const rgbOf = (size: number, gen: string, index: number) => renderGeneratorSample(gen, index, size);

/** A base picture of `size`: a demo generator sample, tiled for sizes above 256 (rendering 1024² is slow). */
function basePicture(size: number, gen: string, index: number): Uint8Array {
  if (size <= 256) return rgbOf(size, gen, index);
  const tile = 256;
  const out = new Uint8Array(size * size * 3);
  for (let ty = 0; ty < size / tile; ty++)
    for (let tx = 0; tx < size / tile; tx++) {
      const t = rgbOf(tile, gen, index * 64 + ty * 8 + tx);
      for (let y = 0; y < tile; y++) out.set(t.subarray(y * tile * 3, (y + 1) * tile * 3), ((ty * tile + y) * size + tx * tile) * 3);
    }
  return out;
}

/** Gaussian noise (σ = 2 levels) to add to the base pictures, read at a different offset per file. */
const NOISE_LENGTH = 1_048_573; // prime: every offset gives another sequence
const NOISE = (() => {
  const rand = createRandom(20261206);
  return Int8Array.from({ length: NOISE_LENGTH }, () => Math.max(-127, Math.min(127, Math.round(2 * gaussian(rand)))));
})();

/**
 * `count` distinct JPEGs (q90) of `size`²: a few base pictures with per-file Gaussian noise (σ = 2
 * levels), so no two files share bytes and a cold run never hits a cache.
 */
async function writeImages(dir: string, size: number, count: number, gen: string, log: (s: string) => void): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const have = readdirSync(dir).filter((f) => f.endsWith('.jpg')).length;
  if (have >= count) return;
  const bases = Array.from({ length: Math.min(8, count) }, (_, i) => basePicture(size, gen, i));
  const t = performance.now();
  const px = new Uint8Array(size * size * 3);
  for (let i = have; i < count; i++) {
    const base = bases[i % bases.length];
    let k = (i * 7919 + size) % NOISE_LENGTH;
    for (let j = 0; j < px.length; j++) {
      const v = base[j] + NOISE[k];
      px[j] = v < 0 ? 0 : v > 255 ? 255 : v;
      if (++k === NOISE_LENGTH) k = 0;
    }
    const jpg = await sharp(px, { raw: { width: size, height: size, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    writeFileSync(path.join(dir, `${String(i).padStart(6, '0')}.jpg`), jpg);
    if ((i + 1) % 1000 === 0) log(`  generated ${i + 1}/${count} images of ${size}² (${((i + 1 - have) / ((performance.now() - t) / 1000)).toFixed(0)}/s)`);
  }
  // A cold run must not find any file in a cache: every file's bytes are different.
  const files = readdirSync(dir).filter((f) => f.endsWith('.jpg'));
  const digests = new Set(
    files.map((f) =>
      createHash('sha256')
        .update(readFileSync(path.join(dir, f)))
        .digest('hex'),
    ),
  );
  if (digests.size !== files.length) throw new Error(`bench images: only ${digests.size} distinct files among ${files.length} in ${dir}`);
}

/** The first `count` files of `src` as hard links in their own folder (no extra disk). */
function subsetFolder(src: string, dest: string, count: number): string {
  if (existsSync(dest) && readdirSync(dest).length === count) return dest;
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const f of readdirSync(src).sort().slice(0, count)) linkSync(path.join(src, f), path.join(dest, f));
  return dest;
}

async function buildLibrary(
  root: string,
  size: number,
  refs: number,
  threads: number,
  log: (s: string) => void,
): Promise<{ file: string; seconds: number; images: number }> {
  const file = path.join(root, `library-${size}.gplib`);
  const gens = listDemoGenerators().slice(0, ENTRIES);
  const refSize = Math.min(size, CANVAS);
  for (const g of gens) {
    const dir = path.join(root, `refs-${refSize}`, g.name);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < refs; i++) {
      const f = path.join(dir, `${String(i).padStart(3, '0')}.png`);
      if (!existsSync(f))
        writeFileSync(
          f,
          await sharp(rgbOf(refSize, g.name, 5000 + i), { raw: { width: refSize, height: refSize, channels: 3 } })
            .png()
            .toBuffer(),
        );
    }
  }
  rmSync(file, { force: true });
  for (const f of sidecarFiles(file)) rmSync(f, { force: true });
  await initLibrary(file);
  const t = performance.now();
  for (const g of gens)
    await enrol({ libraryPath: file, name: g.name, family: g.family, folders: [path.join(root, `refs-${refSize}`, g.name)], threads, manifoldParts: false });
  const seconds = (performance.now() - t) / 1000;
  log(
    `  library: ${ENTRIES} entries × ${refs} references of ${refSize}² enrolled in ${seconds.toFixed(1)} s (${((ENTRIES * refs) / seconds).toFixed(1)} images/s)`,
  );
  return { file, seconds, images: ENTRIES * refs };
}

interface Row {
  size: number;
  count: number;
  stage: string;
  batch: number;
  imagesPerSecond: number;
  maxRssMiB: number;
  note: string;
}

function fmtRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

async function cliStart(root: string, library: string, caseDir: string, size: number, log: (s: string) => void): Promise<Record<string, number>> {
  const bin = path.join(repoRoot(), 'bin', 'genprint.js');
  const run = (args: string[]) => {
    const t = performance.now();
    execFileSync(process.execPath, [bin, ...args], { stdio: 'ignore', cwd: root });
    return (performance.now() - t) / 1000;
  };
  const version = [run(['--version']), run(['--version']), run(['--version'])].sort((a, b) => a - b);
  const lib = path.join(root, 'cli-library.gplib');
  copyFileSync(library, lib);
  for (const f of sidecarFiles(lib)) rmSync(f, { force: true });
  const cold = run(['attribute', '-q', '-l', lib, caseDir, '--json', path.join(root, 'cli-case.json')]);
  const warm = run(['attribute', '-q', '-l', lib, caseDir, '--json', path.join(root, 'cli-case.json')]);
  log(
    `CLI: 'genprint --version' ${version[1].toFixed(2)} s (median of 3); 'genprint attribute' of 10 images of ${size}² (${ENTRIES}-entry library): first run ${cold.toFixed(2)} s, rerun ${warm.toFixed(2)} s, process start included`,
  );
  return { versionSeconds: version[1], attributeTenColdSeconds: cold, attributeTenWarmSeconds: warm };
}

/**
 * `genprint attribute` from the command line, cold (fresh library copy), as a user runs it: wall
 * seconds including process start and the library fit, and the process's peak RSS (GNU time).
 */
/**
 * A library enrolled by another checkout's own CLI from the same reference folders: that
 * checkout's φ must have made its features, or it finds none and skips φ altogether.
 */
function cliLibrary(checkout: string, root: string, size: number): string {
  const file = path.join(root, `library-${size}-${path.basename(checkout)}.gplib`);
  for (const f of [file, ...sidecarFiles(file)]) rmSync(f, { force: true });
  const cli = (args: string[]) => execFileSync(process.execPath, [path.join(checkout, 'bin', 'genprint.js'), ...args], { cwd: checkout, stdio: 'ignore' });
  cli(['library', 'init', file]);
  const refs = path.join(root, `refs-${Math.min(size, CANVAS)}`);
  for (const g of listDemoGenerators().slice(0, ENTRIES))
    cli(['enrol', '-q', '--no-manifold', '-l', file, '-n', g.name, '-f', g.family, path.join(refs, g.name)]);
  return file;
}

function cliAttribute(checkout: string, root: string, library: string, dir: string): { seconds: number; maxRssMiB: number } {
  const lib = path.join(root, `cli-${path.basename(checkout)}-${process.hrtime.bigint()}.gplib`);
  copyFileSync(library, lib);
  const t = performance.now();
  const args = ['-f', 'MAXRSS %M', process.execPath, path.join(checkout, 'bin', 'genprint.js'), 'attribute', '-q', '-l', lib, dir, '--json', `${lib}.json`];
  const r = spawnSync('/usr/bin/time', args, { cwd: checkout, encoding: 'utf8' });
  const seconds = (performance.now() - t) / 1000;
  for (const f of [lib, ...sidecarFiles(lib), `${lib}.json`]) rmSync(f, { force: true });
  if (r.status !== 0) throw new Error(`${checkout}: genprint attribute failed (exit ${r.status}): ${r.stderr}`);
  // GNU time prints the child's peak RSS on stderr (the CLI itself is quiet with -q).
  return { seconds, maxRssMiB: Number(/MAXRSS (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024 };
}

async function main(argv: string[]): Promise<void> {
  const childAt = argv.indexOf('--child');
  if (childAt >= 0) return childMain(argv[childAt + 1]);
  const o = parseArgs(argv);
  const root = o.keep ?? mkdtempSync(path.join(os.tmpdir(), 'genprint-bench-'));
  mkdirSync(root, { recursive: true });
  const lines: string[] = [];
  const log = (s: string) => {
    lines.push(s);
    console.log(s);
  };
  const cpu = os.cpus();
  log(
    `Genprint bench ${new Date().toISOString()} · ${cpu[0]?.model ?? 'unknown CPU'} · ${cpu.length} logical CPUs · ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version} · load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  log(`work folder ${root}${o.keep ? '' : ' (removed at the end)'} · threads ${o.threads} · batch ${o.batches.join(',')}${o.quick ? ' · --quick' : ''}`);
  const rows: Row[] = [];
  const extra: Record<string, unknown> = {};
  const add = (size: number, count: number, stage: string, batch: number, r: StageResult, note = '') => {
    const row = {
      size,
      count,
      stage,
      batch,
      imagesPerSecond: r.images / r.seconds,
      maxRssMiB: r.maxRssMiB,
      note: [r.provider ? `provider ${r.provider}` : '', note].filter(Boolean).join('; '),
    };
    rows.push(row);
    log(
      `  ${`${size}²`.padEnd(6)} ${String(count).padStart(6)}  ${stage.padEnd(16)} batch ${String(batch).padStart(2)}  ${fmtRate(row.imagesPerSecond).padStart(7)} images/s  peak RSS ${row.maxRssMiB.toFixed(0).padStart(5)} MiB  ${row.note}`,
    );
    return row;
  };
  const sizes = o.sizes;
  for (const size of sizes) {
    const counts = o.counts.filter((c) => size !== 1024 || c <= (o.large ? 10_000 : 1000) || o.quick).filter((c) => c < 100_000 || size === 256);
    const maxCount = Math.max(...counts);
    log(`\n${size}×${size} JPEG q90: generating up to ${maxCount} images`);
    const all = path.join(root, `images-${size}`);
    await writeImages(all, size, maxCount, listDemoGenerators()[0].name, log);
    const lib = await buildLibrary(root, size, o.quick ? 6 : 16, o.threads, log);
    extra[`enrol-${size}`] = { seconds: lib.seconds, imagesPerSecond: lib.images / lib.seconds };
    const small = Math.min(...counts);
    const smallDir = subsetFolder(all, path.join(root, `case-${size}-${small}`), small);
    const base = { dir: smallDir, threads: o.threads, batch: o.batches[0] };
    if (o.skipStages) log('  (--skip-stages: stage rows skipped)');
    else {
      const decode1 = add(size, small, 'decode', 1, await runChild({ ...base, stage: 'decode' }), 'one file in flight');
      add(size, small, 'decode×2', 1, await runChild({ ...base, stage: 'decode2' }), 'two files in flight');
      add(size, small, 'residual (JS)', 1, await runChild({ ...base, stage: 'residual-js' }), 'reference implementation');
      for (const b of o.batches) add(size, small, 'residual (ONNX)', b, await runChild({ ...base, batch: b, stage: 'residual' }));
      for (const b of o.batches) add(size, small, 'φ', b, await runChild({ ...base, batch: b, stage: 'phi' }));
      const scoring = await runChild({ ...base, library: lib.file, stage: 'scoring' });
      add(
        size,
        small,
        'scoring',
        o.batches[0],
        scoring,
        `${scoring.extra?.entries} entries; library open + fit ${Number(scoring.extra?.prepareSeconds).toFixed(1)} s`,
      );
      for (const count of counts) {
        const dir = subsetFolder(all, path.join(root, `case-${size}-${count}`), count);
        for (const b of count === small ? o.batches : [o.batches[0]]) {
          const libCopy = path.join(root, `attr-${size}-${count}-${b}.gplib`);
          copyFileSync(lib.file, libCopy);
          for (const f of sidecarFiles(libCopy)) rmSync(f, { force: true });
          const cold = await runChild({ dir, threads: o.threads, batch: b, library: libCopy, stage: 'attribute' });
          const c = add(
            size,
            count,
            'attribute cold',
            b,
            cold,
            `library open + fit ${Number(cold.extra?.prepareSeconds).toFixed(1)} s, not counted; ${(cold.images / cold.seconds / decode1.imagesPerSecond).toFixed(2)}× decode`,
          );
          const warm = await runChild({ dir, threads: o.threads, batch: b, library: libCopy, stage: 'attribute-warm' });
          add(size, count, 'attribute warm', b, warm, `rerun, same library and folder; ${(warm.images / warm.seconds / c.imagesPerSecond).toFixed(1)}× cold`);
          rmSync(libCopy, { force: true });
          for (const f of sidecarFiles(libCopy)) rmSync(f, { force: true });
        }
      }
    }
    if (o.before && existsSync('/usr/bin/time')) {
      // The same folder through the CLI of another checkout and of this one, one after the other.
      const before = cliAttribute(path.resolve(o.before), root, cliLibrary(path.resolve(o.before), root, size), smallDir);
      const now = cliAttribute(repoRoot(), root, lib.file, smallDir);
      log(
        `  ${`${size}²`.padEnd(6)} ${String(small).padStart(6)}  CLI attribute, cold, whole process (start + library fit + analysis): ` +
          `before (${o.before}) ${before.seconds.toFixed(1)} s = ${fmtRate(small / before.seconds)} images/s, peak RSS ${before.maxRssMiB.toFixed(0)} MiB; ` +
          `now ${now.seconds.toFixed(1)} s = ${fmtRate(small / now.seconds)} images/s, peak RSS ${now.maxRssMiB.toFixed(0)} MiB; ${(before.seconds / now.seconds).toFixed(1)}× faster`,
      );
      extra[`before-${size}`] = { images: small, before, now };
    }
    if (size === 256 || (sizes.length === 1 && size !== 256)) {
      const ten = subsetFolder(all, path.join(root, `case-${size}-10`), 10);
      extra.cli = await cliStart(root, lib.file, ten, size, log);
    }
  }

  // Library open + fit for 6, 24 and 100 synthetic entries: scripts/bench-library.ts, in a child
  // process of its own like every stage (it is a script: importing it would run it with this
  // script's arguments). Its table goes into this run's output.
  const entries = o.quick ? '6' : '6,24,100';
  log(`\nlibrary open + fit (${entries} entries): scripts/bench-library.ts --entries ${entries}`);
  const libraryRun = spawnSync(process.execPath, ['--import', 'tsx', path.join(path.dirname(SELF), 'bench-library.ts'), '--entries', entries], {
    cwd: repoRoot(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of libraryRun.stdout.split('\n')) if (line.startsWith('|') || line.startsWith('library fit')) log(line);
  if (libraryRun.status !== 0) log(`  scripts/bench-library.ts exited with ${libraryRun.status}`);

  log(
    `\nload average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (o.json) writeFileSync(o.json, JSON.stringify({ rows, extra, log: lines }, null, 1));
  if (!o.keep) rmSync(root, { recursive: true, force: true });
  else log(`kept ${root} (${(dirSize(root) / 2 ** 20).toFixed(0)} MiB)`);
}

function dirSize(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((s, f) => s + dirSize(path.join(p, f)), 0);
}

await main(process.argv.slice(2));
