// The quality a lossy WebP was saved at, read from its VP8 frame header. A WebP file does not
// record the encoder's quality setting, but its first partition states the quantiser index of each
// of up to four segments (RFC 6386 §9.3, §9.6), and libwebp (the encoder behind cwebp, libvips,
// sharp, Chrome and most other software) derives those indices from the quality by a fixed formula
// (src/enc/quant_enc.c, VP8SetSegmentParams):
//
//   c_base = QualityToCompression(quality / 100)          (a piecewise-linear map, then a cube root)
//   q_i    = trunc(127 · (1 − c_base ^ (1 − amp · alpha_i)))
//
// where alpha_i ∈ [−127, 127] is the segment's texture measure and amp = 0.9 · sns_strength / 100 / 128
// (spatial noise shaping; libwebp's default strength is 50). libwebp maps the segments' texture
// centres so that one extreme segment sits exactly at alpha = −127 or +127 (SetSegmentAlphas clips the
// farther one), so every quality for which the indices fit that rule is a candidate, and the true one
// is always among them. The candidates form at most two runs; the estimate is the highest candidate
// (scripts/measure-webp-quality.ts, 4,680 sharp encodes of 468 corpus images at qualities 30–95: the
// quality given was among the candidates every time, the highest candidate exact for 70 %, at most 3
// too high for 90 %, at most 20; docs/robustness.md, "WebP quality"). A file with one segment
// gives its quality to a step. Files from an encoder with other settings (another SNS strength, a
// preset, emulate_jpeg_size) mostly fit no quality and get no estimate, as JPEGs with non-standard
// tables do; some still fit one and get a wrong estimate (sharp's 'drawing' preset, SNS 25: 78 for
// 75), which is why verdicts say libwebp's defaults were assumed.
//
// Hand-written rather than a library: only the frame header's first ~20 bytes are read, through
// VP8's boolean entropy decoder (RFC 6386 §7.3, a dozen lines); no maintained npm package parses
// VP8 headers without decoding the image, and sharp/libvips do not expose the quantiser.

/** The quantiser indices a VP8 key frame's header states. */
export interface Vp8Quantisers {
  /** The frame's base luma AC quantiser index (0–127). */
  base: number;
  /** Absolute per-segment indices (0–127) where segmentation with absolute values is on, else null. */
  segments: number[] | null;
}

/**
 * The first chunk of a WebP file (RIFF, from byte 12) whose type is one of `types`, with its payload
 * (cut at the end of the buffer), or null. Chunks are padded to an even length.
 */
export function findWebpChunk(buf: Buffer, types: readonly string[]): { type: string; payload: Buffer } | null {
  let p = 12;
  while (p + 8 <= buf.length) {
    const type = buf.toString('latin1', p, p + 4);
    const size = buf.readUInt32LE(p + 4);
    if (types.includes(type)) return { type, payload: buf.subarray(p + 8, Math.min(buf.length, p + 8 + size)) };
    p += 8 + size + (size & 1);
  }
  return null;
}

/** The 'VP8 ' chunk's payload of a WebP file, or null (lossless, animated, damaged). */
function vp8Payload(buf: Buffer): Buffer | null {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WEBP') return null;
  // An animation frame ('ANMF') or lossless data ('VP8L') first: not a still lossy image.
  const chunk = findWebpChunk(buf, ['VP8 ', 'VP8L', 'ANMF']);
  return chunk?.type === 'VP8 ' ? chunk.payload : null;
}

/**
 * Reads the quantiser indices from a lossy WebP's frame header, or null where there is no key frame
 * header to read. Tolerant of damage: bytes past the end read as zeros, and a header that runs out
 * gives what the decoder read (the image itself failing to decode is what marks such a file).
 */
