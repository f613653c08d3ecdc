// Decode one evidence buffer into canvas crops, or say precisely why it cannot be used.
// The whole image is decoded (not only the crop region) because libvips decodes PNG/JPEG lazily:
// a crop near the top of a file truncated near the bottom decodes "fine", and a damaged file must
// never pass as evidence.
import { crc32 } from 'node:zlib';
import exifr from 'exifr';
import sharp, { type Metadata, type OutputInfo, type SharpOptions } from 'sharp';
import type { Canvas, SkipReason } from '../types.js';
import { compressionOf, LOSSLESS, parseJpegKey, type CompressionKey } from './compression.js';
import { detectResampling, lumaRegion, RESAMPLING_REGION } from './resampling.js';
import { detectEarlierJpeg, JPEG_HISTORY_REGION } from './jpeg-history.js';
import type { EarlierJpegFinding, ResamplingFinding } from '../../shared/processing-history.js';
import { createRandom, shuffledIndices } from '../util/random.js';
import { sha256Hex } from './hash.js';

export interface DecodeOptions {
  canvas?: number;
  minSize?: number;
  /** Canvas tiles per image at most (cropRects); default 1, the centre. */
  maxCrops?: number;
  /**
   * SHA-256 (hex) that seeds the choice of tiles when the grid holds more than `maxCrops`; default
   * the SHA-256 of the buffer. A re-saved copy passes its original's, so it gets the same tiles.
   */
  tileSeed?: string;
  pixelLimit?: number;
}

export interface ImageInfo {
  format: string;
  width: number;
  height: number;
  channels: number;
  bitDepth: number;
  hasExif: boolean;
  crops: number;
  /** Compression history read from the file's bytes (compression.ts): 'lossless', 'jpeg-q90', … */
  compression: CompressionKey;
  /** A JPEG whose key names a chroma subsampling but whose pixels are grey (isColourless); absent otherwise. */
  colourless?: boolean;
  /**
   * Set when the pixels decoded only by tolerating damage the decoder warned about (e.g. corrupt
   * JPEG entropy data, concealed by the decoder): its first warning. Absent for a clean decode.
   */
  decodeWarning?: string;
  /** Resampling trace in the pixels (resampling.ts). */
  resampling?: ResamplingFinding;
  /** Earlier JPEG compression of a losslessly saved file (jpeg-history.ts); absent for lossy files. */
  earlierJpeg?: EarlierJpegFinding;
}

/**
 * The processing history the pixels show (whole image, or its centre up to 512 px): resampling
 * for every file, an earlier JPEG for files whose own encoding is lossless (a JPEG's own blocks
 * are no history; lossy WebP and HEIF use other block grids).
 */
export function pixelHistory(rgb: Uint8Array, width: number, height: number, compression: CompressionKey): Pick<ImageInfo, 'resampling' | 'earlierJpeg'> {
  // Both checks stay on the JavaScript thread, made cheaper instead (issue #16: 1.5-1.8× less CPU
  // per image, docs/performance.md). A worker pool would move this CPU time, not remove it: on two
  // cores φ's ONNX Runtime threads already keep both busy beside this thread, switching the checks
  // off altogether gained 1.32× at 64² (the most a worker could give), and every bundle (CLI,
  // Electron utility process, tests) would need a second entry point. Both read one luma.
  const luma = lumaRegion(rgb, width, height, RESAMPLING_REGION);
  const lossless = compression === LOSSLESS || compression === 'webp-lossless';
  return {
    resampling: detectResampling(rgb, width, height, luma),
    ...(lossless ? { earlierJpeg: detectEarlierJpeg(rgb, width, height, JPEG_HISTORY_REGION === RESAMPLING_REGION ? luma : undefined) } : {}),
  };
}

export type DecodeResult = { info: ImageInfo; crops: Canvas[] } | { skip: SkipReason; message: string };

export interface CropRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export const DEFAULT_CANVAS = 256;
export const DEFAULT_MIN_SIZE = 28;
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

/** Raster formats whose pixel grid is what a generator produced. SVG is rasterised by us, so excluded. */
const RASTER_FORMATS = new Set(['png', 'jpeg', 'webp', 'tiff', 'gif', 'heif', 'bmp']);

