// Seeded mutation of small, valid images into hostile ones, for the ingest fuzzer (test/fuzz.test.ts
// and `npm run fuzz`). Deterministic: the same seed gives the same inputs, so any failure found by a
// run can be reproduced by rerunning it with that seed.
import sharp from 'sharp';

export const FUZZ_FORMATS = ['png', 'jpeg', 'webp', 'tiff', 'gif'] as const;
export type FuzzFormat = (typeof FUZZ_FORMATS)[number];

export const MUTATIONS = ['bit-flips', 'byte-writes', 'truncation', 'header-lie', 'huge-size', 'length-lie', 'splice'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rnd: () => number, n: number) => Math.floor(rnd() * n);

export interface Seed {
  format: FuzzFormat;
  /** How the seed was encoded, e.g. "png rgb 8-bit". */
  variant: string;
  bytes: Buffer;
}

/** A deterministic textured picture (gradients plus a little structure), so every codec has work to do. */
function picture(width: number, height: number, channels: 3 | 4, salt: number): Buffer {
  const px = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) px[(y * width + x) * channels + c] = (x * (3 + c) + y * (5 + salt) + ((x * y) % (7 + c)) * 9) & 0xff;
  return px;
}

/** The valid inputs every mutation starts from: two or three encodings per format, 40×32 pixels. */
export async function makeSeeds(): Promise<Seed[]> {
  const W = 40;
  const H = 32;
  const raw = (channels: 3 | 4, salt: number) => sharp(picture(W, H, channels, salt), { raw: { width: W, height: H, channels } });
  return [
    { format: 'png', variant: 'png rgb 8-bit', bytes: await raw(3, 1).png().toBuffer() },
    { format: 'png', variant: 'png rgba palette', bytes: await raw(4, 2).png({ palette: true }).toBuffer() },
    { format: 'jpeg', variant: 'jpeg baseline q90', bytes: await raw(3, 3).jpeg({ quality: 90 }).toBuffer() },
    { format: 'jpeg', variant: 'jpeg progressive 4:2:0', bytes: await raw(3, 4).jpeg({ quality: 75, progressive: true }).toBuffer() },
    { format: 'webp', variant: 'webp lossless', bytes: await raw(3, 5).webp({ lossless: true }).toBuffer() },
    { format: 'webp', variant: 'webp lossy with alpha', bytes: await raw(4, 6).webp({ quality: 70 }).toBuffer() },
    { format: 'tiff', variant: 'tiff lzw', bytes: await raw(3, 7).tiff({ compression: 'lzw' }).toBuffer() },
    { format: 'tiff', variant: 'tiff jpeg-compressed', bytes: await raw(3, 8).tiff({ compression: 'jpeg' }).toBuffer() },
    { format: 'tiff', variant: 'tiff uncompressed', bytes: await raw(3, 9).tiff({ compression: 'none' }).toBuffer() },
    { format: 'gif', variant: 'gif', bytes: await raw(3, 10).gif().toBuffer() },
  ];
}

/** Where a format stores its declared dimensions: byte offset, field width and byte order. */
interface DimensionField {
  at: number;
  bytes: 1 | 2 | 3 | 4;
  littleEndian: boolean;
  /** Bits of the field that hold the value (VP8L packs 14-bit fields), default all. */
  bits?: number;
  shift?: number;
}

function tiffLittleEndian(b: Buffer): boolean {
  return b[0] === 0x49;
}

/** The IFD0 entries of a TIFF: tag, type and the offset of the value field. */
function tiffEntries(b: Buffer): { tag: number; type: number; valueAt: number }[] {
  const le = tiffLittleEndian(b);
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  if (b.length < 8) return [];
  const ifd = u32(4);
  if (ifd + 2 > b.length) return [];
  const n = u16(ifd);
  const out: { tag: number; type: number; valueAt: number }[] = [];
  for (let i = 0; i < n && ifd + 2 + 12 * (i + 1) <= b.length; i++) {
    const e = ifd + 2 + 12 * i;
    out.push({ tag: u16(e), type: u16(e + 2), valueAt: e + 8 });
  }
  return out;
}

