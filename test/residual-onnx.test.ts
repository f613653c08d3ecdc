// The ONNX residual graph (src/engine/residual/wavelet-onnx.ts) against the JavaScript reference
// (denoise.ts): the same residuals within float32 rounding, on synthetic pictures, on the demo
// generators' images and, where the public corpus is present, on real corpus images decoded by the
// product's own ingest.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeResidual, corr, type DenoiseOptions } from '../src/engine/residual/index.js';
import { residualEngine, residualModel } from '../src/engine/residual/wavelet-onnx.js';
import { createSession, ort } from '../src/engine/backend/onnx.js';
import { encodeModel, FLOAT, GraphBuilder, INT64 } from '../src/engine/backend/onnx-graph.js';
import { ingestFiles } from '../src/engine/ingest/index.js';
import { listDemoGenerators, renderGeneratorSample } from '../src/engine/demo/index.js';
import { createRandom, gaussian } from '../src/engine/util/random.js';
import type { Canvas } from '../src/engine/types.js';

/**
 * Stated tolerance: the graph computes in float32, the reference in float64. On [0,1] pixels the
 * residuals (rms ≈ 1e-2) agree to a few 1e-7; 1e-5 absolute leaves room for other CPUs' kernels
 * while still failing on any real difference (a wrong filter tap or window moves them by 1e-3).
 */
const MAX_ABS = 1e-5;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function rms(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s / a.length);
}

function noisyPicture(width: number, height: number, seed: number): Canvas {
  const rand = createRandom(seed);
  const data = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const v = 0.5 + 0.3 * Math.sin(x / 7 + c) * Math.cos(y / 11) + (x > width / 2 ? 0.1 : 0) + 0.02 * gaussian(rand);
        data[c * width * height + y * width + x] = Math.min(1, Math.max(0, v));
      }
  return { width, height, data };
}

function demoPicture(size: number, gen: number, index: number): Canvas {
  const g = listDemoGenerators()[gen];
  const rgb = renderGeneratorSample(g.name, index, size);
  const data = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) for (let i = 0; i < size * size; i++) data[c * size * size + i] = rgb[3 * i + c] / 255;
  return { width: size, height: size, data };
}

async function expectAgreement(canvases: Canvas[], opts: DenoiseOptions = {}): Promise<number> {
  const engine = await residualEngine({ threads: 1, denoise: opts });
  const got = await engine.residuals(canvases);
  let worst = 0;
  canvases.forEach((c, i) => {
    const ref = computeResidual(c, opts);
    expect(got[i].width).toBe(c.width);
    expect(got[i].height).toBe(c.height);
    worst = Math.max(worst, maxAbsDiff(got[i].data, ref.data));
    // With σ₀ = 0 the transform is exact and both residuals are rounding noise: nothing to correlate.
    if (rms(ref.data) > 1e-4) expect(corr(got[i], ref)).toBeGreaterThan(0.99999);
  });
  expect(worst).toBeLessThan(MAX_ABS);
  return worst;
}

describe('ONNX residual graph', () => {
  it('matches the JavaScript denoiser on pictures of many sizes, batched and mixed', async () => {
    const sizes: [number, number][] = [
      [28, 28],
      [31, 45],
      [64, 64],
      [100, 73],
      [256, 256],
      [256, 200],
      [17, 300],
    ];
    const canvases = sizes.flatMap(([w, h], i) => [noisyPicture(w, h, i), noisyPicture(w, h, 100 + i)]);
    // Interleaved sizes: the engine groups by size and must put every result back in place.
    canvases.sort((a, b) => (a.data[5] < b.data[5] ? -1 : 1));
    await expectAgreement(canvases);
  });

  it('matches it with other settings too (σ₀ = 0, one window, two levels)', async () => {
    const pics = [noisyPicture(64, 48, 7), noisyPicture(96, 96, 8)];
    await expectAgreement(pics, { sigma0: 0 });
    await expectAgreement(pics, { windows: [5] });
    await expectAgreement(pics, { levels: 2, sigma0: 5 / 255 });
  });

  it("matches it on the demo generators' images (64² and 256²)", async () => {
    const pics = [demoPicture(64, 0, 1), demoPicture(64, 3, 2), demoPicture(256, 1, 3), demoPicture(256, 4, 4)];
    await expectAgreement(pics);
  });

  const corpus = path.resolve(__dirname, '..', '..', 'shared', 'corpus');
  it.skipIf(!existsSync(corpus))('matches it on real corpus images decoded by the product ingest', async () => {
    // One file from each of a few domains of different sizes (28² grey to 256² colour and larger).
    const files: string[] = [];
    for (const domain of ['mnist28', 'cifar32', 'celeba64', 'celeba128', 'flowers', 't2i']) {
      const d = path.join(corpus, domain);
      if (!existsSync(d)) continue;
      const gen = readdirSync(d).sort()[0];
      const f = readdirSync(path.join(d, gen))
        .filter((n) => n.endsWith('.png'))
        .sort()[0];
      if (f) files.push(path.join(d, gen, f));
    }
    expect(files.length).toBeGreaterThan(2);
    const canvases: Canvas[] = [];
    for await (const ev of ingestFiles(corpus, files, { canvas: 256 })) if (ev.kind === 'image') canvases.push(...ev.image.crops);
    expect(canvases.length).toBe(files.length);
    await expectAgreement(canvases);
  });

  it('rejects a canvas whose data does not match its size', async () => {
    const engine = await residualEngine({ threads: 1 });
    await expect(engine.residuals([{ width: 40, height: 40, data: new Float32Array(10) }])).rejects.toThrow(/does not match/);
  });

  it('builds one graph per level count that ONNX Runtime accepts', async () => {
    for (const levels of [0, 1, 4]) {
      const { session } = await createSession(residualModel(levels), ['cpu'], 1, { graphOptimizationLevel: 'extended' });
      expect(session.inputNames).toEqual(['images', 'pad_index', 'crop_starts', 'crop_ends']);
      expect(session.outputNames).toEqual(['residuals']);
      await session.release();
    }
  });
});

describe('ONNX graph writer', () => {
  it('encodes a small graph (initializers, int and float attributes, negative indices) that runs as written', async () => {
    const g = new GraphBuilder();
    // y = Slice(x, −2, end) · 3 + c, and Transpose with a perm attribute.
    const tail = g.op('Slice', ['x', g.ints([-2]), g.ints([1 << 30]), g.ints([1])]);
    const scaled = g.op('Mul', [tail, g.constant(FLOAT, [], [3])]);
    const shifted = g.op('Add', [scaled, g.constant(FLOAT, [1, 2], [0.5, -1.25])]);
    g.nodes.push({ op: 'Transpose', inputs: [shifted], outputs: ['y'], attributes: { perm: [1, 0] } });
    const model = encodeModel({
      name: 'writer-test',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: 'x', type: FLOAT, shape: [1, 'W'] }],
      outputs: [{ name: 'y', type: FLOAT, shape: [2, 1] }],
    });
    const { session } = await createSession(model, ['cpu'], 1);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]) });
    expect(out.y.dims).toEqual([2, 1]);
    expect(Array.from(out.y.data as Float32Array)).toEqual([9.5, 10.75]);
    expect(INT64).toBe(7);
    await session.release();
  });
});