/**
 * Crop rectangles on the original pixel grid. One crop: the centre, clipped to the image on a small
 * side. Several (maxCrops > 1, image at least 2× the canvas both ways): cells of a centred grid of
 * canvas-sized tiles, which never overlap. The cell nearest the image centre comes first (it is the
 * exact centre crop when the grid has an odd count); a grid that also kept the exact centre crop
 * could hold no other tile between 2× and 3× the canvas. When the grid holds more cells than
 * `maxCrops`, the others are a seeded choice (`tileSeed`, the file's SHA-256: the same bytes always
 * give the same tiles, so a report can be reproduced), in row-major order after the centre cell.
 */
export function cropRects(width: number, height: number, canvas: number, maxCrops = 1, tileSeed = ''): CropRect[] {
  if (maxCrops <= 1 || width < 2 * canvas || height < 2 * canvas) {
    const cw = Math.min(width, canvas);
    const ch = Math.min(height, canvas);
    return [{ left: Math.floor((width - cw) / 2), top: Math.floor((height - ch) / 2), width: cw, height: ch }];
  }
  const nx = Math.floor(width / canvas);
  const ny = Math.floor(height / canvas);
  const ox = Math.floor((width - nx * canvas) / 2);
  const oy = Math.floor((height - ny * canvas) / 2);
  const cells: CropRect[] = [];
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) cells.push({ left: ox + i * canvas, top: oy + j * canvas, width: canvas, height: canvas });
  }
  const dist = (r: CropRect) => (r.left + canvas / 2 - width / 2) ** 2 + (r.top + canvas / 2 - height / 2) ** 2;
  let first = 0;
  for (let k = 1; k < cells.length; k++) if (dist(cells[k]) < dist(cells[first])) first = k;
  const others = cells.map((_, k) => k).filter((k) => k !== first);
  const chosen =
    others.length < maxCrops
      ? others
      : shuffledIndices(others.length, createRandom(tileSeedNumber(tileSeed)))
          .slice(0, maxCrops - 1)
          .sort((a, b) => a - b)
          .map((k) => others[k]);
  return [cells[first], ...chosen.map((k) => cells[k])];
}

/** A 32-bit seed from a hex SHA-256 (its first 8 digits); any other text is hashed first. */
function tileSeedNumber(seed: string): number {
  const hex = /^[0-9a-f]{8}/i.test(seed) ? seed : sha256Hex(Buffer.from(seed, 'utf8'));
  return Number.parseInt(hex.slice(0, 8), 16);
}

/** Interleaved RGB bytes of a full image → one planar CHW canvas in [0,1] for a rectangle. */
export function rgbToCanvas(rgb: Uint8Array, imageWidth: number, r: CropRect): Canvas {
  const plane = r.width * r.height;
  const data = new Float32Array(3 * plane);
  const inv = 1 / 255;
  for (let y = 0; y < r.height; y++) {
    let src = ((r.top + y) * imageWidth + r.left) * 3;
    let dst = y * r.width;
    for (let x = 0; x < r.width; x++, src += 3, dst++) {
      data[dst] = rgb[src] * inv;
      data[plane + dst] = rgb[src + 1] * inv;
      data[2 * plane + dst] = rgb[src + 2] * inv;
    }
  }
  return { width: r.width, height: r.height, data };
}

// ---- format sniffing and structural checks ------------------------------------------------------

