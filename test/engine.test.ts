// End to end through the engine's public entry points with the committed set-encoder: the
// self-made demo is enrolled and every case folder must get its known answer.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyseCase, DEFAULTS, estimateLibraryErrorRates, listLibrary } from '../src/engine/index.js';
import { runDemo, type DemoRun } from '../src/engine/demo/index.js';
import { FeatureCache, featureCacheModel, featureLogPath, openAttributor } from '../src/engine/attributor.js';
import { RecordLog } from '../src/engine/library/record-log.js';
import { FingerprintLibrary, withLibrary } from '../src/engine/library/index.js';
import { createRandom } from '../src/engine/util/random.js';
import { readProjectorCard } from '../src/engine/manifold/index.js';
import type { LibraryEntry } from '../src/engine/types.js';
import type { ImageEvidence } from '../src/engine/attribution/judge.js';
import { RESIDUAL_STATISTICS_DIM } from '../src/engine/residual/statistics.js';
import { calibrationComputeCount, classifierFitCount, forgetClassifiers } from '../src/engine/attribution/prepared-library.js';

let run: DemoRun;
const root = mkdtempSync(path.join(tmpdir(), 'genprint-engine-'));

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).sort()) {
    const p = path.join(dir, f);
    out.set(f, `${createHash('sha256').update(readFileSync(p)).digest('hex')}@${statSync(p).mtimeMs}`);
  }
  return out;
}

beforeAll(async () => {
  run = await runDemo(root, { provider: 'cpu' });
}, 300_000);

