// `genprint eval --max-crops N`: one crop per image against up to N canvas tiles per image, on the
// same splits and the same bags, enrolment and evidence alike (a library per limit). Top-1 at every
// bag size with the paired difference (multi-tile minus one crop) and its 95 % interval; the cost of
// enrolment and examination per limit. A domain whose images are all smaller than twice the canvas
// has one tile per image whatever the limit: it is named, not measured.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { enrol, fitLibrary, initLibrary, openAttributor, type ImageEvidence } from '../engine/index.js';
import { readModelCard } from '../engine/features/set-encoder.js';
import { repoRoot } from '../engine/version.js';
import { corpusDomains, defaultCorpusDir, trainingSplit, type Domain, type GeneratorPool } from './corpus.js';
import { CANVAS, relPathOf, top1 } from './methods.js';
import { BAG_SIZES, bagDraws, pairedDifference, scoreDraws, seedFor, splitHalves, type BagScore, type PairedDifference } from './protocol.js';

export interface MultiCropOptions {
  corpusDir?: string;
  domains: string[];
  maxCrops: number;
  draws?: number;
  seed?: number;
  /** Folder for multicrop.md / multicrop.json (default: a temp folder). */
  out?: string;
  log?: (line: string) => void;
}

export interface MultiCropRow {
  bagSize: number;
  oneCrop: BagScore;
  multi: BagScore;
  /** Multi-tile minus one crop, per draw, with its 95 % bootstrap interval. */
  difference: PairedDifference;
}

export interface MultiCropDomain {
  domain: string;
  imageSize: string;
  /** Which generators: those the shipped φ was not trained on, or all where fewer than two are. */
  scope: string;
  generators: { name: string; enrol: number; query: number }[];
  /** Set when the domain was not measured (every image has one tile at any limit). */
  notMeasured?: string;
  /** Mean tiles per query image at the limit. */
  tilesPerImage?: number;
  rows: MultiCropRow[];
  seconds?: { oneCrop: { enrol: number; examine: number }; multi: { enrol: number; examine: number } };
  images?: { enrol: number; query: number };
}

export interface MultiCropResult {
  maxCrops: number;
  draws: number;
  seed: number;
  domains: MultiCropDomain[];
  runtime: { cpus: number; cpuModel: string; node: string };
}

async function tilesPossible(files: string[]): Promise<boolean> {
  for (const f of files) {
    const m = await sharp(f).metadata();
    if ((m.width ?? 0) >= 2 * CANVAS && (m.height ?? 0) >= 2 * CANVAS) return true;
  }
  return false;
}

/** Enrols the enrolment halves with `maxCrops` into a fresh library and examines the query halves alike. */
async function runLimit(domain: Domain, gens: GeneratorPool[], split: Map<string, { enrol: string[]; query: string[] }>, maxCrops: number, work: string) {
  const libraryPath = path.join(work, `${domain.name}-tiles-${maxCrops}.genprint`);
  await initLibrary(libraryPath);
  const t0 = Date.now();
  for (const g of gens)
    await enrol({
      libraryPath,
      name: g.name,
      family: g.family,
      folders: [domain.root],
      files: split.get(g.name)!.enrol,
      canvas: CANVAS,
      maxCrops,
      fit: false,
      banks: false,
      manifoldParts: false,
    });
  await fitLibrary(libraryPath);
  const t1 = Date.now();
  const attributor = await openAttributor({ libraryPath, method: 'dsf' });
  const files = gens.flatMap((g) => split.get(g.name)!.query);
  const ex = await attributor.examine({ root: domain.root, files, canvas: CANVAS, maxCrops });
  const t2 = Date.now();
  const byRel = new Map(ex.evidence.map((e) => [e.relPath, e]));
  const tiles = new Map(ex.manifest.map((f) => [f.relPath, f.crops]));
  return { attributor, byRel, tiles, seconds: { enrol: (t1 - t0) / 1000, examine: (t2 - t1) / 1000 } };
}