/** Identify a file by its signature, independent of its name. null = no known signature. */
export function sniffFormat(buf: Buffer): string | null {
  const b = buf;
  const at = (off: number, s: string) => b.length >= off + s.length && b.toString('latin1', off, off + s.length) === s;
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return 'gif';
  if (at(0, 'II*\0') || at(0, 'MM\0*') || at(0, 'II+\0') || at(0, 'MM\0+')) return 'tiff';
  if (at(4, 'ftyp')) {
    const brand = b.toString('latin1', 8, 12);
    return /^(avif|avis|heic|heix|heim|heis|hevc|hevx|mif1|msf1)$/.test(brand) ? 'heif' : 'mp4-family';
  }
  // 'BM' alone is too weak (text can start with it): also require a known DIB header size.
  if (at(0, 'BM') && b.length >= 26 && [12, 40, 52, 56, 64, 108, 124].includes(b.readUInt32LE(14))) return 'bmp';
  if (at(0, '%PDF')) return 'pdf';
  if (at(0, '8BPS')) return 'psd';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x00000100) return 'ico';
  if (at(0, '\0\0\0\x0cjP  ') || (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51)) return 'jp2';
  if ((b[0] === 0xff && b[1] === 0x0a) || at(4, 'JXL ')) return 'jxl';
  if (/^P[1-7]\s/.test(b.toString('latin1', 0, 3))) return 'pnm';
  if (at(0, 'qoif')) return 'qoi';
  if (at(0, '\x76\x2f\x31\x01')) return 'exr';
  const head = b.toString('utf8', 0, Math.min(b.length, 1024)).trimStart().toLowerCase();
  if (head.startsWith('<svg') || ((head.startsWith('<?xml') || head.startsWith('<!doctype svg')) && head.includes('<svg'))) return 'svg';
  return null;
}