describe('demo case with the default method (set-encoder + library classifier)', () => {
  it('gets every known answer: five single-generator folders, the real set, the mixed folder, the foreign generator as unknown', () => {
    const summary = run.outcomes.map((o) => `${o.folder}: ${o.got}`);
    expect(summary).toEqual(run.outcomes.map((o) => `${o.folder}: ${o.expected}`));
    expect(run.outcomes).toHaveLength(8);
    expect(run.outcomes.find((o) => o.kind === 'foreign')!.result.verdicts.folder.unknown).toBe(true);
  });

  it('reports provider, model hash, deciding evidence, groups, bags and stability', () => {
    const single = run.outcomes.find((o) => o.kind === 'single')!.result;
    expect(single.params.method).toBe('dsf');
    expect(single.params.provider).toBe('cpu');
    expect(single.model.phiSha256).toMatch(/^[0-9a-f]{64}$/);
    const v = single.verdicts.folder;
    expect(v.decidedBy).toBe('classifier');
    expect(v.evidenceCount).toBe(single.manifest.length);
    expect(v.agreement.agree).toBe(true);
    expect(v.statement).toMatch(/consistent with/);
    expect(v.statement).not.toMatch(/prove/i);
    expect(single.verdicts.bags.length).toBeGreaterThan(0);
    for (const b of single.verdicts.bags) expect(b.files).toHaveLength(single.params.bagSize);
    expect(single.stability.map((s) => s.bagSize)).toEqual([1, 2, 5, 10]);
    // More images per bag → at least as much agreement with the folder verdict.
    expect(single.stability.at(-1)!.agreement).toBeGreaterThanOrEqual(single.stability[0].agreement);

    const mixed = run.outcomes.find((o) => o.kind === 'mixed')!;
    const truth = run.manifest.cases.find((c) => c.kind === 'mixed')!.perFile;
    const groups = mixed.result.verdicts.groups;
    expect(groups).toHaveLength(2);
    // Most files of each group come from the generator the group was attributed to.
    for (const g of groups) {
      const right = g.files.filter((f) => truth[path.basename(f)] === g.label).length;
      expect(right / g.files.length).toBeGreaterThanOrEqual(0.75);
    }
  });

  it('the library classifier and its calibration are read from the library: no analysis fits or calibrates', async () => {
    for (const o of run.outcomes) {
      expect(o.result.library.classifier!.origin, o.folder).toBe('library');
      expect(o.result.library.classifier!.calibration, o.folder).toEqual({ origin: 'library' });
    }
    const c = run.manifest.cases.find((x) => x.kind === 'single')!;
    const libraryBytes = readFileSync(run.libraryPath);
    forgetClassifiers(); // not even this process's memory of the fit: read it back from the file
    const before = classifierFitCount();
    const calibrationsBefore = calibrationComputeCount();
    const again = await analyseCase({ libraryPath: run.libraryPath, caseRoot: path.join(root, c.folder), bags: 2, provider: 'cpu' });
    // Another rate is derived from the stored statistics, not drawn again.
    const looser = await analyseCase({ libraryPath: run.libraryPath, caseRoot: path.join(root, c.folder), bags: 2, provider: 'cpu', falseUnknownRate: 0.2 });
    expect(classifierFitCount()).toBe(before);
    expect(calibrationComputeCount()).toBe(calibrationsBefore);
    expect(again.library.classifier!.origin).toBe('library');
    expect(again.library.classifier!.calibration).toEqual({ origin: 'library' });
    expect(again.verdicts.folder.openSet.calibration!.falseUnknownRate).toBe(0.05);
    expect(looser.verdicts.folder.openSet.calibration!.falseUnknownRate).toBe(0.2);
    expect(looser.library.classifier!.calibration).toEqual({ origin: 'library' });
    expect(again.verdicts.folder.label).toBe(c.expected);
    expect(readFileSync(run.libraryPath).equals(libraryBytes)).toBe(true);
  });

  it('records every file with the SHA-256 of its bytes and leaves the evidence untouched', async () => {
    const caseDir = path.join(root, 'case', 'demo-nearest');
    const before = snapshot(caseDir);
    const result = await analyseCase({ libraryPath: run.libraryPath, caseRoot: caseDir, provider: 'cpu' });
    expect(snapshot(caseDir)).toEqual(before);
    for (const f of result.manifest)
      expect(f.sha256).toBe(
        createHash('sha256')
          .update(readFileSync(path.join(caseDir, f.relPath)))
          .digest('hex'),
      );
  });

  it('caches φ features beside the library, so a re-analysis gives the same numbers without inference', async () => {
    const cache = RecordLog.open(featureLogPath(run.libraryPath));
    const first = run.outcomes[0].result;
    try {
      for (const f of first.manifest) expect(cache.get(`${first.model.phiSha256!}|${f.sha256}`)?.byteLength).toBeGreaterThan(0);
    } finally {
      cache.close();
    }
    const again = await analyseCase({
      libraryPath: run.libraryPath,
      caseRoot: first.caseRoot,
      provider: 'cpu',
      caseId: first.caseId,
    });
    expect(again.verdicts.folder.candidates).toEqual(first.verdicts.folder.candidates);
    expect(again.library.sha256).toBe(first.library.sha256);
    // The library file itself is not written by analyses (its hash is quoted in reports).
    expect((await listLibrary(run.libraryPath)).sha256).toBe(first.library.sha256);
  });

  it("caches each image's evidence too: a re-examination skips the residuals and gives the same numbers bit for bit", async () => {
    const caseDir = path.join(root, 'case', 'demo-bilinear');
    // A copy of the library without its cache sidecar computes everything afresh.
    const fresh = path.join(root, 'fresh-copy.gplib');
    copyFileSync(run.libraryPath, fresh);
    const cold = await (await openAttributor({ libraryPath: fresh, method: 'dsf', provider: 'cpu' })).examine({ root: caseDir, canvas: 256 });
    expect(cold.cachedEvidence).toBe(0);
    // The demo run analysed this folder against the library already, so its evidence is cached.
    const warm = await (await openAttributor({ libraryPath: run.libraryPath, method: 'dsf', provider: 'cpu' })).examine({ root: caseDir, canvas: 256 });
    expect(warm.cachedEvidence).toBe(warm.manifest.length);
    // Those files were hashed but not decoded: their manifest entries come from the records.
    expect(warm.manifest).toEqual(cold.manifest);
    expect(warm.evidence.map((e) => e.relPath)).toEqual(cold.evidence.map((e) => e.relPath));
    // The processing-history findings come back with the record, so cached verdicts state them too.
    expect(cold.evidence.every((e) => e.history?.resampling?.measured)).toBe(true);
    expect(warm.evidence.map((e) => e.history)).toEqual(cold.evidence.map((e) => e.history));
    warm.evidence.forEach((w, i) => {
      expect(Array.from(w.corr)).toEqual(Array.from(cold.evidence[i].corr));
      expect(Array.from(w.logProba!)).toEqual(Array.from(cold.evidence[i].logProba!));
      expect(Array.from(w.novelty!)).toEqual(Array.from(cold.evidence[i].novelty!));
    });
    // Another canvas is other evidence: nothing comes from the cache.
    const other = await (await openAttributor({ libraryPath: run.libraryPath, method: 'dsf', provider: 'cpu' })).examine({ root: caseDir, canvas: 48 });
    expect(other.cachedEvidence).toBe(0);
  });

  it("keeps each image's φ features in the case's spill file and judges exactly as with them in memory", async () => {
    const caseDir = path.join(root, 'case', 'demo-bilinear');
    const attributor = await openAttributor({ libraryPath: run.libraryPath, method: 'dsf', provider: 'cpu' });
    const spilled = (await attributor.examine({ root: caseDir, canvas: 256 })).evidence;
    expect(spilled.every((e) => typeof Object.getOwnPropertyDescriptor(e, 'features')?.get === 'function')).toBe(true);
    // Where no spill file can be made (the temporary folder is a file), the features stay in memory.
    const notADir = path.join(root, 'tmp-is-a-file');
    writeFileSync(notADir, '');
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = notADir;
    let held: ImageEvidence[];
    try {
      held = (await attributor.examine({ root: caseDir, canvas: 256 })).evidence;
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    expect(held.every((e) => Object.getOwnPropertyDescriptor(e, 'features')?.value instanceof Float32Array)).toBe(true);
    const verdict = await attributor.judge(spilled);
    // The set-encoder's bag embedding is part of the verdict: it reads the features.
    expect(verdict.explanation).toMatch(/Embedding \(Eq\. 1 over enrolled bag embeddings\)/);
    expect(verdict).toEqual(await attributor.judge(held));
    const bag = [0, 2, 4];
    expect(await attributor.judge(bag.map((i) => spilled[i]))).toEqual(await attributor.judge(bag.map((i) => held[i])));
    spilled.forEach((e, i) => expect(Array.from(e.features!)).toEqual(Array.from(held[i].features!)));
  });

  it('correlation analysis: evidence × library rows and a library × library matrix with a dominant diagonal', () => {
    const r = run.outcomes[0].result;
    const m = r.correlation.libraryVsLibrary;
    expect(m.rows).toEqual(m.cols);
    expect(m.rows).toHaveLength(run.manifest.library.length);
    m.values.forEach((row, i) => row.forEach((v, j) => i !== j && expect(row[i]).toBeGreaterThan(v)));
    expect(r.correlation.evidenceVsLibrary.cols).toEqual(m.cols);
    expect(r.clustering?.order.slice().sort()).toEqual(run.manifest.library.map((_, i) => i));
  });
});

describe('library classifier evidence: φ with the residual spectrum and pixels', () => {
  it('enrolment stored per-image residual statistics row-aligned with the φ features', () => {
    for (const e of readLibraryEntries()) {
      expect(e.residualStatistics, e.name).toBeDefined();
      expect(e.residualStatistics!.dim).toBe(RESIDUAL_STATISTICS_DIM);
      expect(e.residualStatistics!.sha256).toEqual(e.imageFeatures!.sha256);
      expect(e.residualStatistics!.data.every(Number.isFinite)).toBe(true);
    }
  });

  it('the verdict names every evidence block with its stacking weight', () => {
    const v = run.outcomes.find((o) => o.kind === 'single')!.result.verdicts.folder;
    expect(v.explanation).toMatch(
      /φ features \(weight [0-9.e-]+\) \+ the residual log power spectrum \(weight [0-9.e-]+\) \+ the centred 32×32 residual pixels \(weight [0-9.e-]+\)/,
    );
    const k = run.outcomes.find((o) => o.kind === 'single')!.result.library.classifier!;
    expect(k.blocks.map((b) => b.name)).toEqual(['phi', 'spectrum', 'pixels']);
    expect(k.blocks[0].weight).toBeGreaterThan(0);
    expect(k.heldOutAccuracy).toBeGreaterThan(1 / run.manifest.library.length);
    expect(k.heldOutAccuracy).toBeLessThanOrEqual(1);
    expect(k.caveat).toBeNull();
    expect(v.explanation).toMatch(/out-of-fold logits of the enrolment images \(at most \d+ per entry\); combined out-of-fold per-image accuracy [01]\.\d\d\)/);
  });

  it('every classifier verdict states the library error rate at its size, estimated on held-back reference images', () => {
    const r = run.outcomes.find((o) => o.kind === 'single')!.result;
    const v = r.verdicts.folder;
    const e = v.errorRate!;
    expect(e.entry).toBe(v.label);
    expect(e.n).toBe(v.evidenceCount);
    // The demo's generators are distinct: the library separates them on its own held-back images.
    expect(e.recall).toBeGreaterThan(0.9);
    expect(e.errorRate).toBeLessThan(e.limit);
    expect(v.explanation).toMatch(
      new RegExp(`Error rate on held-back reference images: [0-9.]+ % of held-back reference sets of .* attributed to ${v.label} came from other entries`),
    );
    // Bags are judged at their own size.
    for (const b of r.verdicts.bags) expect(b.errorRate?.n).toBe(b.evidenceCount);
    // And the case lists every entry's rate at the bag size, in library order.
    const rates = r.library.classifier!.errorRates!;
    expect(rates.map((x) => x.entry)).toEqual(r.library.entries.map((x) => x.name));
    for (const x of rates) expect(x.n).toBe(r.params.bagSize);
    // …the same numbers a bag verdict of that size for that entry carries.
    const bag = r.verdicts.bags.find((b) => b.label !== null && b.evidenceCount === r.params.bagSize)!;
    expect(rates.find((x) => x.entry === bag.label)).toEqual(bag.errorRate);
  });

  it('the library error rates before any case are the ones a case reports', async () => {
    const r = run.outcomes.find((o) => o.kind === 'single')!.result;
    const before = await estimateLibraryErrorRates(run.libraryPath, { sizes: [10, 1, 10] });
    expect(before.note).toBeNull();
    expect(before.sizes).toEqual([1, 10]);
    expect(before.rates[1]).toEqual(r.library.classifier!.errorRates);
    // Single images are weaker evidence than sets of ten, entry by entry.
    before.rates[0].forEach((one, i) => expect(one.errorRate).toBeGreaterThanOrEqual(before.rates[1][i].errorRate));
    // φ alone keeps no held-back logits: no rates, and the reason.
    const phiOnly = await estimateLibraryErrorRates(run.libraryPath, { sizes: [10], classifierEvidence: 'phi' });
    expect(phiOnly.rates).toEqual([]);
    expect(phiOnly.note).toMatch(/keeps no held-back enrolment logits/);
  });

  it('a library whose entries predate residual statistics still attributes, with φ alone, and says which entries to re-enrol', async () => {
    const old = path.join(mkdtempSync(path.join(tmpdir(), 'genprint-v3-')), 'v3.gplib');
    const lib = await FingerprintLibrary.create(old);
    for (const e of readLibraryEntries()) {
      const { id: _id, residualStatistics: _s, ...rest } = e;
      lib.addEntry(rest);
    }
    lib.save();
    lib.close();
    const c = run.manifest.cases.find((x) => x.kind === 'single')!;
    const r = await analyseCase({ libraryPath: old, caseRoot: path.join(root, c.folder), bags: 2 });
    expect(r.verdicts.folder.label).toBe(c.expected);
    expect(r.verdicts.folder.explanation).toMatch(/classifier uses φ alone: entries "[^"]+".* have no residual statistics .*re-enrol them/);
    expect(r.verdicts.folder.explanation).not.toMatch(/stacking weights/);
    expect(r.library.classifier!.blocks.map((b) => b.name)).toEqual(['phi']);
    expect(r.library.classifier!.caveat).toMatch(/re-enrol/);
  }, 120_000);
});

