// Writes the demo data set: enrolment folders for the library generators, suspect case folders
// with known answers (one per library generator, a mixed one, one from a generator the library does
// not know) and expected.json with those answers. Same seed → byte-identical files.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Progress } from '../types.js';
import { DEFAULT_DEMO_SEED, listDemoGenerators, renderGeneratorSample, type DemoGeneratorInfo } from './generators.js';
import { hashInts, mulberry32 } from './prng.js';

export interface DemoOptions {
  seed?: number;
  referencePerGenerator?: number;
  casePerFolder?: number;
  size?: number;
  onProgress?: (p: Progress) => void;
}

export interface DemoReferenceFolder {
  generator: string;
  family: string;
  /** Relative to the demo root, '/' separators. */
  folder: string;
  files: string[];
}

export interface DemoCaseFolder {
  folder: string;
  kind: 'single' | 'mixed' | 'foreign';
  /**
   * Expected folder-level verdict: the library label for a single-generator folder; null for the
   * foreign folder (no library entry made it) and for the mixed folder (no single label fits).
   */
  expected: string | null;
  expectedFamily: string | null;
  /** True for the foreign folder: the right answer is "unknown generator". */
  expectedUnknown: boolean;
  /** Library labels present in the folder (two for mixed, none for foreign). */
  labels: string[];
  /** True generator of every file, by file name (the foreign generator's name for foreign files). */
  perFile: Record<string, string>;
}

export interface DemoManifest {
  schema: 'genprint.demo/1';
  seed: number;
  size: number;
  referencePerGenerator: number;
  casePerFolder: number;
  /** Every generator, the foreign one included; all synthetic, written in this project. */
  generators: DemoGeneratorInfo[];
  /** Names of the generators to enrol (the reference folders). */
  library: string[];
  reference: DemoReferenceFolder[];
  cases: DemoCaseFolder[];
}

/** The two library generators whose images are interleaved in case/mixed. */
export const DEMO_MIXED_PAIR = ['demo-tconv-a', 'demo-bilinear'] as const;

// Sample-index ranges per split: content is drawn from (seed, generator, index), so disjoint
// ranges guarantee that no case image repeats an enrolment image.
const CASE_OFFSET = 1_000_000;
const MIXED_OFFSET = 2_000_000;

interface PlannedImage {
  relPath: string;
  generator: string;
  index: number;
}

const fileName = (i: number) => `${String(i).padStart(3, '0')}.png`;

async function encodePng(rgb: Uint8Array, size: number): Promise<Buffer> {
  // No metadata and fixed settings: with the bundled libvips/zlib the bytes depend only on the pixels.
  return sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toBuffer();
}