/** True when the container says more data should follow than the buffer holds. */
function structurallyTruncated(buf: Buffer, format: string | null): boolean {
  switch (format) {
    case 'png': {
      let off = 8;
      while (off + 8 <= buf.length) {
        const len = buf.readUInt32BE(off);
        const type = buf.toString('latin1', off + 4, off + 8);
        off += 12 + len;
        if (off > buf.length) return true;
        if (type === 'IEND') return false;
      }
      return true;
    }
    case 'jpeg': {
      // Walk the marker segments to the first scan, then look for the end-of-image marker after it.
      let off = 2;
      while (off + 4 <= buf.length) {
        if (buf[off] !== 0xff) return false; // not a well-formed header: call it corrupt
        const marker = buf[off + 1];
        if (marker === 0xff) {
          off++;
          continue;
        }
        const len = buf.readUInt16BE(off + 2);
        if (marker === 0xda) {
          for (let i = buf.length - 2; i > off; i--) if (buf[i] === 0xff && buf[i + 1] === 0xd9) return false;
          return true;
        }
        off += 2 + len;
      }
      return true;
    }
    case 'webp':
      return buf.length < 8 + buf.readUInt32LE(4);
    case 'gif':
      return buf[buf.length - 1] !== 0x3b;
    case 'tiff': {
      if (buf.length < 8) return true;
      const le = buf[0] === 0x49;
      const ifd = le ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
      return ifd >= buf.length;
    }
    default:
      return false;
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')[0]
    .trim();
}

function classifyError(err: unknown, buf: Buffer, sniffed: string | null): { skip: SkipReason; message: string } {
  const msg = firstLine(err);
  if (/pixel limit/i.test(msg)) return { skip: 'pixel-limit', message: `decoder refused: ${msg}` };
  if (!sniffed) {
    const head = buf.subarray(0, 8).toString('hex');
    return { skip: 'not-an-image', message: `no image signature (first bytes ${head})` };
  }
  if (!RASTER_FORMATS.has(sniffed)) return { skip: 'unsupported-format', message: unsupportedMessage(sniffed) };
  if (/not built|no decoding plugin|unsupported (codec|compression)|compression format has not been|not supported/i.test(msg)) {
    return { skip: 'unsupported-format', message: `${sniffed}: this build cannot decode it (${msg})` };
  }
  if (structurallyTruncated(buf, sniffed) || /premature end|truncat|unexpected end|end of (file|data|stream)|not enough data|short read/i.test(msg)) {
    return { skip: 'truncated', message: `${sniffed} data ends early (${buf.length} bytes): ${msg}` };
  }
  const detail = sniffed === 'png' ? pngBadCrc(buf) : null;
  return { skip: 'corrupt', message: `${sniffed} decoder rejected the data: ${detail ? `${detail}; ` : ''}${msg}` };
}

/** Name the first PNG chunk whose CRC does not match: libpng only says "read error". */
function pngBadCrc(buf: Buffer): string | null {
  let off = 8;
  while (off + 12 <= buf.length) {
    const len = buf.readUInt32BE(off);
    if (off + 12 + len > buf.length) return null;
    const type = buf.toString('latin1', off + 4, off + 8);
    if (crc32(buf.subarray(off + 4, off + 8 + len)) !== buf.readUInt32BE(off + 8 + len)) {
      return `chunk ${type} at byte ${off} has a bad CRC`;
    }
    if (type === 'IEND') return null;
    off += 12 + len;
  }
  return null;
}

// ---- BMP (sharp has no BMP loader) --------------------------------------------------------------

interface RawRgb {
  rgb: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Uncompressed 24/32-bit BMP only; anything else is reported as unsupported rather than guessed. */
export function decodeBmp(buf: Buffer, pixelLimit: number): RawRgb | { skip: SkipReason; message: string } {
  if (buf.length < 54) return { skip: 'truncated', message: `BMP header ends early (${buf.length} bytes)` };
  const dataOffset = buf.readUInt32LE(10);
  const dibSize = buf.readUInt32LE(14);
  if (dibSize < 40) return { skip: 'unsupported-format', message: `BMP with a ${dibSize}-byte OS/2 header is not supported` };
  const width = buf.readInt32LE(18);
  const rawHeight = buf.readInt32LE(22);
  const bpp = buf.readUInt16LE(28);
  const compression = buf.readUInt32LE(30);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) return { skip: 'corrupt', message: `BMP declares ${width}×${rawHeight} pixels` };
  if (width * height > pixelLimit) {
    return { skip: 'pixel-limit', message: `BMP declares ${width}×${height} pixels, above the ${pixelLimit}-pixel limit` };
  }
  const standardMasks =
    compression === 3 && buf.length >= 66 && buf.readUInt32LE(54) === 0x00ff0000 && buf.readUInt32LE(58) === 0x0000ff00 && buf.readUInt32LE(62) === 0x000000ff;
  if (!((bpp === 24 && compression === 0) || (bpp === 32 && (compression === 0 || standardMasks)))) {
    return {
      skip: 'unsupported-format',
      message: `BMP with ${bpp} bits per pixel and compression ${compression} is not supported (only uncompressed 24/32-bit)`,
    };
  }
  const bytesPerPixel = bpp / 8;
  const stride = Math.ceil((bpp * width) / 32) * 4;
  if (dataOffset + stride * height > buf.length) {
    return { skip: 'truncated', message: `BMP pixel data ends early: ${buf.length} bytes, ${dataOffset + stride * height} needed` };
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    // Positive height means rows are stored bottom-up.
    const srcRow = dataOffset + (rawHeight > 0 ? height - 1 - y : y) * stride;
    for (let x = 0; x < width; x++) {
      const s = srcRow + x * bytesPerPixel;
      const d = (y * width + x) * 3;
      rgb[d] = buf[s + 2];
      rgb[d + 1] = buf[s + 1];
      rgb[d + 2] = buf[s];
    }
  }
  return { rgb, width, height, channels: bpp === 32 ? 4 : 3 };
}

// ---- EXIF ---------------------------------------------------------------------------------------

// Baseline TIFF tags describe the pixel layout, not the capture: every TIFF has them.
const TIFF_STRUCTURE_TAGS = new Set([
  'NewSubfileType',
  'SubfileType',
  'ImageWidth',
  'ImageHeight',
  'BitsPerSample',
  'Compression',
  'PhotometricInterpretation',
  'FillOrder',
  'StripOffsets',
  'Orientation',
  'SamplesPerPixel',
  'RowsPerStrip',
  'StripByteCounts',
  'XResolution',
  'YResolution',
  'PlanarConfiguration',
  'ResolutionUnit',
  'Predictor',
  'ColorMap',
  'TileWidth',
  'TileLength',
  'TileOffsets',
  'TileByteCounts',
  'ExtraSamples',
  'SampleFormat',
  'JPEGTables',
  'YCbCrSubSampling',
  'YCbCrPositioning',
  'ReferenceBlackWhite',
  'PageNumber',
  'PageName',
]);

/**
 * The EXIF segments detectExif asks exifr for. One object for the whole process, on purpose: exifr
 * keeps the parsed form of every options object it is given in a Map keyed by that object
 * (`Options.useCached`) and never lets go, so a fresh literal per call kept ~2.5 KB per image alive
 * for the rest of the process (33 Sets per image in a heap snapshot of a 3,000-image case).
 */
const EXIF_OPTIONS = Object.freeze({
  tiff: true,
  exif: true,
  gps: true,
  ifd1: false,
  interop: false,
  ihdr: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  makerNote: false,
  userComment: false,
});

async function detectExif(buf: Buffer, format: string, sharpExif: Buffer | undefined): Promise<boolean> {
  if (sharpExif && sharpExif.length > 0) return true;
  try {
    const tags = (await exifr.parse(buf, EXIF_OPTIONS)) as Record<string, unknown> | undefined;
    if (!tags) return false;
    const keys = Object.keys(tags);
    return format === 'tiff' ? keys.some((k) => !TIFF_STRUCTURE_TAGS.has(k)) : keys.length > 0;
  } catch {
    return false; // exifr not understanding a file only means no EXIF we can show
  }
}

// ---- main entry ---------------------------------------------------------------------------------

const DEPTH_BITS: Record<string, number> = { uchar: 8, char: 8, ushort: 16, short: 16 };

/**
 * Decode `buf` (the exact bytes that were hashed) into canvas crops. Never throws for bad input:
 * every failure becomes a skip reason with a message an examiner can read.
 */
export async function decodeImageBuffer(buf: Buffer, opts: DecodeOptions = {}): Promise<DecodeResult> {
  const canvas = opts.canvas ?? DEFAULT_CANVAS;
  const minSize = opts.minSize ?? DEFAULT_MIN_SIZE;
  const maxCrops = Math.max(1, opts.maxCrops ?? 1);
  const pixelLimit = opts.pixelLimit ?? DEFAULT_PIXEL_LIMIT;
  // Hashing is only needed where a seeded choice of tiles can happen.
  const tileSeed = () => (maxCrops > 1 ? (opts.tileSeed ?? sha256Hex(buf)) : '');
  if (buf.length === 0) return { skip: 'empty-file', message: 'file is empty (0 bytes)' };

  const sniffed = sniffFormat(buf);
  if (sniffed === 'bmp') {
    const bmp = decodeBmp(buf, pixelLimit);
    if ('skip' in bmp) return bmp;
    const tooSmall = checkSize(bmp.width, bmp.height, minSize);
    if (tooSmall) return tooSmall;
    const rects = cropRects(bmp.width, bmp.height, canvas, maxCrops, tileSeed());
    return {
      info: {
        format: 'bmp',
        width: bmp.width,
        height: bmp.height,
        channels: bmp.channels,
        bitDepth: 8,
        hasExif: false,
        crops: rects.length,
        compression: LOSSLESS,
        ...pixelHistory(bmp.rgb, bmp.width, bmp.height, LOSSLESS),
      },
      crops: rects.map((r) => rgbToCanvas(bmp.rgb, bmp.width, r)),
    };
  }
  // Vector and document formats are refused even where sharp could rasterise them.
  if (sniffed === 'svg' || sniffed === 'pdf' || sniffed === 'mp4-family') {
    return { skip: 'unsupported-format', message: unsupportedMessage(sniffed) };
  }

  // failOn 'error' (tested): catches truncated PNG/JPEG/GIF and bad PNG CRCs; 'warning' would also
  // reject benign quirks such as slightly-off ICC profiles. ignoreIcc: analyse stored code values,
  // not a colour-managed conversion of them. pages 1: first frame of GIF/WebP/TIFF.
  const sharpOpts: SharpOptions = {
    failOn: 'error',
    limitInputPixels: pixelLimit,
    animated: false,
    pages: 1,
    ignoreIcc: true,
    sequentialRead: true,
  };
  let meta: Metadata;
  try {
    // Header only; the limit is checked below so that the message can name the declared size.
    meta = await sharp(buf, { ...sharpOpts, limitInputPixels: false }).metadata();
  } catch (err) {
    return classifyError(err, buf, sniffed);
  }
  const format = meta.format as string;
  if (!RASTER_FORMATS.has(format)) return { skip: 'unsupported-format', message: unsupportedMessage(format) };
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width * height > pixelLimit) {
    return { skip: 'pixel-limit', message: `declares ${width}×${height} pixels, above the ${pixelLimit}-pixel limit (decompression bomb guard)` };
  }
  const tooSmall = checkSize(width, height, minSize);
  if (tooSmall) return tooSmall;
  const bitDepth = DEPTH_BITS[meta.depth ?? ''];
  if (!bitDepth) return { skip: 'unsupported-format', message: `${format} with ${meta.depth} samples is not supported (8 or 16 bit only)` };

  // removeAlpha drops the channel (no flattening); toColourspace('srgb') expands grey to RGB and
  // maps 16-bit to 8-bit (v >> 8), never touching the pixel grid.
  const decodeRaw = (options: SharpOptions) =>
    sharp(buf, options).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  let raw: { data: Buffer; info: OutputInfo };
  let decodeWarning: string | undefined;
  try {
    // Strict first: a file the decoder has any warning about fails here. sharp's 'warning' events
    // cannot tell files apart (libvips queues warnings process-wide, and two files decode at once),
    // so the failure of this file's own strict decode is what marks it.
    raw = await decodeRaw({ ...sharpOpts, failOn: 'warning' });
  } catch (strictErr) {
    try {
      raw = await decodeRaw(sharpOpts);
    } catch (err) {
      return classifyError(err, buf, sniffed ?? format);
    }
    decodeWarning = warningText(strictErr);
  }
  const { info } = raw;
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    return { skip: 'corrupt', message: `decoded to ${info.width}×${info.height}×${info.channels}, header said ${width}×${height}` };
  }
  const rects = cropRects(width, height, canvas, maxCrops, tileSeed());
  const crops = rects.map((r) => rgbToCanvas(raw.data, width, r));
  const hasExif = await detectExif(buf, format, meta.exif);
  const compression = compressionOf(buf, format);
  // Only where the key names a subsampling: that is the one decision the flag changes.
  const colourless = (parseJpegKey(compression)?.chroma ?? '') !== '' && isColourless(raw.data);
  return {
    info: {
      format,
      width,
      height,
      channels: meta.channels ?? 3,
      bitDepth,
      hasExif,
      crops: rects.length,
      compression,
      ...(colourless ? { colourless } : {}),
      ...(decodeWarning ? { decodeWarning } : {}),
      ...pixelHistory(raw.data, width, height, compression),
    },
    crops,
  };
}

