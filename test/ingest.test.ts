import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as exifrModule from 'exifr';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cropRects, decodeImageBuffer, hashFile, ingestFiles, ingestFolder, scanFolder, sha256Hex } from '../src/engine/ingest/index.js';
import type { Canvas, DecodedImage, IngestEvent, Progress, SkippedFile } from '../src/engine/types.js';
import type { CropRect } from '../src/engine/ingest/index.js';
import { encodeBmp, encodePng, noiseBytes, noiseImage } from './helpers/bad-files.js';

/** exifr's options class: exported at run time, missing from its type declarations. */
const ExifrOptions = (exifrModule as unknown as { Options: { useCached(options: object): unknown } }).Options;

const tmpRoots: string[] = [];
function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `genprint-ingest-${prefix}-`));
  tmpRoots.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

async function collect(gen: AsyncGenerator<IngestEvent>): Promise<IngestEvent[]> {
  const out: IngestEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}
const relOf = (e: IngestEvent) => (e.kind === 'image' ? e.image.file.relPath : e.skipped.relPath);
const images = (evs: IngestEvent[]): DecodedImage[] => evs.flatMap((e) => (e.kind === 'image' ? [e.image] : []));
const skips = (evs: IngestEvent[]): SkippedFile[] => evs.flatMap((e) => (e.kind === 'skipped' ? [e.skipped] : []));

/** The value a canvas holds at (channel, x, y), planar CHW. */
const at = (c: Canvas, ch: number, x: number, y: number) => c.data[ch * c.width * c.height + y * c.width + x];

/** Expect a canvas to equal the region of an interleaved RGB source, value / 255, exactly. */
function expectRegion(c: Canvas, rgb: Uint8Array, srcWidth: number, left: number, top: number) {
  let mismatches = 0;
  for (let y = 0; y < c.height; y++) {
    for (let x = 0; x < c.width; x++) {
      for (let ch = 0; ch < 3; ch++) {
        const want = rgb[((top + y) * srcWidth + left + x) * 3 + ch] / 255;
        if (Math.abs(at(c, ch, x, y) - want) > 1e-7) mismatches++;
      }
    }
  }
  expect(mismatches).toBe(0);
}

function snapshot(root: string): Record<string, { sha256: string; size: number; mtimeMs: number; mode: number }> {
  const out: Record<string, { sha256: string; size: number; mtimeMs: number; mode: number }> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(root, p);
      if (st.isDirectory()) {
        out[rel + '/'] = { sha256: '', size: 0, mtimeMs: st.mtimeMs, mode: st.mode };
        walk(p);
      } else {
        out[rel] = { sha256: st.isFile() ? sha256Hex(fs.readFileSync(p)) : '', size: st.size, mtimeMs: st.mtimeMs, mode: st.mode };
      }
    }
  };
  walk(root);
  return out;
}

