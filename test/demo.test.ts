// The self-made demo data set: reproducible to the byte, laid out as expected.json says, decodable,
// and — checked here with a deliberately simple, independent residual method — carrying a
// generator trace that single images show only weakly and bags of 10 show unambiguously.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo, DEFAULT_DEMO_SEED, DEMO_MIXED_PAIR, listDemoGenerators, renderGeneratorSample, type DemoManifest } from '../src/engine/demo/index.js';

const SIZE = 64;

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push(r);
  }
  return out.sort();
}

async function hashTree(root: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const f of await listFiles(root)) {
    hashes.set(
      f,
      createHash('sha256')
        .update(await readFile(path.join(root, f)))
        .digest('hex'),
    );
  }
  return hashes;
}

async function decodeRgb(file: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

// --- Independent trace check: high-pass residual x − box3(x), zero mean per channel. -----------

function boxResidual(rgb: Uint8Array): Float64Array {
  const area = SIZE * SIZE;
  const r = new Float64Array(3 * area);
  for (let c = 0; c < 3; c++) {
    const at = (x: number, y: number) => rgb[3 * (y * SIZE + x) + c] / 255;
    let mean = 0;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        let s = 0;
        let n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= SIZE || xx < 0 || xx >= SIZE) continue;
            s += at(xx, yy);
            n++;
          }
        }
        const v = at(x, y) - s / n;
        r[c * area + y * SIZE + x] = v;
        mean += v;
      }
    }
    mean /= area;
    for (let i = c * area; i < (c + 1) * area; i++) r[i] -= mean;
  }
  return r;
}

function meanOf(rs: Float64Array[]): Float64Array {
  const m = new Float64Array(rs[0].length);
  for (const r of rs) for (let i = 0; i < m.length; i++) m[i] += r[i] / rs.length;
  return m;
}

function corr(a: Float64Array, b: Float64Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const u = a[i] - ma;
    const v = b[i] - mb;
    ab += u * v;
    aa += u * u;
    bb += v * v;
  }
  return ab / Math.sqrt(aa * bb);
}

function attribute(r: Float64Array, fingerprints: Map<string, Float64Array>): { label: string; score: number } {
  let best = { label: '', score: -Infinity };
  for (const [label, fp] of fingerprints) {
    const score = corr(r, fp);
    if (score > best.score) best = { label, score };
  }
  return best;
}