describe('compression history of evidence and references', () => {
  it('enrolment records how the reference images were saved', async () => {
    const listed = await listLibrary(run.libraryPath);
    expect(listed.entries.length).toBeGreaterThan(0);
    for (const e of listed.entries) expect(e.provenance.compression).toEqual({ lossless: e.provenance.fileCount });
  });

  it('the demo evidence, saved like its references, gets no compression caveat', () => {
    const single = run.outcomes.find((o) => o.kind === 'single')!.result;
    const v = single.verdicts.folder;
    expect(single.manifest.every((f) => f.compression === 'lossless')).toBe(true);
    expect(v.compression).toMatchObject({ entry: v.label, matched: v.evidenceCount, total: v.evidenceCount });
    expect(v.statement).not.toMatch(/Caution/);
  });

  it('the same images re-saved as JPEG q75 are flagged: the verdict names the mismatch and is no firm attribution', async () => {
    const sharp = (await import('sharp')).default;
    const c = run.manifest.cases.find((x) => x.kind === 'single')!;
    const src = path.join(root, c.folder);
    const dir = mkdtempSync(path.join(tmpdir(), 'genprint-jpeg-'));
    for (const f of readdirSync(src))
      await sharp(path.join(src, f))
        .jpeg({ quality: 75 })
        .toFile(path.join(dir, `${path.parse(f).name}.jpg`));
    const r = await analyseCase({ libraryPath: run.libraryPath, caseRoot: dir, bags: 2 });
    const v = r.verdicts.folder;
    expect(r.manifest.every((f) => f.compression === 'jpeg-q75')).toBe(true);
    expect(v.compression).toMatchObject({ evidence: { 'jpeg-q75': v.evidenceCount }, matched: 0, total: v.evidenceCount });
    expect(v.statement).toMatch(/saved with a compression that none of .*'s reference images has \(evidence: JPEG q75/);
    if (!v.unknown) expect(v.statement).toMatch(/weakly consistent .* so this is no firm attribution/);
    for (const b of r.verdicts.bags) expect(b.compression?.matched).toBe(0);
  }, 120_000);
});

describe('processing history of the evidence', () => {
  it('the clean demo evidence shows no resize and no earlier JPEG, and its verdict no such caution', () => {
    const single = run.outcomes.find((o) => o.kind === 'single')!.result;
    for (const f of single.manifest) {
      expect(f.resampling, f.relPath).toMatchObject({ measured: true, detected: false });
      expect(f.earlierJpeg, f.relPath).toMatchObject({ measured: true, suspected: false });
    }
    const v = single.verdicts.folder;
    expect(v.processingHistory).toMatchObject({ total: v.evidenceCount, resampled: 0, earlierJpeg: 0 });
    expect(v.statement).not.toMatch(/resizing|earlier JPEG/);
  });

  async function processed(kind: string, transform: (img: import('sharp').Sharp) => import('sharp').Sharp) {
    const sharp = (await import('sharp')).default;
    const c = run.manifest.cases.find((x) => x.kind === 'single')!;
    const src = path.join(root, c.folder);
    const dir = mkdtempSync(path.join(tmpdir(), `genprint-${kind}-`));
    for (const f of readdirSync(src)) {
      const bytes = await transform(sharp(path.join(src, f))).toBuffer();
      // Saved again as PNG: the file itself reads as lossless.
      await sharp(bytes)
        .png()
        .toFile(path.join(dir, `${path.parse(f).name}.png`));
    }
    return analyseCase({ libraryPath: run.libraryPath, caseRoot: dir, bags: 2 });
  }

  it('the same images enlarged 1.5× are flagged as resized, and the verdict says so and is no firm attribution', async () => {
    const r = await processed('resized', (img) => img.resize(96, 96));
    const flagged = r.manifest.filter((f) => f.resampling?.detected);
    expect(flagged.length).toBeGreaterThan(r.manifest.length / 2);
    // 96-px images: a profile of 94 samples places the peak to about ±0.01 in the factor.
    for (const f of flagged) {
      expect(f.resampling!.factors[0]).toBeCloseTo(1.5, 1);
      expect(f.resampling!.factors[1]).toBeCloseTo(0.75, 1);
    }
    const v = r.verdicts.folder;
    expect(v.processingHistory!.resampled).toBe(flagged.length);
    expect(v.statement).toMatch(/evidence images show traces of resizing after generation/);
    if (!v.unknown) expect(v.statement).toMatch(/weakly consistent .* so this is no firm attribution/);
  }, 120_000);

  it('the same images JPEG-compressed at q75 and saved as PNG read as lossless but show the earlier JPEG, with its quality', async () => {
    const r = await processed('jpeg-png', (img) => img.jpeg({ quality: 75 }));
    expect(r.manifest.every((f) => f.compression === 'lossless')).toBe(true);
    const flagged = r.manifest.filter((f) => f.earlierJpeg?.suspected);
    expect(flagged.length).toBeGreaterThan(r.manifest.length / 2);
    for (const f of flagged) expect(Math.abs(f.earlierJpeg!.quality! - 75)).toBeLessThanOrEqual(5);
    const v = r.verdicts.folder;
    expect(v.statement).toMatch(/saved losslessly show the 8×8 block traces of an earlier JPEG compression/);
    if (!v.unknown) expect(v.statement).toMatch(/weakly consistent .* so this is no firm attribution/);
  }, 120_000);
});

describe('large images', () => {
  let dir: string;
  let lib16: string;
  let libOld: string;
  /**
   * A library of the demo's entries recording `maxCrops` (undefined: as written before the limit
   * was recorded). The demo's references are 64 × 64, one tile at any limit, so these entries are
   * exactly what an enrolment with that limit stores.
   */
  async function demoLibraryWithLimit(file: string, maxCrops: number | undefined): Promise<string> {
    (await FingerprintLibrary.create(file)).close();
    await withLibrary(file, async (lib) => {
      for (const e of readLibraryEntries()) {
        const { id: _id, ...rest } = e;
        const { maxCrops: _m, ...provenance } = rest.provenance;
        lib.addEntry({ ...rest, provenance: maxCrops === undefined ? provenance : { ...provenance, maxCrops } });
      }
    });
    return file;
  }
  const analyse = (libraryPath: string, maxCrops?: number) =>
    analyseCase({ libraryPath, caseRoot: dir, provider: 'cpu', bags: 2, bagSize: 2, ...(maxCrops ? { maxCrops } : {}) });

  beforeAll(async () => {
    const sharp = (await import('sharp')).default;
    dir = mkdtempSync(path.join(tmpdir(), 'genprint-large-'));
    for (let i = 0; i < 3; i++) {
      const rand = createRandom(100 + i);
      const px = Buffer.alloc(600 * 520 * 3);
      for (let j = 0; j < px.length; j++) px[j] = Math.floor(256 * rand());
      await sharp(px, { raw: { width: 600, height: 520, channels: 3 } })
        .png()
        .toFile(path.join(dir, `big-${i}.png`));
    }
    lib16 = await demoLibraryWithLimit(path.join(root, 'tiles-16.gplib'), 16);
    libOld = await demoLibraryWithLimit(path.join(root, 'old-entries.gplib'), undefined);
  });

  it('enrolment records its tile limit with every entry', () => {
    expect(readLibraryEntries().every((e) => e.provenance.maxCrops === DEFAULTS.maxCrops)).toBe(true);
  });

  it("are analysed on every canvas tile up to the library's limit, never resampled; another limit is an override the case states", async () => {
    const tiles = await analyse(lib16);
    const one = await analyse(lib16, 1);
    expect(tiles.manifest.map((f) => f.crops)).toEqual([4, 4, 4]);
    expect(one.manifest.map((f) => f.crops)).toEqual([1, 1, 1]);
    expect(tiles.manifest.map((f) => [f.width, f.height])).toEqual(one.manifest.map((f) => [f.width, f.height]));
    expect(tiles.params.maxCrops).toBe(16);
    expect(tiles.params.cropLimitCaution).toBeUndefined();
    expect(one.params.maxCrops).toBe(1);
    expect(one.params.cropLimitCaution).toMatch(/up to 1 tile per image, the library's references with up to 16 tiles/);
    // More tiles, different evidence: the per-image correlations are averages over other pixels.
    expect(tiles.images[0].residualCorr).not.toEqual(one.images[0].residualCorr);
  }, 120_000);

  it('counts the tiles of one image as one image: evidence count, consistency test, error rate, stability, per-image rows', async () => {
    const r = await analyse(lib16);
    expect(r.manifest.map((f) => f.crops)).toEqual([4, 4, 4]);
    const v = r.verdicts.folder;
    // Twelve tiles, three images: were tiles independent evidence, each count below would be 12.
    expect(v.evidenceCount).toBe(3);
    expect(r.images).toHaveLength(3);
    if (v.consistency) expect(v.consistency.images).toBe(3);
    expect(r.library.classifier!.errorRates!.length).toBeGreaterThan(0);
    expect(r.library.classifier!.errorRates!.every((e) => e.n <= 3)).toBe(true);
    expect(Math.max(...r.stability.map((s) => s.bagSize))).toBeLessThanOrEqual(3);
    for (const b of r.verdicts.bags) expect(b.evidenceCount).toBe(2);
  });

  it('never serves cached one-tile features for a many-tile request, nor the other way round', async () => {
    // A copy without the cache sidecar computes everything afresh: the reference numbers.
    const fresh = path.join(root, 'fresh-tiles.gplib');
    copyFileSync(lib16, fresh);
    const examine = async (libraryPath: string, maxCrops: number) => {
      const a = await openAttributor({ libraryPath, method: 'dsf', provider: 'cpu' });
      const ex = await a.examine({ root: dir, canvas: 256, maxCrops });
      await a.persistCache();
      return ex.evidence;
    };
    const coldOne = await examine(fresh, 1);
    const coldMany = await examine(fresh, 16);
    expect(Array.from(coldOne[0].features!)).not.toEqual(Array.from(coldMany[0].features!));
    // lib16's sidecar holds both limits' features and records by now (the tests above analysed this folder at both).
    for (const [limit, ref] of [
      [16, coldMany],
      [1, coldOne],
    ] as const) {
      const warm = await examine(lib16, limit);
      warm.forEach((e, i) => {
        expect(Array.from(e.features!)).toEqual(Array.from(ref[i].features!));
        expect(Array.from(e.logProba!)).toEqual(Array.from(ref[i].logProba!));
      });
    }
    // The φ cache keys the limit; the bare model hash is the one-tile key (caches written before the limit).
    const cache = await FeatureCache.open(lib16);
    try {
      const sha = coldOne[0].sha256;
      const phi = run.outcomes[0].result.model.phiSha256!;
      expect(featureCacheModel(phi, 1)).toBe(phi);
      expect(Array.from(cache.get(sha, featureCacheModel(phi, 1))!)).toEqual(Array.from(coldOne[0].features!));
      expect(Array.from(cache.get(sha, featureCacheModel(phi, 16))!)).toEqual(Array.from(coldMany[0].features!));
    } finally {
      cache.close();
    }
  }, 120_000);

  it('reads a library whose entries predate the recorded limit as limit 1, and says so when the evidence takes more', async () => {
    const a = await openAttributor({ libraryPath: libOld, method: 'dsf', provider: 'cpu' });
    expect(a.cropLimit).toEqual({ limit: 1, entryLimits: [1] });
    const asEnrolled = await analyse(libOld);
    expect(asEnrolled.manifest.map((f) => f.crops)).toEqual([1, 1, 1]);
    expect(asEnrolled.params.cropLimitCaution).toBeUndefined();
    const more = await analyse(libOld, 16);
    expect(more.manifest.map((f) => f.crops)).toEqual([4, 4, 4]);
    expect(more.params.cropLimitCaution).toMatch(/up to 16 tiles per image, the library's references with up to 1 tile/);
  }, 120_000);
});

describe('residual method', () => {
  it('attributes the single-generator folders and runs without the set-encoder', async () => {
    for (const c of run.manifest.cases.filter((x) => x.kind === 'single')) {
      const r = await analyseCase({ libraryPath: run.libraryPath, caseRoot: path.join(root, c.folder), method: 'residual' });
      expect(r.params.method).toBe('residual');
      expect(r.model.phiSha256).toBeNull();
      expect(r.verdicts.folder.label).toBe(c.expected);
      expect(r.verdicts.folder.decidedBy).toBe('residual');
    }
  });
});

describe('manifold method (ManiFPT), both estimates, on the demo', () => {
  const single = () => run.manifest.cases.filter((x) => x.kind === 'single');

  it('enrolment stored the projector artifacts and manifold features with every entry', () => {
    for (const e of readLibraryEntries()) {
      expect(e.manifold, e.name).toBeDefined();
      expect(e.manifold!.projectorHash).toBe(readProjectorCard()!.sha256);
      expect(e.manifold!.artifactFingerprint.count).toBeGreaterThan(0);
      expect(e.manifold!.imageFeatures!.sha256).toEqual(e.imageFeatures!.sha256);
    }
  });

  it('projector estimate: names the estimate and the projector, decides by the classifier on artifact features', async () => {
    const c = single()[0];
    const r = await analyseCase({
      libraryPath: run.libraryPath,
      caseRoot: path.join(root, c.folder),
      method: 'manifold',
      manifold: { estimate: 'projector' },
      bags: 3,
    });
    expect(r.params.method).toBe('manifold');
    expect(r.params.manifold!.estimate).toBe('projector');
    expect(r.params.manifold!.projectorSha256).toBe(readProjectorCard()!.sha256);
    // The manifold set-encoder, not the default one.
    expect(r.model.phiSha256).not.toBe(run.outcomes[0].result.model.phiSha256);
    expect(r.verdicts.folder.explanation).toMatch(/x − P\(x\)/);
    expect(r.verdicts.folder.candidates).toHaveLength(run.manifest.library.length);
  });

  it('knn estimate: projects onto the real reference entry and reports it with the search used', async () => {
    const c = single()[0];
    const r = await analyseCase({
      libraryPath: run.libraryPath,
      caseRoot: path.join(root, c.folder),
      method: 'manifold',
      manifold: { estimate: 'knn' },
      bags: 3,
    });
    const m = r.params.manifold!;
    expect(m.estimate).toBe('knn');
    expect(m.reference!.name).toBe('demo-real-scenes');
    expect(m.reference!.family).toBe('real');
    expect(m.reference!.images).toBe(run.manifest.referencePerGenerator);
    expect(m.index).toBe('exact scan');
    expect(r.verdicts.folder.explanation).toMatch(/demo-real-scenes/);
    expect(r.verdicts.folder.agreement.embedding).toBeUndefined(); // ρ never saw artifacts
  });

  it('projector estimate refuses entries enrolled without the manifold models and names them', async () => {
    const { copyFileSync, mkdirSync } = await import('node:fs');
    const { enrol, initLibrary } = await import('../src/engine/index.js');
    const models = mkdtempSync(path.join(tmpdir(), 'genprint-models-'));
    for (const f of ['phi.onnx', 'rho.onnx', 'model-card.json']) copyFileSync(path.join(__dirname, '..', 'models', f), path.join(models, f));
    const lib = path.join(mkdtempSync(path.join(tmpdir(), 'genprint-old-')), 'old.gplib');
    mkdirSync(path.dirname(lib), { recursive: true });
    await initLibrary(lib);
    for (const ref of run.manifest.reference.slice(0, 2))
      await enrol({ libraryPath: lib, name: ref.generator, family: ref.family, folders: [path.join(root, ref.folder)], modelsDir: models, banks: false });
    const first = run.manifest.reference[0].generator;
    await expect(
      analyseCase({ libraryPath: lib, caseRoot: path.join(root, single()[0].folder), method: 'manifold', manifold: { estimate: 'projector' } }),
    ).rejects.toThrow(new RegExp(`"${first}".*enrolled without them.*re-enrol`));
    // The models folder without the manifold models: the method says what is missing.
    await expect(analyseCase({ libraryPath: lib, caseRoot: path.join(root, single()[0].folder), method: 'manifold', modelsDir: models })).rejects.toThrow(
      /needs models\/projector\.onnx and models\/manifold/,
    );
  }, 120_000);

  it('knn estimate refuses a reference that is not a real entry, with the reason', async () => {
    const c = single()[0];
    await expect(
      analyseCase({
        libraryPath: run.libraryPath,
        caseRoot: path.join(root, c.folder),
        method: 'manifold',
        manifold: { estimate: 'knn', reference: 'demo-tconv-a' },
      }),
    ).rejects.toThrow(/family "synthetic-gan".*must be an entry of family "real"/);
  });
});

let entries: LibraryEntry[] = [];
function readLibraryEntries(): LibraryEntry[] {
  return entries;
}
beforeAll(async () => {
  const lib = await FingerprintLibrary.open(run.libraryPath, { readOnly: true });
  entries = lib.getAllEntries();
  lib.close();
});
