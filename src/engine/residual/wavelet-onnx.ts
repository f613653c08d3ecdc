// The wavelet Wiener denoiser of denoise.ts as an ONNX graph, so that ONNX Runtime computes the
// noise residuals: off the JavaScript thread, multi-threaded, with SIMD kernels, batched over images
// of one size, and on the same execution provider as φ where a GPU is used.
//
// The graph is built in code from the same constants as the JavaScript implementation (filters H
// and G, σ₀, window sizes, levels, mirrored padding) and does the same arithmetic in float32:
//   mirror-pad (Gather with the index maps of denoise.ts)
//   per level: periodic analysis of rows then columns (wrap-extend by 7, 8-tap Conv, stride 2),
//              Wiener shrinkage of the three detail subbands (local variance = clipped box means of
//              c², separable AveragePool without padding counted, min over the windows)
//   per level, coarsest first: synthesis of columns then rows (3 periodic samples in front, 4-tap
//              polyphase Conv, interleave)
//   crop, residual x − D(x), per-channel zero mean.
// denoise.ts stays the reference (float64): test/residual.test.ts checks that both agree.
import { createSession, ort, providerCandidates, type ProviderPreference } from '../backend/onnx.js';
import { encodeModel, FLOAT, GraphBuilder } from '../backend/onnx-graph.js';
import type { Canvas } from '../types.js';
import { DEFAULT_SIGMA0, DEFAULT_WINDOWS, G, H, mirrorIndex, planeGeometry, waveletLevels, type DenoiseOptions } from './denoise.js';

/** Identifies the residual computation in caches: bump when its arithmetic changes. */
export const RESIDUAL_VERSION = 'wavelet-wiener-db4/1';

const BIG = 1 << 30;

/** The ONNX model computing residuals of [N,3,H,W] images with `levels` decomposition levels. */
export function residualModel(levels: number, sigma0 = DEFAULT_SIGMA0, windows: readonly number[] = DEFAULT_WINDOWS): Uint8Array {
  if (windows.length === 0) throw new RangeError('denoise: at least one window size is needed');
  const g = new GraphBuilder();
  const noiseVar = sigma0 * sigma0;
  const taps = H.length;
  const analysisRow = g.constant(FLOAT, [2, 1, 1, taps], [...H, ...G]);
  const analysisCol = g.constant(FLOAT, [2, 1, taps, 1], [...H, ...G]);
  // Synthesis: even[m] = Σ_j H[2j]·a[m−j] + G[2j]·d[m−j] (odd: 2j+1), j = 0..3, over a and d with three
  // periodic samples in front, so tap t of the correlation reads sample m + t − 3 (j = 3 − t).
  const synth: number[] = [];
  for (const parity of [0, 1]) for (const filter of [H, G]) for (let t = 0; t < 4; t++) synth.push(filter[2 * (3 - t) + parity]);
  const synthesisCol = g.constant(FLOAT, [2, 2, 4, 1], synth);
  const synthesisRow = g.constant(FLOAT, [2, 2, 1, 4], synth);
  const wrapEnd = (x: string, axis: number, n: number) => g.op('Concat', [x, g.op('Slice', [x, g.ints([0]), g.ints([n]), g.ints([axis])])], { axis });
  const wrapFront = (x: string, axis: number, n: number) => g.op('Concat', [g.op('Slice', [x, g.ints([-n]), g.ints([BIG]), g.ints([axis])]), x], { axis });
  const reshape = (x: string, shape: number[]) => g.op('Reshape', [x, g.ints(shape)]);

  // One Gather with the 2-D index map of the padded plane into each flattened image channel.
  const padded = g.op('Gather', [reshape('images', [0, 0, -1]), 'pad_index'], { axis: 2 }); // [N, 3, ph, pw]
  let cur = reshape(padded, [-1, 1, 0, 0]); // one plane per image channel: [B, 1, ph, pw]
  const details: string[] = [];
  for (let l = 0; l < levels; l++) {
    const rows = g.op('Conv', [wrapEnd(cur, 3, taps - 1), analysisRow], { strides: [1, 2] }); // [B, 2, h, w/2]
    const cols = g.op('Conv', [wrapEnd(reshape(rows, [-1, 1, 0, 0]), 2, taps - 1), analysisCol], { strides: [2, 1] });
    const bands = reshape(cols, [-1, 4, 0, 0]); // [B, 4, h/2, w/2]: (row L, col L), (L, H), (H, L), (H, H)
    cur = g.op('Slice', [bands, g.ints([0]), g.ints([1]), g.ints([1])]);
    const detail = g.op('Slice', [bands, g.ints([1]), g.ints([4]), g.ints([1])]);
    details.push(noiseVar > 0 ? shrink(g, detail, noiseVar, windows) : detail);
  }
  for (let l = levels - 1; l >= 0; l--) {
    const bands = reshape(g.op('Concat', [cur, details[l]], { axis: 1 }), [-1, 2, 0, 0]); // [B·2, (L, H), h, w]
    const colsOut = g.op('Conv', [wrapFront(bands, 2, 3), synthesisCol]); // [B·2, (even, odd) rows, h, w]
    const colsMerged = reshape(g.op('Transpose', [colsOut], { perm: [0, 2, 1, 3] }), [0, 1, -1, 0]); // [B·2, 1, 2h, w]
    const rowBands = reshape(colsMerged, [-1, 2, 0, 0]); // [B, (L, H), 2h, w]
    const rowsOut = g.op('Conv', [wrapFront(rowBands, 3, 3), synthesisRow]); // [B, (even, odd) cols, 2h, w]
    const merged = reshape(g.op('Transpose', [rowsOut], { perm: [0, 2, 3, 1] }), [0, 0, -1]); // [B, 2h, 2w]
    cur = g.op('Unsqueeze', [merged, g.ints([1])]);
  }
  const denoised = g.op('Slice', [g.op('Reshape', [cur, g.op('Shape', [padded])]), 'crop_starts', 'crop_ends', g.ints([2, 3])]);
  const residual = g.op('Sub', ['images', denoised]);
  g.nodes.push({ op: 'Sub', inputs: [residual, g.op('ReduceMean', [residual], { axes: [2, 3], keepdims: 1 })], outputs: ['residuals'] });
  return encodeModel({
    name: `wavelet-wiener-residual-l${levels}`,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [
      { name: 'images', type: FLOAT, shape: ['N', 3, 'H', 'W'] },
      { name: 'pad_index', type: 7, shape: ['PH', 'PW'] },
      { name: 'crop_starts', type: 7, shape: [2] },
      { name: 'crop_ends', type: 7, shape: [2] },
    ],
    outputs: [{ name: 'residuals', type: FLOAT, shape: ['N', 3, 'H', 'W'] }],
  });
}