describe('ingestFolder on a good folder', () => {
  let root: string;
  const sources = new Map<string, { rgb: Buffer; width: number; height: number }>();

  beforeAll(async () => {
    root = tmpDir('good');
    fs.mkdirSync(path.join(root, 'a'));
    fs.mkdirSync(path.join(root, 'sub', 'deeper'), { recursive: true });
    // "a-b" sorts before "a/b" as bytes ('-' 0x2d < '/' 0x2f) although the directory "a" < "a-b".
    const specs: [string, number, number, number][] = [
      ['a/b.png', 64, 64, 1],
      ['a-b.png', 64, 64, 2],
      ['wide.png', 300, 200, 3],
      ['small.png', 100, 80, 4],
      ['big.png', 600, 520, 5],
      ['sub/deeper/x.png', 40, 40, 6],
      ['B.png', 32, 32, 7],
    ];
    for (const [rel, w, h, seed] of specs) {
      const rgb = noiseBytes(w * h * 3, seed);
      sources.set(rel, { rgb, width: w, height: h });
      fs.writeFileSync(
        path.join(root, rel),
        await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
          .png()
          .toBuffer(),
      );
    }
    fs.writeFileSync(path.join(root, 'readme.txt'), 'not an image');
  });

  it('streams one event per entry in byte-wise relative-path order, deterministically', async () => {
    const first = await collect(ingestFolder(root));
    const rels = first.map(relOf);
    expect(rels).toEqual(['B.png', 'a-b.png', 'a/b.png', 'big.png', 'readme.txt', 'small.png', 'sub/deeper/x.png', 'wide.png']);
    const again = await collect(ingestFolder(root, { canvas: 256 }));
    const key = (e: IngestEvent) => (e.kind === 'image' ? `${e.image.file.relPath} ${e.image.file.sha256}` : `${e.skipped.relPath} ${e.skipped.reason}`);
    expect(again.map(key)).toEqual(first.map(key));
    expect(skips(first)).toEqual([
      expect.objectContaining({ relPath: 'readme.txt', reason: 'not-an-image', sizeBytes: 12, sha256: sha256Hex(Buffer.from('not an image')) }),
    ]);
  });

  it('never modifies the evidence: bytes, mtimes, modes and the listing are unchanged', async () => {
    const before = snapshot(root);
    const evs = await collect(ingestFolder(root, { maxCrops: 4 }));
    expect(evs.length).toBe(8);
    expect(snapshot(root)).toEqual(before);
  });

  it('records the hash, size and mtime of the exact bytes analysed', async () => {
    const evs = await collect(ingestFolder(root));
    for (const img of images(evs)) {
      const abs = path.join(root, img.file.relPath);
      const st = fs.statSync(abs);
      expect(img.file.sha256).toBe(await hashFile(abs));
      expect(img.file.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(img.file.sizeBytes).toBe(st.size);
      expect(img.file.mtimeMs).toBe(st.mtimeMs);
      expect(img.file).toMatchObject({ format: 'png', channels: 3, bitDepth: 8, hasExif: false, crops: 1 });
    }
  });

  it('centre-crops without resampling and keeps small images at their own size', async () => {
    const evs = await collect(ingestFolder(root));
    const byRel = new Map(images(evs).map((i) => [i.file.relPath, i]));

    const wide = byRel.get('wide.png')!;
    expect(wide.file).toMatchObject({ width: 300, height: 200 });
    expect(wide.crops).toHaveLength(1);
    expect([wide.crops[0].width, wide.crops[0].height]).toEqual([256, 200]);
    expect(wide.crops[0].data).toHaveLength(3 * 256 * 200);
    expectRegion(wide.crops[0], sources.get('wide.png')!.rgb, 300, 22, 0);

    const small = byRel.get('small.png')!;
    expect([small.crops[0].width, small.crops[0].height]).toEqual([100, 80]);
    expectRegion(small.crops[0], sources.get('small.png')!.rgb, 100, 0, 0);

    const big = byRel.get('big.png')!;
    expect([big.crops[0].width, big.crops[0].height]).toEqual([256, 256]);
    expectRegion(big.crops[0], sources.get('big.png')!.rgb, 600, 172, 132);
  });

  it('takes several non-overlapping crops of large images when maxCrops > 1', async () => {
    const evs = await collect(ingestFolder(root, { maxCrops: 4 }));
    const byRel = new Map(images(evs).map((i) => [i.file.relPath, i]));
    const big = byRel.get('big.png')!;
    expect(big.file.crops).toBe(4);
    expect(big.crops).toHaveLength(4);
    // 600×520 holds a 2×2 grid of 256-tiles centred at offset (44, 4).
    const rects = cropRects(600, 520, 256, 4);
    const lefts = rects.map((r) => `${r.left},${r.top}`).sort();
    expect(lefts).toEqual(['300,260', '300,4', '44,260', '44,4']);
    rects.forEach((r, k) => expectRegion(big.crops[k], sources.get('big.png')!.rgb, 600, r.left, r.top));
    // Below 2× the canvas in either direction there is only the centre crop.
    expect(byRel.get('wide.png')!.crops).toHaveLength(1);
  });

  it('reports progress up to the total with a rate', async () => {
    const seen: Progress[] = [];
    await collect(ingestFolder(root, { onProgress: (p) => seen.push({ ...p }) }));
    // The folder scan reports first (before and after), so a large folder shows progress at once.
    expect(seen.slice(0, 2)).toEqual([
      { phase: 'scan', done: 0, total: 0 },
      { phase: 'scan', done: 8, total: 8 },
    ]);
    const ingest = seen.slice(2);
    expect(ingest[0]).toMatchObject({ phase: 'ingest', done: 0, total: 8 });
    const last = ingest[ingest.length - 1];
    expect(last).toMatchObject({ phase: 'ingest', done: 8, total: 8 });
    expect(last.rate).toBeGreaterThan(0);
    expect(ingest.map((p) => p.done)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('stops promptly with an AbortError when the signal fires', async () => {
    const ac = new AbortController();
    const got: IngestEvent[] = [];
    const run = async () => {
      for await (const e of ingestFolder(root, { signal: ac.signal })) {
        got.push(e);
        if (got.length === 2) ac.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
    expect(got).toHaveLength(2);
    const pre = new AbortController();
    pre.abort();
    await expect(collect(ingestFolder(root, { signal: pre.signal }))).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('ingests an explicit file list relative to the root', async () => {
    const evs = await collect(ingestFiles(root, [path.join(root, 'wide.png'), path.join(root, 'a/b.png'), path.join(root, 'readme.txt')]));
    expect(evs.map(relOf)).toEqual(['a/b.png', 'readme.txt', 'wide.png']);
    expect(evs.map((e) => e.kind)).toEqual(['image', 'skipped', 'image']);
  });

  it('scanFolder lists candidates and skipped entries separately', async () => {
    const scan = await scanFolder(root);
    expect(scan.files.map((f) => f.relPath)).toContain('sub/deeper/x.png');
    expect(scan.files).toHaveLength(8); // readme.txt is a candidate: only reading tells it apart
    expect(scan.skipped).toEqual([]);
  });
});

describe('tiles of large images: a bounded, seeded choice', () => {
  const overlaps = (a: CropRect, b: CropRect) => a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;
  const key = (r: CropRect) => `${r.left},${r.top}`;
  const shaA = 'a'.repeat(64);
  const shaB = '0123456789abcdef'.repeat(4);

  it('keeps every tile when the grid holds no more than the limit, the centre tile first', () => {
    // 1100 × 1100: a 4 × 4 grid centred at offset (38, 38).
    const rects = cropRects(1100, 1100, 256, 16, shaA);
    expect(rects).toHaveLength(16);
    expect(new Set(rects.map(key)).size).toBe(16);
    expect(key(rects[0])).toBe('294,294'); // a cell touching the image centre
    for (const r of rects) expect([(r.left - 38) % 256, (r.top - 38) % 256, r.width, r.height]).toEqual([0, 0, 256, 256]);
  });

  it('above the limit: at most the limit, the centre tile first, non-overlapping, on the grid, the same for the same seed', () => {
    // 2048 × 1536: an 8 × 6 grid of 48 tiles, no offset.
    const rects = cropRects(2048, 1536, 256, 16, shaA);
    expect(rects).toHaveLength(16);
    expect(key(rects[0])).toBe(key(cropRects(2048, 1536, 256, 2, shaB)[0])); // the centre cell whatever the seed
    for (let i = 0; i < rects.length; i++) {
      const r = rects[i];
      expect([r.left % 256, r.top % 256, r.width, r.height]).toEqual([0, 0, 256, 256]);
      expect(r.left + r.width <= 2048 && r.top + r.height <= 1536).toBe(true);
      for (let j = i + 1; j < rects.length; j++) expect(overlaps(r, rects[j])).toBe(false);
    }
    expect(cropRects(2048, 1536, 256, 16, shaA)).toEqual(rects);
    // Another file, another choice (the centre tile stays).
    const other = cropRects(2048, 1536, 256, 16, shaB);
    expect(other[0]).toEqual(rects[0]);
    expect(other.map(key).sort()).not.toEqual(rects.map(key).sort());
    expect(cropRects(2048, 1536, 256, 5, shaA)).toHaveLength(5);
  });

  it('decodes the seeded tiles of the file itself: the same bytes give the same pixels, by ingest or by decode', async () => {
    const dir = tmpDir('tiles');
    // 1290 × 1030: a 5 × 4 grid of 20 tiles, more than the limit of 16.
    const rgb = noiseBytes(1290 * 1030 * 3, 7);
    const png = await noiseImage(1290, 1030, 'png', 7);
    const file = path.join(dir, 'large.png');
    fs.writeFileSync(file, png);
    const sha = sha256Hex(png);
    const rects = cropRects(1290, 1030, 256, 16, sha);
    expect(rects).toHaveLength(16);
    const decoded = await decodeImageBuffer(png, { maxCrops: 16 });
    if ('skip' in decoded) throw new Error(decoded.message);
    expect(decoded.info.crops).toBe(16);
    rects.forEach((r, k) => expectRegion(decoded.crops[k], rgb, 1290, r.left, r.top));
    const [ev] = images(await collect(ingestFolder(dir, { maxCrops: 16 })));
    expect(ev.file.sha256).toBe(sha);
    ev.crops.forEach((c, k) => expect(Array.from(c.data)).toEqual(Array.from(decoded.crops[k].data)));
    // A re-saved copy told its original's SHA-256 gets the original's tiles.
    const copy = await sharp(png).png({ compressionLevel: 1 }).toBuffer();
    const resaved = await decodeImageBuffer(copy, { maxCrops: 16, tileSeed: sha });
    if ('skip' in resaved) throw new Error(resaved.message);
    rects.forEach((r, k) => expectRegion(resaved.crops[k], rgb, 1290, r.left, r.top));
  });
});

describe('decodeImageBuffer canonicalisation', () => {
  it('maps 16-bit samples to their high byte', async () => {
    const w = 32;
    const h = 30;
    const s = noiseBytes(w * h * 3 * 2, 40);
    const samples = Array.from({ length: w * h * 3 }, (_, i) => s.readUInt16BE(2 * i));
    const r = await decodeImageBuffer(encodePng({ width: w, height: h, colorType: 2, bitDepth: 16, samples }));
    if ('skip' in r) throw new Error(r.message);
    expect(r.info).toMatchObject({ format: 'png', bitDepth: 16, channels: 3, width: w, height: h });
    const hi = Uint8Array.from(samples, (v) => v >> 8);
    expectRegion(r.crops[0], hi, w, 0, 0);
  });

  it('expands grey+alpha to three identical channels and drops alpha without flattening', async () => {
    const w = 30;
    const h = 30;
    const samples = noiseBytes(w * h * 2, 41);
    for (let i = 1; i < samples.length; i += 4) samples[i] = 0; // every other pixel fully transparent
    const r = await decodeImageBuffer(encodePng({ width: w, height: h, colorType: 4, bitDepth: 8, samples }));
    if ('skip' in r) throw new Error(r.message);
    expect(r.info).toMatchObject({ channels: 2, bitDepth: 8 });
    const grey = Uint8Array.from({ length: w * h * 3 }, (_, i) => samples[Math.floor(i / 3) * 2]);
    expectRegion(r.crops[0], grey, w, 0, 0); // transparent pixels keep their grey, not white
  });

  it('drops alpha of RGBA images', async () => {
    const w = 40;
    const h = 32;
    const rgba = noiseBytes(w * h * 4, 42);
    const png = await sharp(rgba, { raw: { width: w, height: h, channels: 4 } })
      .png()
      .toBuffer();
    const r = await decodeImageBuffer(png);
    if ('skip' in r) throw new Error(r.message);
    expect(r.info.channels).toBe(4);
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => rgba[Math.floor(i / 3) * 4 + (i % 3)]);
    expectRegion(r.crops[0], rgb, w, 0, 0);
  });

  it('decodes uncompressed 24- and 32-bit BMP exactly', async () => {
    const w = 37; // odd width: exercises the 4-byte row padding
    const h = 29;
    const rgb = noiseBytes(w * h * 3, 43);
    for (const bpp of [24, 32] as const) {
      const r = await decodeImageBuffer(encodeBmp(w, h, rgb, bpp));
      if ('skip' in r) throw new Error(r.message);
      expect(r.info).toMatchObject({ format: 'bmp', width: w, height: h, channels: bpp / 8, bitDepth: 8 });
      expectRegion(r.crops[0], rgb, w, 0, 0);
    }
  });

  it('uses the first frame of an animated GIF', async () => {
    const w = 40;
    const h = 30;
    const frames = Buffer.concat([Buffer.alloc(w * h * 3, 10), Buffer.alloc(w * h * 3, 200)]);
    const gif = await sharp(frames, { raw: { width: w, height: h * 2, channels: 3, pageHeight: h } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const r = await decodeImageBuffer(gif);
    if ('skip' in r) throw new Error(r.message);
    expect(r.info).toMatchObject({ format: 'gif', width: w, height: h });
    expect(Math.max(...r.crops[0].data)).toBeCloseTo(10 / 255, 6);
  });

  it('detects EXIF when present and only then', async () => {
    const base = () => sharp(noiseBytes(64 * 64 * 3, 44), { raw: { width: 64, height: 64, channels: 3 } });
    const withExif = await base()
      .withExif({ IFD0: { Make: 'Acme', Model: 'Cam 1' } })
      .jpeg()
      .toBuffer();
    const without = await base().jpeg().toBuffer();
    const tiff = await base().tiff().toBuffer();
    const res = await Promise.all([withExif, without, tiff].map((b) => decodeImageBuffer(b)));
    expect(res.map((r) => ('info' in r ? r.info.hasExif : r.skip))).toEqual([true, false, false]);
  });

  it('asks exifr with one options object for every file: exifr keeps each object it is given for good', async () => {
    // exifr's Options.useCached holds every options object in a Map and never lets go: a fresh
    // object per file kept ~2.5 KB per image alive (the per-image memory growth of issue #16).
    const spy = vi.spyOn(ExifrOptions, 'useCached');
    try {
      for (const seed of [51, 52, 53]) await decodeImageBuffer(await noiseImage(32, 32, 'png', seed));
      expect(spy).toHaveBeenCalledTimes(3);
      const options = spy.mock.calls.map((c) => c[0]);
      expect(options[0]).toBeDefined();
      expect(options.every((o) => o === options[0])).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('honours canvas, minSize and pixelLimit options', async () => {
    const png = await noiseImage(100, 100, 'png', 45);
    const r = await decodeImageBuffer(png, { canvas: 64 });
    expect('info' in r && [r.crops[0].width, r.crops[0].height]).toEqual([64, 64]);
    expect(await decodeImageBuffer(png, { pixelLimit: 5000 })).toMatchObject({ skip: 'pixel-limit' });
    const small = await noiseImage(20, 20, 'png', 46);
    expect(await decodeImageBuffer(small)).toMatchObject({ skip: 'too-small' });
    const ok = await decodeImageBuffer(small, { minSize: 16 });
    expect('info' in ok && ok.info.width).toBe(20);
  });

  it('skips files above the size limit without reading them', async () => {
    const root = tmpDir('huge');
    const fd = fs.openSync(path.join(root, 'huge.png'), 'w');
    fs.ftruncateSync(fd, 3 * 1024 * 1024); // sparse: no disk used
    fs.closeSync(fd);
    const evs = await collect(ingestFolder(root, { maxFileBytes: 1024 * 1024 }));
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ kind: 'skipped', skipped: { reason: 'pixel-limit', sizeBytes: 3 * 1024 * 1024 } });
    expect((evs[0] as { skipped: SkippedFile }).skipped.message).toMatch(/size limit/);
  });
});

describe('hashing', () => {
  it('hashFile streams to the same digest as sha256Hex of the bytes', async () => {
    const root = tmpDir('hash');
    const data = noiseBytes(3 * 1024 * 1024 + 17, 50);
    const p = path.join(root, 'x.bin');
    fs.writeFileSync(p, data);
    expect(await hashFile(p)).toBe(sha256Hex(data));
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