/** The declared width/height fields of an encoded image (every place a decoder reads them from). */
export function dimensionFields(format: FuzzFormat, b: Buffer): DimensionField[] {
  switch (format) {
    case 'png':
      return [16, 20].map((at) => ({ at, bytes: 4, littleEndian: false }));
    case 'jpeg': {
      for (let i = 2; i + 9 < b.length; i++)
        if (b[i] === 0xff && b[i + 1] >= 0xc0 && b[i + 1] <= 0xc3) return [i + 5, i + 7].map((at) => ({ at, bytes: 2 as const, littleEndian: false }));
      return [];
    }
    case 'gif': {
      const fields: DimensionField[] = [6, 8].map((at) => ({ at, bytes: 2, littleEndian: true }));
      const descriptor = b.indexOf(0x2c, 13);
      if (descriptor > 0) fields.push(...[5, 7].map((d) => ({ at: descriptor + d, bytes: 2 as const, littleEndian: true })));
      return fields;
    }
    case 'webp': {
      const vp8x = b.indexOf('VP8X', 12, 'latin1');
      if (vp8x >= 0) return [12, 15].map((d) => ({ at: vp8x + d, bytes: 3 as const, littleEndian: true }));
      const vp8l = b.indexOf('VP8L', 12, 'latin1');
      if (vp8l >= 0)
        return [
          { at: vp8l + 9, bytes: 4, littleEndian: true, bits: 14, shift: 0 },
          { at: vp8l + 9, bytes: 4, littleEndian: true, bits: 14, shift: 14 },
        ];
      const vp8 = b.indexOf('VP8 ', 12, 'latin1');
      if (vp8 >= 0) return [14, 16].map((d) => ({ at: vp8 + d, bytes: 2 as const, littleEndian: true, bits: 14, shift: 0 }));
      return [];
    }
    case 'tiff':
      return tiffEntries(b)
        .filter((e) => e.tag === 256 || e.tag === 257)
        .map((e) => ({ at: e.valueAt, bytes: e.type === 3 ? 2 : 4, littleEndian: tiffLittleEndian(b) }));
  }
}

/** Fields that say how long something is (chunk, segment, strip): lying about them misleads parsers. */
function lengthFields(format: FuzzFormat, b: Buffer): DimensionField[] {
  switch (format) {
    case 'png': {
      const out: DimensionField[] = [];
      for (let off = 8; off + 8 <= b.length;) {
        out.push({ at: off, bytes: 4, littleEndian: false });
        off += 12 + b.readUInt32BE(off);
      }
      return out;
    }
    case 'jpeg': {
      const out: DimensionField[] = [];
      for (let off = 2; off + 4 <= b.length && b[off] === 0xff;) {
        const marker = b[off + 1];
        out.push({ at: off + 2, bytes: 2, littleEndian: false });
        if (marker === 0xda) break;
        off += 2 + b.readUInt16BE(off + 2);
      }
      return out;
    }
    case 'webp':
      return [4, 16].map((at) => ({ at, bytes: 4, littleEndian: true }));
    case 'gif': {
      // Sub-block sizes after the image descriptor and LZW minimum code size.
      const descriptor = b.indexOf(0x2c, 13);
      return descriptor > 0 && descriptor + 11 < b.length ? [{ at: descriptor + 11, bytes: 1, littleEndian: true }] : [];
    }
    case 'tiff':
      return tiffEntries(b)
        .filter((e) => [273, 279, 324, 325].includes(e.tag) || e.tag === 258)
        .map((e) => ({ at: e.valueAt, bytes: e.type === 3 ? 2 : 4, littleEndian: tiffLittleEndian(b) }));
  }
}

