// Compression history read from the files' bytes, and how verdicts and reports word a mismatch
// between the evidence and the reference images. Real encoders (sharp/libvips) make every file.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  checkCompression,
  compressionCaveat,
  compressionMismatchIsMajor,
  compressionOf,
  compressionSummary,
  describeCompressionCounts,
  chromaSuffix,
  readJpegHeader,
  estimateJpegQuality,
  jpegLuminanceTable,
  sameCompression,
} from '../src/engine/ingest/compression.js';
import { estimateWebpQuality, readVp8Quantisers } from '../src/engine/ingest/webp-quality.js';
import { decodeImageBuffer } from '../src/engine/ingest/decode.js';
import { statementFor, verdictWording } from '../src/shared/wording.js';
import type { Verdict } from '../src/engine/types.js';

const W = 48;
const pixels = Buffer.from(Array.from({ length: W * W * 3 }, (_, i) => (i * 37 + (i >> 7) * 11) % 251));
const image = (channels: 3 | 4 = 3) => sharp(channels === 3 ? pixels : Buffer.alloc(W * W * 4, 128), { raw: { width: W, height: W, channels } });

describe('reading the compression history', () => {
  it('recovers the quality libjpeg was given, from the luminance quantisation table', async () => {
    for (const q of [5, 10, 25, 50, 60, 75, 85, 90, 95, 99, 100]) {
      const buf = await image().jpeg({ quality: q }).toBuffer();
      expect(compressionOf(buf, 'jpeg')).toBe(`jpeg-q${q}`);
    }
  });

  it('names the chroma subsampling where it is not 4:2:0, read from the frame header', async () => {
    const j444 = await image().jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer();
    const j420 = await image().jpeg({ quality: 90, chromaSubsampling: '4:2:0' }).toBuffer();
    expect(compressionOf(j444, 'jpeg')).toBe('jpeg-q90-444');
    expect(compressionOf(j420, 'jpeg')).toBe('jpeg-q90');
    // libvips reads the same layouts from the same files.
    expect((await sharp(j444).metadata()).chromaSubsampling).toBe('4:4:4');
    expect(readJpegHeader(j444).components).toEqual([
      { h: 1, v: 1 },
      { h: 1, v: 1 },
      { h: 1, v: 1 },
    ]);
    expect(readJpegHeader(j420).components?.[0]).toEqual({ h: 2, v: 2 });
    const grey = await sharp(pixels, { raw: { width: W, height: W, channels: 3 } })
      .toColourspace('b-w')
      .jpeg({ quality: 80 })
      .toBuffer();
    expect(readJpegHeader(grey).components).toHaveLength(1);
    expect(compressionOf(grey, 'jpeg')).toBe('jpeg-q80');
    const moz444 = await image().jpeg({ quality: 80, mozjpeg: true, chromaSubsampling: '4:4:4' }).toBuffer();
    expect(compressionOf(moz444, 'jpeg')).toBe('jpeg-444');
    // Layouts sharp does not write: the luma sampling factors of a 4:2:0 file's frame rewritten.
    const sof = (buf: Buffer) => buf.indexOf(Buffer.from([0xff, 0xc0]));
    for (const [factors, key] of [
      [0x21, 'jpeg-q90-422'],
      [0x12, 'jpeg-q90-440'],
      [0x41, 'jpeg-q90-411'],
      [0x31, 'jpeg-q90-other'],
    ] as const) {
      const edited = Buffer.from(j420);
      expect(sof(edited)).toBeGreaterThan(0);
      edited[sof(edited) + 11] = factors;
      expect(compressionOf(edited, 'jpeg')).toBe(key);
    }
    expect(chromaSuffix(null)).toBe('');
    expect(
      chromaSuffix([
        { h: 1, v: 1 },
        { h: 1, v: 1 },
        { h: 1, v: 1 },
        { h: 1, v: 1 },
      ]),
    ).toBe('cmyk');
  });

  it('flags grey content saved as a colour JPEG, whose chroma subsampling changed nothing', async () => {
    const grey = Buffer.from(Array.from({ length: W * W }, (_, i) => (i * 37 + (i >> 5) * 11) % 251).flatMap((v) => [v, v, v]));
    const greyJpeg = await sharp(grey, { raw: { width: W, height: W, channels: 3 } })
      .jpeg({ quality: 75, chromaSubsampling: '4:4:4' })
      .toBuffer();
    const colourJpeg = await image().jpeg({ quality: 75, chromaSubsampling: '4:4:4' }).toBuffer();
    const greySubsampled = await sharp(grey, { raw: { width: W, height: W, channels: 3 } })
      .jpeg({ quality: 75 })
      .toBuffer();
    const [g, c, s] = await Promise.all([greyJpeg, colourJpeg, greySubsampled].map((b) => decodeImageBuffer(b)));
    expect('info' in g && g.info).toMatchObject({ compression: 'jpeg-q75-444', colourless: true });
    expect('info' in c && c.info.compression).toBe('jpeg-q75-444');
    expect('info' in c && c.info.colourless).toBeUndefined();
    // A 4:2:0 key needs no flag: it is matched by quality anyway.
    expect('info' in s && s.info.compression).toBe('jpeg-q75');
    expect('info' in s && s.info.colourless).toBeUndefined();
  });

  it('says "jpeg" without a number for tables that are not the standard scaling (mozjpeg)', async () => {
    const buf = await image().jpeg({ quality: 80, mozjpeg: true }).toBuffer();
    expect(jpegLuminanceTable(buf)).toHaveLength(64);
    expect(estimateJpegQuality(jpegLuminanceTable(buf)!)).toBeNull();
    expect(compressionOf(buf, 'jpeg')).toBe('jpeg');
  });

  it('tells lossy from lossless WebP, including lossy WebP with an alpha channel', async () => {
    expect(compressionOf(await image().webp({ quality: 80 }).toBuffer(), 'webp')).toMatch(/^webp-lossy-q\d+$/);
    expect(compressionOf(await image().webp({ lossless: true }).toBuffer(), 'webp')).toBe('webp-lossless');
    expect(compressionOf(await image(4).webp({ quality: 80 }).toBuffer(), 'webp')).toMatch(/^webp-lossy-q\d+$/);
  });

  /** 128 × 128: a smooth gradient beside a noise-like texture, so libwebp's four segments differ. */
  const textured = () => {
    const w = 128;
    const px = Buffer.alloc(w * w * 3);
    for (let y = 0; y < w; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++)
          px[(y * w + x) * 3 + c] = x < w / 2 ? (x * 2 + y + c * 40) & 255 : (Math.imul(x * 7919 + y * 104729 + c * 31, 2654435761) >>> 24) & 255;
    return sharp(px, { raw: { width: w, height: w, channels: 3 } });
  };

  it('reads the quality libwebp was given from the quantisers of its segments', async () => {
    for (const q of [1, 10, 20, 35, 50, 65, 75, 80, 90, 95, 100]) {
      const buf = await textured().webp({ quality: q }).toBuffer();
      const quantisers = readVp8Quantisers(buf)!;
      const estimate = estimateWebpQuality(quantisers)!;
      // The setting is always among the qualities the indices fit; the key names the highest.
      expect(estimate.candidates, `q${q}`).toContain(q);
      expect(estimate.quality - q, `q${q}`).toBeGreaterThanOrEqual(0);
      expect(estimate.quality - q, `q${q}`).toBeLessThanOrEqual(2);
      expect(compressionOf(buf, 'webp')).toBe(`webp-lossy-q${estimate.quality}`);
    }
    // Four segments, the coarsest first, on content whose texture varies.
    const q75 = readVp8Quantisers(await textured().webp({ quality: 75 }).toBuffer())!;
    expect(q75.segments).toHaveLength(4);
    expect(q75.base).toBe(q75.segments![0]);
    expect(new Set(q75.segments).size).toBe(4);
    // One segment (no spatial noise shaping: the 'text' preset): the base index gives the quality to one step.
    const one = estimateWebpQuality(readVp8Quantisers(await textured().webp({ quality: 75, preset: 'text' }).toBuffer())!)!;
    expect(one.candidates).toContain(75);
    expect(one.candidates.length).toBeLessThanOrEqual(2);
  });

  it('gives no WebP quality where the quantisers fit no libwebp default setting, and never throws on damaged headers', async () => {
    // The 'photo' preset shapes the segments more strongly (SNS 80) than libwebp's default (50).
    const photo = await textured().webp({ quality: 75, preset: 'photo' }).toBuffer();
    expect(estimateWebpQuality(readVp8Quantisers(photo)!)).toBeNull();
    expect(compressionOf(photo, 'webp')).toBe('webp-lossy');
    const good = await textured().webp({ quality: 60 }).toBuffer();
    // Cut anywhere in its headers: still a lossy WebP, with or without a quality, never an exception.
    for (let cut = 0; cut < 60; cut += 3) expect(compressionOf(good.subarray(0, cut), 'webp'), `cut at ${cut}`).toMatch(/^webp-lossy(-q\d+)?$/);
    // Bytes after the frame header damaged: the header still reads.
    const damaged = Buffer.from(good);
    damaged.fill(0xff, 60);
    expect(compressionOf(damaged, 'webp')).toBe(compressionOf(good, 'webp'));
    expect(readVp8Quantisers(await textured().webp({ lossless: true }).toBuffer())).toBeNull();
    expect(readVp8Quantisers(await textured().png().toBuffer())).toBeNull();
  });

  it('calls PNG, GIF and TIFF lossless, and never throws on damaged JPEG headers', async () => {
    expect(compressionOf(await image().png().toBuffer(), 'png')).toBe('lossless');
    expect(compressionOf(await image().gif().toBuffer(), 'gif')).toBe('lossless');
    expect(compressionOf(await image().tiff().toBuffer(), 'tiff')).toBe('lossless');
    const jpeg = await image().jpeg({ quality: 90 }).toBuffer();
    for (const broken of [jpeg.subarray(0, 3), jpeg.subarray(0, 30), Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0xff, 0xff]), Buffer.alloc(0)])
      expect(compressionOf(broken, 'jpeg')).toBe('jpeg');
  });

  it('travels with every decoded image', async () => {
    const jpeg = await decodeImageBuffer(await image().jpeg({ quality: 70 }).toBuffer());
    const png = await decodeImageBuffer(await image().png().toBuffer());
    expect('info' in jpeg && jpeg.info.compression).toBe('jpeg-q70');
    expect('info' in png && png.info.compression).toBe('lossless');
  });
});