/** Whether interleaved RGB pixels are grey: R, G and B within 1 of each other in every pixel (JPEG's colour conversion rounds). */
export function isColourless(rgb: Uint8Array): boolean {
  for (let i = 0; i + 2 < rgb.length; i += 3) {
    const r = rgb[i];
    const g = rgb[i + 1];
    const b = rgb[i + 2];
    if (Math.abs(r - g) > 1 || Math.abs(g - b) > 1 || Math.abs(r - b) > 1) return false;
  }
  return true;
}

/**
 * The decoder's own complaint from a strict decode that failed. sharp prefixes "Warning treated as
 * error" and may append libvips' tile errors and warnings queued by other decodes; the first line
 * naming the damage is kept.
 */
function warningText(err: unknown): string {
  const lines = String((err as Error)?.message ?? err)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Warning treated as error|^error in tile|^read gave \d+ warnings?/i.test(l));
  return lines[0] ?? 'the decoder reported a warning';
}

function checkSize(width: number, height: number, minSize: number): { skip: SkipReason; message: string } | null {
  if (width < minSize || height < minSize) {
    return { skip: 'too-small', message: `${width}×${height} is smaller than the ${minSize}×${minSize} minimum` };
  }
  return null;
}

function unsupportedMessage(format: string): string {
  switch (format) {
    case 'svg':
      return 'SVG is vector graphics: it has no generator pixel grid to analyse';
    case 'pdf':
      return 'PDF documents are not analysed; export the embedded images first';
    case 'mp4-family':
      return 'ISO media file that is not AVIF/HEIF (e.g. video); not analysed';
    default:
      return `${format} images are not supported; convert losslessly to PNG first`;
  }
}