/**
 * c ← c·σ̂²/(σ̂² + σ₀²), σ̂² = max(0, min over windows of the local mean of c² − σ₀²), the window
 * clipped at the subband's border (AveragePool without counting the padding). One 2-D pool per
 * window measured faster in ONNX Runtime than two 1-D passes, despite more additions.
 */
function shrink(g: GraphBuilder, detail: string, noiseVar: number, windows: readonly number[]): string {
  const energy = g.op('Mul', [detail, detail]);
  const means = windows.map((side) => {
    const r = Math.floor(side / 2);
    const k = 2 * r + 1;
    return g.op('AveragePool', [energy], { kernel_shape: [k, k], pads: [r, r, r, r], count_include_pad: { int: 0 } });
  });
  const local = means.length === 1 ? means[0] : g.op('Min', means);
  const nv = g.constant(FLOAT, [], [noiseVar]);
  const signal = g.op('Relu', [g.op('Sub', [local, nv])]);
  return g.op('Mul', [detail, g.op('Div', [signal, g.op('Add', [signal, nv])])]);
}

const padIndexes = new Map<string, BigInt64Array>();

/** Where each sample of the padded plane comes from in the flattened image (half-sample mirror). */
function padIndexFor(width: number, height: number, pw: number, ph: number, left: number, top: number): BigInt64Array {
  const key = `${width}x${height}x${pw}x${ph}`;
  let idx = padIndexes.get(key);
  if (!idx) {
    idx = new BigInt64Array(pw * ph);
    for (let y = 0; y < ph; y++) {
      const row = mirrorIndex(y - top, height) * width;
      for (let x = 0; x < pw; x++) idx[y * pw + x] = BigInt(row + mirrorIndex(x - left, width));
    }
    if (padIndexes.size >= 8) padIndexes.delete(padIndexes.keys().next().value!);
    padIndexes.set(key, idx);
  }
  return idx;
}