describe('comparing evidence with references', () => {
  it('treats JPEG qualities within 5 as alike, and nothing else across kinds', () => {
    expect(sameCompression('jpeg-q90', 'jpeg-q86')).toBe(true);
    expect(sameCompression('jpeg-q90', 'jpeg-q84')).toBe(false);
    expect(sameCompression('jpeg', 'jpeg')).toBe(true);
    expect(sameCompression('jpeg', 'jpeg-q90')).toBe(false);
    expect(sameCompression('lossless', 'webp-lossless')).toBe(false);
    // Lossy WebP by the quality its quantisers fit, with the same tolerance; without one, only like itself.
    expect(sameCompression('webp-lossy-q75', 'webp-lossy-q71')).toBe(true);
    expect(sameCompression('webp-lossy-q75', 'webp-lossy-q50')).toBe(false);
    expect(sameCompression('webp-lossy', 'webp-lossy-q75')).toBe(false);
    expect(sameCompression('webp-lossy', 'webp-lossy')).toBe(true);
    expect(sameCompression('webp-lossy-q75', 'jpeg-q75')).toBe(false);
    expect(sameCompression('lossless', 'lossless')).toBe(true);
    // Another chroma subsampling is another processing, whatever the quality.
    expect(sameCompression('jpeg-q90-444', 'jpeg-q90')).toBe(false);
    expect(sameCompression('jpeg-q90-444', 'jpeg-q88-444')).toBe(true);
    expect(sameCompression('jpeg-444', 'jpeg')).toBe(false);
    expect(describeCompressionCounts({ 'jpeg-q90-444': 3, 'jpeg-422': 1 })).toBe('JPEG q90 4:4:4 (3), JPEG 4:2:2 (non-standard tables) (1)');
  });

  it('counts the evidence images no reference image shares', () => {
    const c = checkCompression('gen-a', ['jpeg-q75', 'jpeg-q75', 'lossless'], { lossless: 40 });
    expect(c).toEqual({ entry: 'gen-a', evidence: { 'jpeg-q75': 2, lossless: 1 }, references: { lossless: 40 }, matched: 1, total: 3 });
    expect(compressionMismatchIsMajor(c)).toBe(true);
    expect(compressionCaveat(c)).toMatch(
      /^2 of 3 evidence images were saved with a compression that none of gen-a's reference images has \(evidence: JPEG q75 \(2\), lossless \(1\); references: lossless \(40\)\)/,
    );
    expect(compressionSummary(c)).toBe("evidence JPEG q75 (2), lossless (1); gen-a's references lossless (40) — 2 of 3 evidence images differ");
    const alike = checkCompression('gen-a', ['lossless'], { lossless: 40, 'jpeg-q90': 2 });
    expect(alike.matched).toBe(1);
    expect(compressionCaveat(alike)).toBeNull();
    expect(describeCompressionCounts({ 'jpeg-q90': 2, lossless: 40 })).toBe('lossless (40), JPEG q90 (2)');
  });

  it('makes no claim when the entry predates the record', () => {
    const c = checkCompression('old', ['jpeg-q75'], null);
    expect(c.matched).toBeNull();
    expect(compressionCaveat(c)).toBeNull();
    expect(compressionMismatchIsMajor(c)).toBe(false);
    expect(compressionSummary(c)).toMatch(/references not recorded/);
  });
});