function plan(opts: Required<Omit<DemoOptions, 'onProgress'>>): { manifest: DemoManifest; images: PlannedImage[] } {
  const { seed, size, referencePerGenerator, casePerFolder } = opts;
  const generators = listDemoGenerators();
  const library = generators.filter((g) => g.inLibrary);
  const foreign = generators.filter((g) => !g.inLibrary);
  const images: PlannedImage[] = [];
  const reference: DemoReferenceFolder[] = [];
  const cases: DemoCaseFolder[] = [];

  for (const g of library) {
    const folder = `reference/${g.name}`;
    const files = Array.from({ length: referencePerGenerator }, (_, i) => fileName(i));
    files.forEach((f, i) => images.push({ relPath: `${folder}/${f}`, generator: g.name, index: i }));
    reference.push({ generator: g.name, family: g.family, folder, files });
  }

  for (const g of library) {
    const folder = `case/${g.name}`;
    const perFile: Record<string, string> = {};
    for (let i = 0; i < casePerFolder; i++) {
      perFile[fileName(i)] = g.name;
      images.push({ relPath: `${folder}/${fileName(i)}`, generator: g.name, index: CASE_OFFSET + i });
    }
    cases.push({
      folder,
      kind: 'single',
      expected: g.name,
      expectedFamily: g.family,
      expectedUnknown: false,
      labels: [g.name],
      perFile,
    });
  }

  // Mixed: half from each generator of the pair, in a seeded random order, so that file names
  // give nothing away and grouping has to find the split.
  const rand = mulberry32(hashInts(seed, 0x6d1c));
  const owners = Array.from({ length: casePerFolder }, (_, i) => DEMO_MIXED_PAIR[i < casePerFolder / 2 ? 0 : 1]);
  for (let i = owners.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [owners[i], owners[j]] = [owners[j], owners[i]];
  }
  const mixed: Record<string, string> = {};
  owners.forEach((owner, i) => {
    mixed[fileName(i)] = owner;
    images.push({ relPath: `case/mixed/${fileName(i)}`, generator: owner, index: MIXED_OFFSET + i });
  });
  cases.push({
    folder: 'case/mixed',
    kind: 'mixed',
    expected: null,
    expectedFamily: null,
    expectedUnknown: false,
    labels: [...new Set(owners)].sort(),
    perFile: mixed,
  });

  for (const g of foreign) {
    const perFile: Record<string, string> = {};
    for (let i = 0; i < casePerFolder; i++) {
      perFile[fileName(i)] = g.name;
      images.push({ relPath: `case/foreign/${fileName(i)}`, generator: g.name, index: CASE_OFFSET + i });
    }
    cases.push({
      folder: 'case/foreign',
      kind: 'foreign',
      expected: null,
      expectedFamily: null,
      expectedUnknown: true,
      labels: [],
      perFile,
    });
  }

  const manifest: DemoManifest = {
    schema: 'genprint.demo/1',
    seed,
    size,
    referencePerGenerator,
    casePerFolder,
    generators,
    library: library.map((g) => g.name),
    reference,
    cases,
  };
  return { manifest, images };
}

const OWNED = ['reference', 'case', 'expected.json'] as const;

/**
 * Builds the demo under `outDir`, which it owns: `reference/`, `case/` and `expected.json` there are
 * replaced as a whole (built in a temporary sibling folder first, so an interrupted build never
 * leaves a half-written set that looks complete).
 */
export async function buildDemo(outDir: string, opts: DemoOptions = {}): Promise<DemoManifest> {
  const settings = {
    seed: opts.seed ?? DEFAULT_DEMO_SEED,
    referencePerGenerator: opts.referencePerGenerator ?? 40,
    casePerFolder: opts.casePerFolder ?? 20,
    size: opts.size ?? 64,
  };
  for (const [key, value] of Object.entries(settings)) {
    if (!Number.isInteger(value) || value < (key === 'seed' ? 0 : 1)) {
      throw new RangeError(`buildDemo: ${key} must be a positive integer, got ${value}`);
    }
  }
  if (settings.casePerFolder < 2) throw new RangeError('buildDemo: casePerFolder must be at least 2 (mixed folder)');
  const { manifest, images } = plan(settings);

  await mkdir(outDir, { recursive: true });
  const tmp = path.join(outDir, `.building-${process.pid}-${Date.now()}`);
  await rm(tmp, { recursive: true, force: true });
  try {
    const started = Date.now();
    const CHUNK = 16; // sharp encodes on libuv's pool while the next chunk renders
    for (let start = 0; start < images.length; start += CHUNK) {
      const chunk = images.slice(start, start + CHUNK);
      await Promise.all(
        chunk.map(async (img) => {
          const rgb = renderGeneratorSample(img.generator, img.index, settings.size, settings.seed);
          const png = await encodePng(rgb, settings.size);
          const file = path.join(tmp, ...img.relPath.split('/'));
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, png);
        }),
      );
      const done = start + chunk.length;
      const elapsed = (Date.now() - started) / 1000;
      const rate = elapsed > 0 ? done / elapsed : undefined;
      opts.onProgress?.({
        phase: 'demo',
        done,
        total: images.length,
        rate,
        etaSeconds: rate ? (images.length - done) / rate : undefined,
      });
    }
    await writeFile(path.join(tmp, 'expected.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const name of OWNED) {
      await rm(path.join(outDir, name), { recursive: true, force: true });
      await rename(path.join(tmp, name), path.join(outDir, name));
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return manifest;
}