export interface ResidualEngine {
  /** The execution provider the residual graph runs on. */
  readonly provider: string;
  /** r = x − D(x), zero-mean per channel, for each canvas (same results as computeResidual). */
  residuals(canvases: Canvas[]): Promise<Canvas[]>;
}

/** Pixels per ONNX run: the graph holds ~a dozen planes of the padded image per image at once. */
const MAX_BATCH_PIXELS = 8 * 256 * 256;

const engines = new Map<string, Promise<ResidualEngine>>();

/** The shared residual engine for these settings (sessions are created on first use per level count). */
export function residualEngine(opts: { provider?: ProviderPreference; threads?: number; denoise?: DenoiseOptions } = {}): Promise<ResidualEngine> {
  const threads = Math.max(1, opts.threads ?? 2);
  const d = opts.denoise ?? {};
  const key = JSON.stringify([opts.provider ?? 'auto', threads, d.sigma0 ?? null, d.windows ?? null, d.levels ?? null]);
  let p = engines.get(key);
  if (!p) {
    p = openResidualEngine(opts.provider ?? 'auto', threads, d);
    p.catch(() => engines.delete(key));
    engines.set(key, p);
  }
  return p;
}

async function openResidualEngine(pref: ProviderPreference, threads: number, d: DenoiseOptions): Promise<ResidualEngine> {
  const sessions = new Map<number, Promise<{ session: ort.InferenceSession; provider: string }>>();
  const sessionFor = (levels: number) => {
    let s = sessions.get(levels);
    if (!s) {
      s = createSession(residualModel(levels, d.sigma0, d.windows), providerCandidates(pref), threads, {
        name: `residual graph (${levels} levels)`,
        graphOptimizationLevel: 'extended',
        spinning: false,
      });
      s.catch(() => sessions.delete(levels));
      sessions.set(levels, s);
    }
    return s;
  };
  // Open the common 4-level session now, so the provider is known and a failure surfaces here.
  const first = await sessionFor(waveletLevels(256, 256, d.levels ?? 4));
  let queue: Promise<unknown> = Promise.resolve();

  async function runBatch(batch: Canvas[]): Promise<Canvas[]> {
    const { width, height } = batch[0];
    const levels = waveletLevels(width, height, d.levels ?? 4);
    const { pw, ph, left, top } = planeGeometry(width, height, levels);
    const plane = 3 * width * height;
    const input = new Float32Array(batch.length * plane);
    batch.forEach((c, i) => input.set(c.data, i * plane));
    const padIndex = padIndexFor(width, height, pw, ph, left, top);
    const { session } = await sessionFor(levels);
    const out = await session.run({
      images: new ort.Tensor('float32', input, [batch.length, 3, height, width]),
      pad_index: new ort.Tensor('int64', padIndex, [ph, pw]),
      crop_starts: new ort.Tensor('int64', BigInt64Array.from([BigInt(top), BigInt(left)]), [2]),
      crop_ends: new ort.Tensor('int64', BigInt64Array.from([BigInt(top + height), BigInt(left + width)]), [2]),
    });
    const data = out.residuals.data as Float32Array;
    // Copied out: ORT's output buffers must not escape (Electron's V8 memory cage).
    return batch.map((_, i) => ({ width, height, data: data.slice(i * plane, (i + 1) * plane) }));
  }

  return {
    provider: first.provider,
    residuals(canvases) {
      const run = async () => {
        const out: Canvas[] = new Array(canvases.length);
        const bySize = new Map<string, number[]>();
        canvases.forEach((c, i) => {
          if (c.data.length !== 3 * c.width * c.height) throw new RangeError(`canvas data length ${c.data.length} does not match 3×${c.width}×${c.height}`);
          const k = `${c.width}x${c.height}`;
          if (!bySize.has(k)) bySize.set(k, []);
          bySize.get(k)!.push(i);
        });
        for (const idx of bySize.values()) {
          const per = Math.max(1, Math.floor(MAX_BATCH_PIXELS / (canvases[idx[0]].width * canvases[idx[0]].height)));
          for (let s = 0; s < idx.length; s += per) {
            const part = idx.slice(s, s + per);
            const res = await runBatch(part.map((i) => canvases[i]));
            part.forEach((i, j) => (out[i] = res[j]));
          }
        }
        return out;
      };
      // One run at a time per engine: concurrent runs of one session would fight over the same threads.
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
