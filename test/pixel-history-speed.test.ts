// The processing-history checks were made cheaper (issue #16, docs/performance.md); what they find
// must not change. The code before the change is kept verbatim in test/fixtures/pixel-history-before/,
// and both run here on the same pixels: resampled 1.5× and 0.75×, JPEG q75 / q90 saved as PNG (also
// cropped after the JPEG, so the grid is not at 0), clean generator images and noise, at sizes
// below, at and above the 512-px region.
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectResampling } from '../src/engine/ingest/resampling.js';
import { detectEarlierJpeg, earlierJpegDetail } from '../src/engine/ingest/jpeg-history.js';
import { decodeImageBuffer, pixelHistory } from '../src/engine/ingest/decode.js';
import { listDemoGenerators, renderGeneratorSample } from '../src/engine/demo/index.js';
import { detectResampling as resamplingBefore } from './fixtures/pixel-history-before/resampling.js';
import { detectEarlierJpeg as earlierJpegBefore, earlierJpegDetail as detailBefore } from './fixtures/pixel-history-before/jpeg-history.js';

interface Pixels {
  name: string;
  rgb: Uint8Array;
  width: number;
  height: number;
}

async function raw(input: Sharp, name: string): Promise<Pixels> {
  const { data, info } = await input.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { name, rgb: new Uint8Array(data), width: info.width, height: info.height };
}

function fromRgb(rgb: Uint8Array, width: number, height: number): Sharp {
  return sharp(rgb, { raw: { width, height, channels: 3 } });
}

function noise(width: number, height: number, seed: number): Uint8Array {
  const a = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = s >>> 24;
  }
  return a;
}

async function cases(): Promise<Pixels[]> {
  const out: Pixels[] = [];
  const generators = listDemoGenerators().map((g) => g.name);
  for (const [gi, size] of [
    [0, 64],
    [1, 96],
    [2, 256],
  ] as const) {
    const g = generators[gi % generators.length];
    const clean = renderGeneratorSample(g, gi, size);
    out.push({ name: `${g} ${size}² clean`, rgb: clean, width: size, height: size });
    const png = await fromRgb(clean, size, size).png().toBuffer();
    out.push(await raw(sharp(png).resize(Math.round(size * 1.5), Math.round(size * 1.5)), `${g} ${size}² ×1.5`));
    out.push(await raw(sharp(png).resize(Math.round(size * 0.75), Math.round(size * 0.75)), `${g} ${size}² ×0.75`));
    for (const quality of [75, 90]) {
      const jpeg = await fromRgb(clean, size, size).jpeg({ quality }).toBuffer();
      out.push(await raw(sharp(jpeg), `${g} ${size}² JPEG q${quality} as pixels`));
      // Cropped by 3 and 5 px after the JPEG: the grid then starts at (5, 3).
      out.push(await raw(sharp(jpeg).extract({ left: 3, top: 5, width: size - 7, height: size - 6 }), `${g} ${size}² JPEG q${quality}, cropped`));
    }
  }
  // A large image: the 512-px centred region, and the strided block sampling of the fit.
  const big = renderGeneratorSample(generators[3 % generators.length], 3, 256);
  const bigPng = await fromRgb(big, 256, 256).png().toBuffer();
  out.push(await raw(sharp(bigPng).resize(768, 700), 'large, enlarged ×3 / ×2.73'));
  out.push(await raw(sharp(await sharp(bigPng).resize(700, 640).jpeg({ quality: 75 }).toBuffer()), 'large JPEG q75 as pixels'));
  for (const [w, h] of [
    [64, 64],
    [77, 130],
    [256, 256],
    [600, 520],
  ] as const) {
    out.push({ name: `noise ${w}×${h}`, rgb: noise(w, h, w * 31 + h), width: w, height: h });
  }
  out.push({ name: 'noise 50×50 (under the minimum)', rgb: noise(50, 50, 7), width: 50, height: 50 });
  return out;
}

describe('the faster processing-history checks give the results of the code before them', () => {
  it('resampling, earlier JPEG and its measurement detail: equal on every generated image', async () => {
    const all = await cases();
    let resampled = 0;
    let jpegs = 0;
    for (const c of all) {
      const r = detectResampling(c.rgb, c.width, c.height);
      expect(r, c.name).toEqual(resamplingBefore(c.rgb, c.width, c.height));
      const j = detectEarlierJpeg(c.rgb, c.width, c.height);
      expect(j, c.name).toEqual(earlierJpegBefore(c.rgb, c.width, c.height));
      expect(earlierJpegDetail(c.rgb, c.width, c.height), c.name).toEqual(detailBefore(c.rgb, c.width, c.height));
      if (r.detected) resampled++;
      if (j.suspected) jpegs++;
    }
    // The cases exercise both detections, not only their "nothing found" paths.
    expect(resampled).toBeGreaterThanOrEqual(3);
    expect(jpegs).toBeGreaterThanOrEqual(6);
  }, 120_000);

  it('decode: pixelHistory, which shares one luma between the checks, gives what the two did apart', async () => {
    const rgb = renderGeneratorSample(listDemoGenerators()[0].name, 5, 128);
    const jpeg = await fromRgb(rgb, 128, 128).jpeg({ quality: 75 }).toBuffer();
    const png = await sharp(jpeg).png().toBuffer();
    const decoded = await decodeImageBuffer(png);
    if ('skip' in decoded) throw new Error(decoded.message);
    const pixels = await raw(sharp(png), 'q75 as PNG');
    expect(decoded.info.earlierJpeg?.suspected).toBe(true);
    expect({ resampling: decoded.info.resampling, earlierJpeg: decoded.info.earlierJpeg }).toEqual({
      resampling: resamplingBefore(pixels.rgb, 128, 128),
      earlierJpeg: earlierJpegBefore(pixels.rgb, 128, 128),
    });
    // A lossy file gets no earlier-JPEG check, as before.
    expect(pixelHistory(pixels.rgb, 128, 128, 'jpeg-q75')).toEqual({ resampling: resamplingBefore(pixels.rgb, 128, 128) });
  });
});