export function readVp8Quantisers(buf: Buffer): Vp8Quantisers | null {
  const data = vp8Payload(buf);
  // Frame tag (3 bytes; bit 0 clear on key frames), start code 9d 01 2a, width and height (2 bytes each).
  if (!data || data.length < 12 || (data[0] & 1) !== 0 || data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a) return null;
  let pos = 10;
  const byte = () => (pos < data.length ? data[pos++] : 0);
  let value = (byte() << 8) | byte();
  let range = 255;
  let bitCount = 0;
  // RFC 6386 §7.3: one boolean at probability prob/256.
  const bool = (prob: number): number => {
    const split = 1 + (((range - 1) * prob) >> 8);
    const bigSplit = split << 8;
    let bit: number;
    if (value >= bigSplit) {
      bit = 1;
      range -= split;
      value -= bigSplit;
    } else {
      bit = 0;
      range = split;
    }
    while (range < 128) {
      value <<= 1;
      range <<= 1;
      if (++bitCount === 8) {
        bitCount = 0;
        value |= byte();
      }
    }
    return bit;
  };
  const literal = (n: number): number => {
    let v = 0;
    while (n-- > 0) v = (v << 1) | bool(128);
    return v;
  };
  const signed = (n: number): number => {
    const v = literal(n);
    return bool(128) ? -v : v;
  };
  const optionalSigned = (n: number): number => (literal(1) ? signed(n) : 0);

  literal(2); // colour space, clamping type
  let segments: number[] | null = null;
  if (literal(1)) {
    // update_segmentation (§9.3)
    const updateMap = literal(1);
    const updateData = literal(1);
    if (updateData) {
      const absolute = literal(1) === 1;
      const quant = [0, 1, 2, 3].map(() => optionalSigned(7));
      for (let i = 0; i < 4; i++) optionalSigned(6); // loop filter levels
      if (absolute) segments = quant;
    }
    if (updateMap) for (let i = 0; i < 3; i++) if (literal(1)) literal(8);
  }
  literal(1 + 6 + 3); // filter type, loop filter level, sharpness
  if (literal(1) && literal(1)) for (let i = 0; i < 8; i++) optionalSigned(6); // mode/ref loop filter deltas
  literal(2); // number of DCT partitions
  const base = literal(7);
  return { base, segments: segments && segments.every((q) => q >= 0 && q <= 127) ? segments : null };
}

/** libwebp's default spatial-noise-shaping strength (config.sns_strength), and its scale (SNS_TO_DQ). */
const SNS_STRENGTH = 50;
const SNS_TO_DQ = 0.9;
const AMP = (SNS_TO_DQ * SNS_STRENGTH) / 100 / 128;

/** libwebp's QualityToCompression: quality 0–100 → the base compressibility c_base. */
function compressionOfQuality(quality: number): number {
  const c = quality / 100;
  const linear = c < 0.75 ? (c * 2) / 3 : 2 * c - 1;
  return Math.pow(linear, 1 / 3);
}

/** The quantiser index libwebp gives a segment of texture `alpha` at `quality`. */
function segmentIndex(quality: number, alpha: number): number {
  return Math.min(127, Math.max(0, Math.trunc(127 * (1 - Math.pow(compressionOfQuality(quality), 1 - AMP * alpha)))));
}

/** What the quantisers say about the quality setting. */
export interface WebpQualityEstimate {
  /** The highest quality the indices fit (integer qualities 1–100, libwebp's defaults assumed). */
  quality: number;
  /** Every quality the indices fit, ascending: the setting used is one of them. */
  candidates: number[];
}

/**
 * The integer qualities (1–100) libwebp with its default settings would have given these quantiser
 * indices, and the highest of them; null when none fits (another encoder or other settings).
 */
export function estimateWebpQuality(q: Vp8Quantisers): WebpQualityEstimate | null {
  const candidates: number[] = [];
  if (q.segments) {
    const lo = Math.min(...q.segments);
    const hi = Math.max(...q.segments);
    for (let quality = 1; quality <= 100; quality++) {
      const finest = segmentIndex(quality, 127);
      const coarsest = segmentIndex(quality, -127);
      if (lo >= finest && hi <= coarsest && (lo === finest || hi === coarsest)) candidates.push(quality);
    }
  } else {
    for (let quality = 1; quality <= 100; quality++) if (segmentIndex(quality, 0) === q.base) candidates.push(quality);
  }
  return candidates.length > 0 ? { quality: candidates[candidates.length - 1], candidates } : null;
}