export async function runMultiCropComparison(opts: MultiCropOptions): Promise<{ result: MultiCropResult; markdown: string; outDir: string }> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const draws = opts.draws ?? 20;
  const seed = opts.seed ?? 1;
  const card = readModelCard(path.join(repoRoot(), 'models'));
  const split = trainingSplit(card);
  const corpus = corpusDomains(path.resolve(opts.corpusDir ?? defaultCorpusDir()), split) ?? [];
  const work = await mkdtemp(path.join(os.tmpdir(), 'genprint-multicrop-'));
  const domains: MultiCropDomain[] = [];
  try {
    for (const name of opts.domains) {
      const d = corpus.find((c) => c.name === name);
      if (!d) {
        log(`${name}: not in the corpus; skipped`);
        continue;
      }
      const unseen = d.generators.filter((g) => !g.trained);
      const gens = unseen.length >= 2 ? unseen : d.generators;
      const scope =
        unseen.length >= 2 ? `the ${gens.length} generators the shipped φ was not trained on` : `all ${gens.length} generators (fewer than two unseen by φ)`;
      const halves = new Map(gens.map((g) => [g.name, splitHalves(g.files)]));
      const generators = gens.map((g) => ({ name: g.name, enrol: halves.get(g.name)!.enrol.length, query: halves.get(g.name)!.query.length }));
      const base = { domain: d.name, imageSize: d.imageSize, scope, generators, rows: [] as MultiCropRow[] };
      if (!(await tilesPossible(gens.flatMap((g) => g.files)))) {
        domains.push({
          ...base,
          notMeasured: `every image is smaller than ${2 * CANVAS} × ${2 * CANVAS} pixels, so it has one ${CANVAS} × ${CANVAS} tile at any limit: multi-crop is one crop here by construction`,
        });
        log(`${d.name}: one tile per image at any limit; not measured`);
        continue;
      }
      log(`${d.name}: enrolling and examining with 1 tile per image …`);
      const one = await runLimit(d, gens, halves, 1, work);
      log(`${d.name}: enrolling and examining with up to ${opts.maxCrops} tiles per image …`);
      const multi = await runLimit(d, gens, halves, opts.maxCrops, work);
      const queries = new Map(
        gens.map((g) => [
          g.name,
          halves
            .get(g.name)!
            .query.map((f) => relPathOf(d.root, f))
            .filter((r) => one.byRel.has(r) && multi.byRel.has(r)),
        ]),
      );
      const qAll = [...queries.values()].flat();
      const rows: MultiCropRow[] = [];
      for (const n of BAG_SIZES) {
        const predsOne: (string | null)[][] = [];
        const predsMulti: (string | null)[][] = [];
        let capped = false;
        for (const g of gens) {
          const q = queries.get(g.name)!;
          if (n > q.length) capped = true;
          const rowOne: (string | null)[] = [];
          const rowMulti: (string | null)[] = [];
          for (const bag of bagDraws(q.length, n, draws, seedFor(seed, d.name, g.name, n))) {
            const pick = (m: Map<string, ImageEvidence>) => bag.map((i) => m.get(q[i])!);
            rowOne.push(top1(await one.attributor.judge(pick(one.byRel), { withEmbedding: false, banks: false })));
            rowMulti.push(top1(await multi.attributor.judge(pick(multi.byRel), { withEmbedding: false, banks: false })));
          }
          predsOne.push(rowOne);
          predsMulti.push(rowMulti);
        }
        const names = gens.map((g) => g.name);
        const a = scoreDraws(names, predsOne, draws, capped);
        const b = scoreDraws(names, predsMulti, draws, capped);
        rows.push({ bagSize: n, oneCrop: a, multi: b, difference: pairedDifference(b.perDraw, a.perDraw, seedFor(seed, d.name, 'multicrop', n)) });
      }
      domains.push({
        ...base,
        rows,
        tilesPerImage: qAll.reduce((s, r) => s + (multi.tiles.get(r) ?? 0), 0) / Math.max(1, qAll.length),
        seconds: { oneCrop: one.seconds, multi: multi.seconds },
        images: { enrol: generators.reduce((s, g) => s + g.enrol, 0), query: qAll.length },
      });
      log(`${d.name} done`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const result: MultiCropResult = {
    maxCrops: opts.maxCrops,
    draws,
    seed,
    domains,
    runtime: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version },
  };
  const markdown = multiCropMarkdown(result);
  const outDir = path.resolve(opts.out ?? (await mkdtemp(path.join(os.tmpdir(), 'genprint-eval-multicrop-'))));
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'multicrop.md'), markdown);
  await writeFile(path.join(outDir, 'multicrop.json'), `${JSON.stringify(result, null, 2)}\n`);
  return { result, markdown, outDir };
}

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '—');
/** Percentage points with a sign; float dust (a bootstrap bound of −5e-18) reads as +0.0. */
const signed = (x: number) => {
  const v = Math.round(1000 * x) / 1000;
  return `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1)}`;
};

export function multiCropMarkdown(r: MultiCropResult): string {
  const out: string[] = [];
  for (const d of r.domains) {
    out.push(
      `**${d.domain}** (${d.imageSize}; ${d.scope}: ${d.generators.map((g) => `${g.name} ${g.enrol}/${g.query}`).join(', ')} enrolled/query images)`,
      '',
    );
    if (d.notMeasured) {
      out.push(`Not measured: ${d.notMeasured}.`, '');
      continue;
    }
    out.push(`Up to ${r.maxCrops} tiles per image gave ${d.tilesPerImage!.toFixed(1)} tiles per query image on average.`, '');
    out.push('| images per bag | one crop top-1 | multi-tile top-1 | multi − one (95 % paired interval) | bags |', '|---|---|---|---|---|');
    for (const row of d.rows)
      out.push(
        `| ${row.bagSize}${row.oneCrop.capped ? ' (capped)' : ''} | ${pct(row.oneCrop.mean)} ± ${pct(row.oneCrop.std)} | ${pct(row.multi.mean)} ± ${pct(row.multi.std)} | ` +
          `${signed(row.difference.mean)} [${signed(row.difference.lo)}, ${signed(row.difference.hi)}] | ${row.multi.bags} |`,
      );
    const s = d.seconds!;
    out.push(
      '',
      `Cost (${d.images!.enrol} references, ${d.images!.query} query images; ${r.runtime.cpus} × ${r.runtime.cpuModel}): enrolment ${s.oneCrop.enrol.toFixed(1)} s → ${s.multi.enrol.toFixed(1)} s, ` +
        `examination ${s.oneCrop.examine.toFixed(1)} s → ${s.multi.examine.toFixed(1)} s.`,
      '',
    );
  }
  out.push(
    `${r.draws} draws per bag size, seed ${r.seed}; top-1 in %, mean ± std over draws; the interval is a 2,000-resample bootstrap over draws of the per-draw difference.`,
  );
  return `${out.join('\n')}\n`;
}