function writeField(b: Buffer, f: DimensionField, value: number): void {
  if (f.at + (f.bits ? 4 : f.bytes) > b.length) return;
  if (f.bits) {
    const word = f.littleEndian ? b.readUInt32LE(f.at) : b.readUInt32BE(f.at);
    const mask = ((1 << f.bits) - 1) << (f.shift ?? 0);
    const next = ((word & ~mask) | ((value << (f.shift ?? 0)) & mask)) >>> 0;
    if (f.bytes === 4) {
      if (f.littleEndian) b.writeUInt32LE(next, f.at);
      else b.writeUInt32BE(next, f.at);
    } else {
      const v16 = next & 0xffff;
      if (f.littleEndian) b.writeUInt16LE(v16, f.at);
      else b.writeUInt16BE(v16, f.at);
    }
    return;
  }
  const max = 2 ** (8 * f.bytes) - 1;
  const v = Math.max(0, Math.min(max, Math.floor(value)));
  if (f.littleEndian) b.writeUIntLE(v, f.at, f.bytes);
  else b.writeUIntBE(v, f.at, f.bytes);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Recomputes the CRC of every complete PNG chunk, so a lie in IHDR reaches the decoder itself. */
function fixPngCrcs(b: Buffer): void {
  for (let off = 8; off + 12 <= b.length;) {
    const len = b.readUInt32BE(off);
    if (off + 12 + len > b.length) return;
    let c = 0xffffffff;
    for (let i = off + 4; i < off + 8 + len; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
    b.writeUInt32BE((c ^ 0xffffffff) >>> 0, off + 8 + len);
    off += 12 + len;
  }
}

export interface FuzzInput {
  /** Position in the run (0-based): with the run's seed, enough to regenerate it. */
  index: number;
  format: FuzzFormat;
  seedVariant: string;
  mutation: Mutation;
  /** What exactly was done, e.g. "3 bits flipped at 17, 200, 311". */
  detail: string;
  bytes: Buffer;
}

const HUGE = [0xffff, 0x7fff, 0xffffffff, 0x7fffffff, 0x10000, 60_000, 1 << 24];
const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];

/** One mutated input. Each mutation keeps the signature bytes most of the time, so the decoders (not the sniffer) see it. */
export function mutate(seed: Seed, mutation: Mutation, rnd: () => number): { bytes: Buffer; detail: string } {
  const b = Buffer.from(seed.bytes);
  const body = (n = 8) => n + int(rnd, Math.max(1, b.length - n));
  switch (mutation) {
    case 'bit-flips': {
      const n = 1 + int(rnd, 8);
      const at: number[] = [];
      for (let i = 0; i < n; i++) {
        const o = body();
        b[o] = b[o]! ^ (1 << int(rnd, 8));
        at.push(o);
      }
      return { bytes: b, detail: `${n} bit${n === 1 ? '' : 's'} flipped at ${at.join(', ')}` };
    }
    case 'byte-writes': {
      const n = 1 + int(rnd, 4);
      const at: string[] = [];
      for (let i = 0; i < n; i++) {
        const o = body();
        const v = INTERESTING[int(rnd, INTERESTING.length)]!;
        b[o] = v;
        at.push(`${o}=0x${v.toString(16)}`);
      }
      return { bytes: b, detail: `bytes set: ${at.join(', ')}` };
    }
    case 'truncation': {
      const keep = int(rnd, b.length);
      return { bytes: b.subarray(0, keep), detail: `truncated to ${keep} of ${b.length} bytes` };
    }
    case 'header-lie':
    case 'huge-size': {
      const fields = dimensionFields(seed.format, b);
      if (!fields.length) return mutate(seed, 'bit-flips', rnd);
      // A lie changes one dimension; a huge size declares a pixel bomb, every dimension field at once.
      const targets = mutation === 'huge-size' ? fields : [fields[int(rnd, fields.length)]!];
      const set: string[] = [];
      for (const f of targets) {
        const value = mutation === 'huge-size' ? HUGE[int(rnd, HUGE.length)]! : [0, 1, 2, 27, 31, 33, 39, 41, 64, 257, 4096][int(rnd, 11)]!;
        writeField(b, f, value);
        set.push(`${f.at}=${value}`);
      }
      const fixCrc = seed.format === 'png' && rnd() < 0.7;
      if (fixCrc) fixPngCrcs(b);
      return { bytes: b, detail: `dimension fields set: ${set.join(', ')}${fixCrc ? ' (CRCs fixed)' : ''}` };
    }
    case 'length-lie': {
      const fields = lengthFields(seed.format, b);
      if (!fields.length) return mutate(seed, 'byte-writes', rnd);
      const f = fields[int(rnd, fields.length)]!;
      const value = [0, 1, 2, 0xff, 0xffff, 0x7fffffff, 0xffffffff, b.length, b.length * 4][int(rnd, 9)]!;
      writeField(b, f, value);
      return { bytes: b, detail: `length field at ${f.at} set to ${value}` };
    }
    case 'splice': {
      const from = body();
      const len = 1 + int(rnd, Math.min(256, b.length - from));
      const to = body();
      const chunk = b.subarray(from, from + len);
      const out = rnd() < 0.5 ? Buffer.concat([b.subarray(0, to), chunk, b.subarray(to)]) : Buffer.concat([b.subarray(0, to), b.subarray(to + len)]);
      return { bytes: out, detail: `${out.length > b.length ? 'inserted' : 'removed'} ${len} bytes at ${to}` };
    }
  }
}

/** The inputs of one run: `iterations` mutants, cycling through formats and mutations, all from `seed`. */
export function* fuzzInputs(seeds: Seed[], iterations: number, seed: number, offset = 0): Generator<FuzzInput> {
  const rnd = prng(seed);
  // Skipping ahead consumes the generator exactly as the full run would, so input k is the same either way.
  for (let index = 0; index < offset + iterations; index++) {
    const format = FUZZ_FORMATS[index % FUZZ_FORMATS.length]!;
    const ofFormat = seeds.filter((s) => s.format === format);
    const base = ofFormat[int(rnd, ofFormat.length)]!;
    const mutation = MUTATIONS[int(rnd, MUTATIONS.length)]!;
    const { bytes, detail } = mutate(base, mutation, rnd);
    if (index >= offset) yield { index, format, seedVariant: base.variant, mutation, detail, bytes };
  }
}
