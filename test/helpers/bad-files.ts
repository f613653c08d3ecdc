// Generators of good and bad evidence files for ingest tests (and any other test that needs a
// realistic, hostile evidence folder). Everything is synthesised here; nothing comes from the corpus.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { SkipReason } from '../../src/engine/types.js';

/** Deterministic pseudo-random bytes (mulberry32), so generated files are identical run to run. */
export function noiseBytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let a = seed >>> 0;
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/** Interleaved raw noise image encoded with sharp. */
export async function noiseImage(
  width: number,
  height: number,
  format: 'png' | 'jpeg' | 'webp' | 'tiff' | 'gif' | 'avif',
  seed = 1,
  channels: 1 | 2 | 3 | 4 = 3,
): Promise<Buffer> {
  const img = sharp(noiseBytes(width * height * channels, seed), { raw: { width, height, channels } });
  switch (format) {
    case 'png':
      return img.png().toBuffer();
    case 'jpeg':
      return img.jpeg({ quality: 90 }).toBuffer();
    case 'webp':
      return img.webp({ lossless: true }).toBuffer();
    case 'tiff':
      return img.tiff({ compression: 'lzw' }).toBuffer();
    case 'gif':
      return img.gif().toBuffer();
    case 'avif':
      return img.avif({ quality: 60, effort: 0 }).toBuffer();
  }
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

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

export interface PngSpec {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA. */
  colorType: 0 | 2 | 4 | 6;
  bitDepth: 8 | 16;
  /** Samples, row-major, interleaved; 16-bit samples as numbers 0..65535. */
  samples: ArrayLike<number>;
  /** Dimensions written in IHDR when they should lie about the data (pixel bombs). */
  declared?: { width: number; height: number };
}

/** A minimal PNG encoder: exact control of bit depth, colour type and header, which sharp hides. */
export function encodePng(spec: PngSpec): Buffer {
  const spp = { 0: 1, 2: 3, 4: 2, 6: 4 }[spec.colorType];
  const bps = spec.bitDepth / 8;
  const rowBytes = spec.width * spp * bps;
  const raw = Buffer.alloc((rowBytes + 1) * spec.height);
  let s = 0;
  for (let y = 0; y < spec.height; y++) {
    let o = y * (rowBytes + 1) + 1; // filter byte 0 (None)
    for (let i = 0; i < spec.width * spp; i++, s++) {
      if (bps === 2) {
        raw.writeUInt16BE(spec.samples[s], o);
        o += 2;
      } else raw[o++] = spec.samples[s];
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.declared?.width ?? spec.width, 0);
  ihdr.writeUInt32BE(spec.declared?.height ?? spec.height, 4);
  ihdr[8] = spec.bitDepth;
  ihdr[9] = spec.colorType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Uncompressed bottom-up BMP; 24-bit BGR or 32-bit BGRX, from interleaved RGB samples. */
export function encodeBmp(width: number, height: number, rgb: Uint8Array, bpp: 24 | 32 = 24): Buffer {
  const stride = Math.ceil((bpp * width) / 32) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + stride * height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(bpp, 28);
  header.writeUInt32LE(0, 30);
  header.writeUInt32LE(stride * height, 34);
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const row = (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = row + x * (bpp / 8);
      pixels[d] = rgb[s + 2];
      pixels[d + 1] = rgb[s + 1];
      pixels[d + 2] = rgb[s];
      if (bpp === 32) pixels[d + 3] = 0x80;
    }
  }
  return Buffer.concat([header, pixels]);
}

/** Replace a PNG's first IDAT payload with garbage but keep its CRC valid: only zlib can object. */
export function pngWithGarbageIdat(png: Buffer): Buffer {
  const b = Buffer.from(png);
  const at = b.indexOf('IDAT', 8, 'latin1');
  const len = b.readUInt32BE(at - 4);
  noiseBytes(len, 99).copy(b, at + 4);
  b.writeUInt32BE(crc32(b.subarray(at, at + 4 + len)), at + 4 + len);
  return b;
}

/** Flip the CRC of a PNG's first IDAT chunk; the data itself is intact. */
export function pngWithBadCrc(png: Buffer): Buffer {
  const b = Buffer.from(png);
  const at = b.indexOf('IDAT', 8, 'latin1');
  const len = b.readUInt32BE(at - 4);
  b[at + 4 + len] ^= 0xff;
  return b;
}

export type Expectation = SkipReason | 'accepted';

export interface BadFileCase {
  /** Relative path inside the folder; a Buffer where the name is not valid UTF-8. */
  name: string | Buffer;
  expect: Expectation;
  /** What the case exercises, for test titles. */
  what: string;
  /** Extra checks for the message, e.g. /dangling/. */
  message?: RegExp;
}

export interface BadFolder {
  root: string;
  cases: BadFileCase[];
  /** Cases that could not be created here (e.g. chmod 000 as root) with the reason. */
  notCreated: { what: string; why: string }[];
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Fill `root` (created if needed) with one file per kind of bad input, plus good files of every
 * accepted format. Returns what each entry should become.
 */
export async function writeBadFolder(root: string): Promise<BadFolder> {
  fs.mkdirSync(root, { recursive: true });
  const cases: BadFileCase[] = [];
  const notCreated: { what: string; why: string }[] = [];
  const put = (name: string | Buffer, data: Buffer, expect: Expectation, what: string, message?: RegExp) => {
    const p = typeof name === 'string' ? path.join(root, name) : Buffer.concat([Buffer.from(root + '/'), name]);
    if (typeof name === 'string') fs.mkdirSync(path.dirname(p as string), { recursive: true });
    fs.writeFileSync(p, data);
    cases.push({ name, expect, what, message });
  };

  const png = await noiseImage(64, 64, 'png', 2);
  const jpg = await noiseImage(96, 80, 'jpeg', 3);

  // --- bad ---
  put('empty.png', Buffer.alloc(0), 'empty-file', 'zero bytes');
  put('truncated.png', png.subarray(0, Math.floor(png.length / 2)), 'truncated', 'PNG cut in half');
  put('truncated.jpg', jpg.subarray(0, Math.floor(jpg.length / 2)), 'truncated', 'JPEG cut in half');
  const webp = await noiseImage(64, 64, 'webp', 4);
  put('truncated.webp', webp.subarray(0, Math.floor(webp.length * 0.7)), 'truncated', 'WebP cut short');
  const gif = await noiseImage(64, 64, 'gif', 5);
  put('truncated.gif', gif.subarray(0, Math.floor(gif.length * 0.6)), 'truncated', 'GIF cut short');
  // Cut below the centre crop: only a decoder that reads the whole file notices.
  const bigPng = await noiseImage(800, 800, 'png', 13);
  put('truncated-tail.png', bigPng.subarray(0, Math.floor(bigPng.length * 0.9)), 'truncated', 'PNG cut below the crop region');
  const bigJpg = await noiseImage(800, 800, 'jpeg', 14);
  put('truncated-tail.jpg', bigJpg.subarray(0, Math.floor(bigJpg.length * 0.9)), 'truncated', 'JPEG cut below the crop region');
  put('corrupt-crc.png', pngWithBadCrc(png), 'corrupt', 'PNG IDAT with a bad CRC');
  put('corrupt-idat.png', pngWithGarbageIdat(png), 'corrupt', 'PNG IDAT full of garbage (valid CRC)');
  put('notes.png', Buffer.from('These are the case notes, not an image.\n'), 'not-an-image', 'text named .png');
  put('bmw.bmp', Buffer.from('BMW service notes: brake pads replaced, tyres rotated, oil changed.\n'), 'not-an-image', 'text starting with "BM" named .bmp');
  const random = noiseBytes(4096, 7);
  random[0] = 0x00; // no accidental signature
  put('random.jpg', random, 'not-an-image', 'random bytes named .jpg');
  put(
    'bomb.png',
    encodePng({ width: 4, height: 4, colorType: 2, bitDepth: 8, samples: noiseBytes(48, 8), declared: { width: 50000, height: 50000 } }),
    'pixel-limit',
    'forged IHDR declaring 50000×50000',
  );
  put('tiny.png', await noiseImage(10, 10, 'png', 9), 'too-small', '10×10 image');
  put(
    'drawing.svg',
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>'),
    'unsupported-format',
    'SVG',
  );
  put('report.pdf', Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'), 'unsupported-format', 'PDF');
  const bmp = encodeBmp(40, 30, noiseBytes(40 * 30 * 3, 10));
  put('truncated.bmp', bmp.subarray(0, bmp.length - 500), 'truncated', 'BMP with missing pixel rows');
  const bmp8 = Buffer.from(bmp);
  bmp8.writeUInt16LE(8, 28);
  put('palette.bmp', bmp8, 'unsupported-format', '8-bit palette BMP');
  put('.DS_Store', Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31, ...noiseBytes(64, 11)]), 'not-an-image', 'macOS .DS_Store junk');
  put(
    'Thumbs.db',
    Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), noiseBytes(512, 12)]),
    'not-an-image',
    'Windows Thumbs.db junk',
  );

  if (isRoot) {
    notCreated.push({ what: 'unreadable file (chmod 000)', why: 'running as root, which reads any file regardless of mode' });
  } else {
    put('locked.png', png, 'permission-denied', 'chmod 000');
    fs.chmodSync(path.join(root, 'locked.png'), 0o000);
  }

  fs.mkdirSync(path.join(root, 'loop'));
  fs.symlinkSync('..', path.join(root, 'loop', 'back'));
  cases.push({ name: 'loop/back', expect: 'symlink-loop', what: 'directory link to its parent' });
  fs.symlinkSync('self-link', path.join(root, 'self-link'));
  cases.push({ name: 'self-link', expect: 'symlink-loop', what: 'link pointing to itself' });
  fs.symlinkSync('does-not-exist.png', path.join(root, 'dangling.png'));
  cases.push({ name: 'dangling.png', expect: 'not-a-regular-file', what: 'dangling symlink', message: /dangling/ });
  try {
    execFileSync('mkfifo', [path.join(root, 'pipe.png')]);
    cases.push({ name: 'pipe.png', expect: 'not-a-regular-file', what: 'FIFO', message: /FIFO/ });
  } catch (err) {
    notCreated.push({ what: 'FIFO', why: `mkfifo failed: ${(err as Error).message}` });
  }

  // --- good, including odd names and every accepted format ---
  put('good/plain.png', await noiseImage(64, 48, 'png', 20), 'accepted', '8-bit RGB PNG');
  put('good/photo.jpg', await noiseImage(300, 200, 'jpeg', 21), 'accepted', 'JPEG larger than the canvas');
  put('good/lossless.webp', await noiseImage(64, 64, 'webp', 22), 'accepted', 'WebP');
  put('good/scan.tiff', await noiseImage(64, 64, 'tiff', 23), 'accepted', 'TIFF');
  put('good/anim.gif', await noiseImage(64, 64, 'gif', 24), 'accepted', 'GIF');
  put('good/gen.avif', await noiseImage(64, 64, 'avif', 25), 'accepted', 'AVIF');
  put('good/old.bmp', encodeBmp(40, 30, noiseBytes(40 * 30 * 3, 26)), 'accepted', '24-bit BMP');
  put('good/old32.bmp', encodeBmp(40, 30, noiseBytes(40 * 30 * 3, 27), 32), 'accepted', '32-bit BMP');
  const s16 = noiseBytes(48 * 32 * 3 * 2, 28);
  put(
    'good/deep16.png',
    encodePng({ width: 48, height: 32, colorType: 2, bitDepth: 16, samples: Array.from({ length: 48 * 32 * 3 }, (_, i) => s16.readUInt16BE(2 * i)) }),
    'accepted',
    '16-bit RGB PNG',
  );
  put(
    'good/grey-alpha.png',
    encodePng({ width: 40, height: 40, colorType: 4, bitDepth: 8, samples: noiseBytes(40 * 40 * 2, 29) }),
    'accepted',
    'grey+alpha PNG',
  );
  put('good/with space.png', await noiseImage(32, 32, 'png', 30), 'accepted', 'name with spaces');
  put('good/ünïcødé 画像.png', await noiseImage(32, 32, 'png', 31), 'accepted', 'unicode name');
  put('good/new\nline.png', await noiseImage(32, 32, 'png', 32), 'accepted', 'name with a newline');
  put(
    Buffer.concat([Buffer.from('good/latin1-'), Buffer.from([0xe9, 0xff, 0xfe]), Buffer.from('.png')]),
    await noiseImage(32, 32, 'png', 33),
    'accepted',
    'non-UTF-8 name',
  );
  fs.symlinkSync('plain.png', path.join(root, 'good', 'link-to-plain.png'));
  cases.push({ name: 'good/link-to-plain.png', expect: 'accepted', what: 'symlink to a file' });

  return { root, cases, notCreated };
}

/** The relPath a case shows up under (lossy UTF-8, like ingest's relPath). */
export function caseRelPath(c: BadFileCase): string {
  return typeof c.name === 'string' ? c.name : c.name.toString('utf8');
}