/** Small seeded LCG for choosing bags in the test, independent of the code under test. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

// -----------------------------------------------------------------------------------------------

let tmpRoot: string;
let dirA: string;
let dirB: string;
let manifest: DemoManifest;
let hashesA: Map<string, string>;

beforeAll(async () => {
  tmpRoot = await mkdtemp(path.join(os.tmpdir(), 'genprint-demo-'));
  dirA = path.join(tmpRoot, 'a');
  dirB = path.join(tmpRoot, 'b');
  const t0 = performance.now();
  manifest = await buildDemo(dirA);
  const t1 = performance.now();
  await buildDemo(dirB);
  console.log(`demo build: ${((t1 - t0) / 1000).toFixed(1)} s`);
  hashesA = await hashTree(dirA);
});

afterAll(async () => {
  if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
});

describe('demo generators', () => {
  it('lists five library generators, one real set and one foreign generator, two sharing family and operator', () => {
    const gens = listDemoGenerators();
    expect(new Set(gens.map((g) => g.name)).size).toBe(gens.length);
    expect(gens.filter((g) => g.inLibrary)).toHaveLength(6);
    // The demo world's real images: no decoder, family "real" (the manifold method's kNN reference).
    const real = gens.filter((g) => g.family === 'real');
    expect(real.map((g) => [g.name, g.operator, g.inLibrary])).toEqual([['demo-real-scenes', 'none', true]]);
    const foreign = gens.filter((g) => !g.inLibrary);
    expect(foreign).toHaveLength(1);
    const a = gens.find((g) => g.name === 'demo-tconv-a')!;
    const b = gens.find((g) => g.name === 'demo-tconv-b')!;
    expect(a.family).toBe(b.family);
    expect(a.operator).toBe(b.operator);
    for (const g of gens.filter((x) => x.family !== 'real')) expect(g.family.startsWith('synthetic')).toBe(true);
  });

  it('renders deterministically, and the seed and index change the content', () => {
    const x = renderGeneratorSample('demo-nearest', 3, SIZE);
    expect(x).toHaveLength(SIZE * SIZE * 3);
    expect(Buffer.from(renderGeneratorSample('demo-nearest', 3, SIZE)).equals(Buffer.from(x))).toBe(true);
    expect(Buffer.from(renderGeneratorSample('demo-nearest', 4, SIZE)).equals(Buffer.from(x))).toBe(false);
    expect(Buffer.from(renderGeneratorSample('demo-nearest', 3, SIZE, DEFAULT_DEMO_SEED + 1)).equals(Buffer.from(x))).toBe(false);
    expect(() => renderGeneratorSample('no-such-generator', 0, SIZE)).toThrow(/unknown demo generator/);
    expect(() => renderGeneratorSample('demo-nearest', 0, 30)).toThrow(RangeError);
  });
});

describe('buildDemo', () => {
  it('is bit-for-bit deterministic across builds, and rebuilding in place changes nothing', async () => {
    const hashesB = await hashTree(dirB);
    expect([...hashesB.keys()]).toEqual([...hashesA.keys()]);
    for (const [f, h] of hashesA) expect(hashesB.get(f), f).toBe(h);
    await buildDemo(dirA);
    const again = await hashTree(dirA);
    expect([...again.entries()]).toEqual([...hashesA.entries()]);
  });

  it('lays out exactly the files that expected.json describes', async () => {
    const onDisk = JSON.parse(await readFile(path.join(dirA, 'expected.json'), 'utf8')) as DemoManifest;
    expect(onDisk).toEqual(manifest);
    expect(manifest.seed).toBe(DEFAULT_DEMO_SEED);
    expect(manifest.library).toHaveLength(6);

    const described = new Set<string>(['expected.json']);
    for (const ref of manifest.reference) {
      expect(ref.files).toHaveLength(manifest.referencePerGenerator);
      expect(ref.folder).toBe(`reference/${ref.generator}`);
      for (const f of ref.files) described.add(`${ref.folder}/${f}`);
    }
    expect(manifest.reference.map((r) => r.generator)).toEqual(manifest.library);

    const byFolder = new Map(manifest.cases.map((c) => [c.folder, c]));
    for (const name of manifest.library) {
      const c = byFolder.get(`case/${name}`)!;
      expect(c.kind).toBe('single');
      expect(c.expected).toBe(name);
      expect(c.expectedUnknown).toBe(false);
      expect(new Set(Object.values(c.perFile))).toEqual(new Set([name]));
    }
    const mixed = byFolder.get('case/mixed')!;
    expect(mixed.expected).toBeNull();
    expect(mixed.labels).toEqual([...DEMO_MIXED_PAIR].sort());
    const owners = Object.values(mixed.perFile);
    for (const label of DEMO_MIXED_PAIR) expect(owners.filter((o) => o === label)).toHaveLength(manifest.casePerFolder / 2);
    const foreign = byFolder.get('case/foreign')!;
    expect(foreign.expected).toBeNull();
    expect(foreign.expectedUnknown).toBe(true);
    const foreignGen = new Set(Object.values(foreign.perFile));
    expect(foreignGen.size).toBe(1);
    expect(manifest.library).not.toContain([...foreignGen][0]);
    expect(manifest.cases).toHaveLength(manifest.library.length + 2);

    for (const c of manifest.cases) {
      expect(Object.keys(c.perFile)).toHaveLength(manifest.casePerFolder);
      for (const f of Object.keys(c.perFile)) described.add(`${c.folder}/${f}`);
    }
    expect([...hashesA.keys()]).toEqual([...described].sort());
  });

  it('writes distinct images: no case image repeats an enrolment image', () => {
    const pngs = [...hashesA.entries()].filter(([f]) => f.endsWith('.png'));
    expect(new Set(pngs.map(([, h]) => h)).size).toBe(pngs.length);
  });

  it('writes 64×64 RGB PNGs whose pixels are exactly renderGeneratorSample', async () => {
    for (const f of [...hashesA.keys()].filter((k) => k.endsWith('.png'))) {
      const meta = await sharp(path.join(dirA, f)).metadata();
      expect(meta.format, f).toBe('png');
      expect([meta.width, meta.height, meta.channels], f).toEqual([SIZE, SIZE, 3]);
    }
    const decoded = await decodeRgb(path.join(dirA, 'reference/demo-pixelshuffle/007.png'));
    expect(decoded.data.equals(Buffer.from(renderGeneratorSample('demo-pixelshuffle', 7, SIZE)))).toBe(true);
  });

  it('rejects nonsensical options', async () => {
    await expect(buildDemo(path.join(tmpRoot, 'bad'), { size: 30 })).rejects.toThrow(RangeError);
    await expect(buildDemo(path.join(tmpRoot, 'bad'), { casePerFolder: 0 })).rejects.toThrow(RangeError);
  });
});

describe('generator traces (independent box-blur residual check)', () => {
  const FINGERPRINT_IMAGES = 30;
  const BAG = 10;

  it('attributes bags of 10 to their generator, single images only moderately, and the foreign set to no one strongly', async () => {
    const residuals = async (folder: string, files: string[]) =>
      Promise.all(files.map(async (f) => boxResidual((await decodeRgb(path.join(dirA, folder, f))).data)));

    const fingerprints = new Map<string, Float64Array>();
    const heldOut = new Map<string, Float64Array[]>();
    for (const ref of manifest.reference) {
      const rs = await residuals(ref.folder, ref.files);
      fingerprints.set(ref.generator, meanOf(rs.slice(0, FINGERPRINT_IMAGES)));
      const c = manifest.cases.find((k) => k.folder === `case/${ref.generator}`)!;
      heldOut.set(ref.generator, [...rs.slice(FINGERPRINT_IMAGES), ...(await residuals(c.folder, Object.keys(c.perFile)))]);
    }

    const rand = lcg(7);
    const ownBagScores: number[] = [];
    const lines: string[] = [];
    for (const [name, rs] of heldOut) {
      const single = rs.filter((r) => attribute(r, fingerprints).label === name).length / rs.length;
      let bagsRight = 0;
      const bags = 30;
      for (let b = 0; b < bags; b++) {
        const idx = new Set<number>();
        while (idx.size < BAG) idx.add(Math.floor(rand() * rs.length));
        const verdict = attribute(meanOf([...idx].map((i) => rs[i])), fingerprints);
        if (verdict.label === name) bagsRight++;
        ownBagScores.push(corr(meanOf([...idx].map((i) => rs[i])), fingerprints.get(name)!));
      }
      lines.push(`${name.padEnd(20)} single-image ${(100 * single).toFixed(0)}% (n=${rs.length})  bags of ${BAG}: ${bagsRight}/${bags}`);
      // Well above chance (20 %) for one image; the demo is meant to need sets, so no stricter bound.
      expect(single, name).toBeGreaterThanOrEqual(0.4);
      expect(bagsRight, name).toBe(bags);
    }

    // Mixed folder: each generator's share, taken as a bag, goes to that generator.
    const mixed = manifest.cases.find((c) => c.kind === 'mixed')!;
    for (const label of mixed.labels) {
      const files = Object.entries(mixed.perFile)
        .filter(([, o]) => o === label)
        .map(([f]) => f);
      expect(attribute(meanOf(await residuals(mixed.folder, files)), fingerprints).label).toBe(label);
    }

    // Foreign folder: a bag of its images correlates with every library fingerprint less than
    // any library generator's own bags do with theirs, so an open-set threshold can reject it.
    const foreign = manifest.cases.find((c) => c.kind === 'foreign')!;
    const fr = await residuals(foreign.folder, Object.keys(foreign.perFile));
    const foreignBest = Math.max(...[0, BAG].map((s) => attribute(meanOf(fr.slice(s, s + BAG)), fingerprints).score));
    lines.push(`foreign bag best corr ${foreignBest.toFixed(3)}; library own-bag corr min ${Math.min(...ownBagScores).toFixed(3)}`);
    console.log(`demo trace check (fingerprint = mean of ${FINGERPRINT_IMAGES} residuals):\n  ${lines.join('\n  ')}`);
    expect(foreignBest).toBeLessThan(Math.min(...ownBagScores));
  });
});