describe('verdict wording', () => {
  const base: Verdict = {
    label: 'gen-a',
    family: 'gan',
    unknown: false,
    score: 0.98,
    runnerUp: 'gen-b',
    margin: 0.9,
    evidenceCount: 40,
    method: 'dsf',
    candidates: [],
    decidedBy: 'classifier',
    agreement: { classifier: 'gen-a', residual: 'gen-a', agree: true },
    openSet: { kind: 'novelty', statistic: 0, threshold: 1, unknownScore: -1, tests: [] },
    statement: '',
    explanation: '',
  };
  const recompressed = checkCompression('gen-a', Array(40).fill('jpeg-q75'), { lossless: 40 });
  const alike = checkCompression('gen-a', Array(40).fill('lossless'), { lossless: 40 });

  it('a firm statement stays firm when the evidence was saved like the references', () => {
    const v = { ...base, compression: alike };
    v.statement = statementFor(v, 'gen-a');
    expect(v.statement).toMatch(/^The 40 images are consistent with the library entry gen-a/);
    expect(v.statement).not.toMatch(/Caution|weakly/);
    expect(verdictWording(v).strength).toBe('strong');
  });

  it('re-compressed evidence is called weak, with the reason, in the app and in the report', () => {
    const v = { ...base, compression: recompressed };
    v.statement = statementFor(v, 'gen-a');
    expect(v.statement).toMatch(/^The 40 images are weakly consistent with the library entry gen-a/);
    expect(v.statement).toMatch(
      /Caution: 40 of 40 evidence images were saved with a compression that none of gen-a's reference images has .* so this is no firm attribution\./,
    );
    const w = verdictWording(v);
    expect(w.strength).toBe('weak');
    expect(w.caveats.join(' ')).toMatch(/evidence: JPEG q75 \(40\); references: lossless \(40\)/);
  });

  it('a minority of re-compressed images lowers the strength to moderate, not weak', () => {
    const v = { ...base, compression: checkCompression('gen-a', [...Array(30).fill('lossless'), ...Array(10).fill('jpeg-q75')], { lossless: 40 }) };
    v.statement = statementFor(v, 'gen-a');
    expect(v.statement).toMatch(/^The 40 images are consistent with .*Caution: 10 of 40 evidence images/);
    expect(verdictWording(v).strength).toBe('moderate');
  });
});
