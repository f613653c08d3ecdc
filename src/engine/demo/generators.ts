// Synthetic generators for the demo: small decoders with fixed random weights whose upsampling
// operator (transposed convolution, nearest or bilinear interpolation + convolution, sub-pixel
// convolution) leaves its own periodic trace in every image, as real generators' upsampling layers
// do. They paint a detail/texture branch on top of procedural content (a residual architecture) so
// the images still look like varied scenes while the trace stays constant per generator.
import { renderScene } from './procedural.js';
import { gaussian, hashInts, hashString, mulberry32 } from './prng.js';

export type UpsampleOperator =
  | 'transposed-conv-4x4-s2' // DCGAN-style, even overlap: checkerboard from per-phase kernel taps
  | 'transposed-conv-3x3-s2' // uneven overlap (Odena et al. 2016): the strongest checkerboard
  | 'nearest+conv-3x3'
  | 'bilinear+conv-3x3'
  | 'pixel-shuffle' // sub-pixel convolution (Shi et al. 2016)
  | 'none'; // the demo's "real photographs": the scenes with sensor grain only, no decoder

export type Activation = 'relu' | 'leaky-relu' | 'tanh';

export interface DemoGeneratorInfo {
  name: string;
  family: string;
  operator: UpsampleOperator;
  activation: Activation;
  /** Whether the demo library enrols it; the foreign generator is only ever evidence. */
  inLibrary: boolean;
  description: string;
}

interface GeneratorSpec extends DemoGeneratorInfo {
  /** Seed of the fixed random weights: same operator + different seed = same family, other model. */
  weightSeed: number;
  /** Feature channels of the decoder. */
  channels: number;
  /** Amplitude of the network branch on the [0, 1] pixel scale. */
  gain: number;
  /** Scale of the layer biases: they set the mean activations that the operator turns into a trace. */
  biasScale: number;
  /** Per-image white noise (std, [0, 1] scale) before quantisation: masks the trace in any one image. */
  grain: number;
}

const LATENT_NOISE_CHANNELS = 3;

// Gains are tuned so that residual correlation (both the box-blur check of test/demo.test.ts and
// the engine's wavelet denoiser) attributes single images only moderately well (~65–95 %) while bags
// of 10 are unambiguous. They differ tenfold because the operators differ: most of a transposed
// convolution's or pixel shuffle's output is its fixed per-phase pattern, whereas nearest/bilinear
// decoders only leave a trace through their nonlinearity and borders, so their branch is mostly
// per-image texture. The grain keeps any single image from being conclusive.
const SPECS: readonly GeneratorSpec[] = [
  {
    name: 'demo-tconv-a',
    family: 'synthetic-gan',
    operator: 'transposed-conv-4x4-s2',
    activation: 'leaky-relu',
    inLibrary: true,
    description: 'Synthetic GAN-style decoder: two 4×4 stride-2 transposed convolutions, LeakyReLU (weights A).',
    weightSeed: 101,
    channels: 8,
    gain: 0.008,
    biasScale: 0.2,
    grain: 0.02,
  },
  {
    name: 'demo-tconv-b',
    family: 'synthetic-gan',
    operator: 'transposed-conv-4x4-s2',
    activation: 'leaky-relu',
    inLibrary: true,
    description: 'Same architecture as demo-tconv-a with different weights: same family, a different model.',
    weightSeed: 202,
    channels: 8,
    gain: 0.004,
    biasScale: 0.2,
    grain: 0.02,
  },
  {
    name: 'demo-nearest',
    family: 'synthetic-vae',
    operator: 'nearest+conv-3x3',
    activation: 'relu',
    inLibrary: true,
    description: 'Synthetic VAE-style decoder: nearest-neighbour ×2 upsampling then 3×3 convolution, ReLU.',
    weightSeed: 303,
    channels: 8,
    gain: 0.07,
    biasScale: 0.2,
    grain: 0.02,
  },
  {
    name: 'demo-bilinear',
    family: 'synthetic-diffusion',
    operator: 'bilinear+conv-3x3',
    activation: 'tanh',
    inLibrary: true,
    description: 'Synthetic diffusion-decoder-style network: bilinear ×2 upsampling then 3×3 convolution, tanh.',
    weightSeed: 404,
    channels: 8,
    gain: 0.09,
    biasScale: 0.2,
    grain: 0.02,
  },
  {
    name: 'demo-pixelshuffle',
    family: 'synthetic-sr',
    operator: 'pixel-shuffle',
    activation: 'leaky-relu',
    inLibrary: true,
    description: 'Synthetic super-resolution-style decoder: 3×3 convolution to 4× channels then pixel shuffle.',
    weightSeed: 505,
    channels: 8,
    gain: 0.007,
    biasScale: 0.2,
    grain: 0.02,
  },
  {
    // The demo world's real images: what the decoders paint on is this content, so it is the real
    // reference set of the manifold method's nearest-neighbour estimate.
    name: 'demo-real-scenes',
    family: 'real',
    operator: 'none',
    activation: 'relu',
    inLibrary: true,
    description: "Real images of the demo world: the procedural scenes with a camera's fixed-pattern noise and grain, no generator.",
    weightSeed: 707,
    channels: 0,
    gain: 0.012,
    biasScale: 0,
    grain: 0.02,
  },
  {
    name: 'demo-foreign-tconv3',
    family: 'synthetic-foreign',
    operator: 'transposed-conv-3x3-s2',
    activation: 'leaky-relu',
    inLibrary: false,
    description: 'Not in the library: 3×3 stride-2 transposed convolutions (uneven overlap). Expected verdict: unknown.',
    weightSeed: 606,
    channels: 8,
    gain: 0.015,
    biasScale: 0.2,
    grain: 0.02,
  },
];

export const DEFAULT_DEMO_SEED = 20240611;

export function listDemoGenerators(): DemoGeneratorInfo[] {
  return SPECS.map(({ name, family, operator, activation, inLibrary, description }) => ({
    name,
    family,
    operator,
    activation,
    inLibrary,
    description,
  }));
}

// ---------------------------------------------------------------------------------------------
// Tensor operations (planar CHW Float32Array, zero padding). Loops run in a fixed order, so the
// float results are the same on every run.

interface Tensor {
  c: number;
  h: number;
  w: number;
  data: Float32Array;
}

function tensor(c: number, h: number, w: number): Tensor {
  return { c, h, w, data: new Float32Array(c * h * w) };
}

/** k×k convolution, stride 1, 'same' zero padding. Weights [cout][cin][k][k]. */
function conv(x: Tensor, weights: Float32Array, bias: Float32Array, cout: number, k: number): Tensor {
  const { c: cin, h, w } = x;
  const out = tensor(cout, h, w);
  const pad = k >> 1;
  const area = h * w;
  for (let co = 0; co < cout; co++) {
    const o = out.data.subarray(co * area, (co + 1) * area);
    o.fill(bias[co]);
    for (let ci = 0; ci < cin; ci++) {
      const inp = x.data.subarray(ci * area, (ci + 1) * area);
      for (let ky = 0; ky < k; ky++) {
        const dy = ky - pad;
        const y0 = Math.max(0, -dy);
        const y1 = Math.min(h, h - dy);
        for (let kx = 0; kx < k; kx++) {
          const dx = kx - pad;
          const wv = weights[((co * cin + ci) * k + ky) * k + kx];
          const x0 = Math.max(0, -dx);
          const x1 = Math.min(w, w - dx);
          for (let y = y0; y < y1; y++) {
            const orow = y * w;
            const irow = (y + dy) * w + dx;
            for (let xx = x0; xx < x1; xx++) o[orow + xx] += wv * inp[irow + xx];
          }
        }
      }
    }
  }
  return out;
}

/** Stride-2 transposed convolution, padding 1, output exactly 2h × 2w. Weights [cin][cout][k][k]. */
function transposedConv(x: Tensor, weights: Float32Array, bias: Float32Array, cout: number, k: number): Tensor {
  const { c: cin, h, w } = x;
  const H = 2 * h;
  const W = 2 * w;
  const out = tensor(cout, H, W);
  const area = h * w;
  const outArea = H * W;
  for (let co = 0; co < cout; co++) out.data.fill(bias[co], co * outArea, (co + 1) * outArea);
  for (let ci = 0; ci < cin; ci++) {
    const inp = x.data.subarray(ci * area, (ci + 1) * area);
    for (let co = 0; co < cout; co++) {
      const o = out.data.subarray(co * outArea, (co + 1) * outArea);
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const wv = weights[((ci * cout + co) * k + ky) * k + kx];
          for (let iy = 0; iy < h; iy++) {
            const oy = 2 * iy + ky - 1;
            if (oy < 0 || oy >= H) continue;
            for (let ix = 0; ix < w; ix++) {
              const ox = 2 * ix + kx - 1;
              if (ox < 0 || ox >= W) continue;
              o[oy * W + ox] += wv * inp[iy * w + ix];
            }
          }
        }
      }
    }
  }
  return out;
}

function upNearest(x: Tensor): Tensor {
  const { c, h, w } = x;
  const out = tensor(c, 2 * h, 2 * w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < 2 * h; y++) {
      for (let xx = 0; xx < 2 * w; xx++) {
        out.data[(ch * 2 * h + y) * 2 * w + xx] = x.data[(ch * h + (y >> 1)) * w + (xx >> 1)];
      }
    }
  }
  return out;
}

/** Bilinear ×2 with half-pixel centres and clamped edges (PyTorch align_corners=False). */
function upBilinear(x: Tensor): Tensor {
  const { c, h, w } = x;
  const H = 2 * h;
  const W = 2 * w;
  const out = tensor(c, H, W);
  // Output pixel i samples input coordinate (i + 0.5) / 2 − 0.5 = i/2 − 0.25.
  const src = (i: number, n: number): [number, number, number] => {
    const s = i / 2 - 0.25;
    const i0 = Math.floor(s);
    const t = s - i0;
    return [Math.max(0, i0), Math.min(n - 1, i0 + 1), t];
  };
  for (let ch = 0; ch < c; ch++) {
    const inp = x.data.subarray(ch * h * w, (ch + 1) * h * w);
    for (let y = 0; y < H; y++) {
      const [y0, y1, ty] = src(y, h);
      for (let xx = 0; xx < W; xx++) {
        const [x0, x1, tx] = src(xx, w);
        const a = inp[y0 * w + x0] + (inp[y0 * w + x1] - inp[y0 * w + x0]) * tx;
        const b = inp[y1 * w + x0] + (inp[y1 * w + x1] - inp[y1 * w + x0]) * tx;
        out.data[(ch * H + y) * W + xx] = a + (b - a) * ty;
      }
    }
  }
  return out;
}

/** Sub-pixel rearrangement: channel 4c + 2dy + dx → pixel (2y + dy, 2x + dx) of channel c. */
function pixelShuffle(x: Tensor): Tensor {
  const c = x.c / 4;
  const { h, w } = x;
  const out = tensor(c, 2 * h, 2 * w);
  for (let ch = 0; ch < c; ch++) {
    for (let d = 0; d < 4; d++) {
      const dy = d >> 1;
      const dx = d & 1;
      const inp = x.data.subarray((4 * ch + d) * h * w, (4 * ch + d + 1) * h * w);
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          out.data[(ch * 2 * h + 2 * y + dy) * 2 * w + 2 * xx + dx] = inp[y * w + xx];
        }
      }
    }
  }
  return out;
}

/** Padé tanh, exact ±1 beyond |x| = 3: avoids Math.tanh, whose last bits are not specified. */
function fastTanh(v: number): number {
  if (v <= -3) return -1;
  if (v >= 3) return 1;
  const v2 = v * v;
  return (v * (27 + v2)) / (27 + 9 * v2);
}

function activate(t: Tensor, a: Activation): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    d[i] = a === 'relu' ? (v > 0 ? v : 0) : a === 'leaky-relu' ? (v > 0 ? v : 0.2 * v) : fastTanh(v);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// The decoders.

interface Layer {
  weights: Float32Array;
  bias: Float32Array;
}

interface Network {
  spec: GeneratorSpec;
  input: Layer; // 1×1: content + latent noise → features
  stages: [Layer, Layer];
  output: Layer; // 3×3: features → RGB
}

function layer(rand: () => number, count: number, fanIn: number, biases: number, biasScale: number): Layer {
  const std = Math.sqrt(2 / fanIn); // He initialisation: activations keep their scale through ReLUs
  const weights = new Float32Array(count);
  for (let i = 0; i < count; i++) weights[i] = gaussian(rand) * std;
  const bias = new Float32Array(biases);
  for (let i = 0; i < biases; i++) bias[i] = gaussian(rand) * biasScale;
  return { weights, bias };
}

const networks = new Map<string, Network>();

function network(spec: GeneratorSpec): Network {
  const cached = networks.get(spec.name);
  if (cached) return cached;
  const rand = mulberry32(hashInts(hashString(spec.family), spec.weightSeed));
  const C = spec.channels;
  const inC = 3 + LATENT_NOISE_CHANNELS;
  const stage = (): Layer => {
    switch (spec.operator) {
      case 'transposed-conv-4x4-s2':
        return layer(rand, C * C * 16, C * 4, C, spec.biasScale); // each output sees 2×2 taps per input channel
      case 'transposed-conv-3x3-s2':
        return layer(rand, C * C * 9, C * 2.25, C, spec.biasScale);
      case 'nearest+conv-3x3':
      case 'bilinear+conv-3x3':
        return layer(rand, C * C * 9, C * 9, C, spec.biasScale);
      case 'pixel-shuffle':
        return layer(rand, 4 * C * C * 9, C * 9, 4 * C, spec.biasScale);
      case 'none':
        throw new Error(`${spec.name} has no decoder`);
    }
  };
  const net: Network = {
    spec,
    input: layer(rand, C * inC, inC, C, spec.biasScale),
    stages: [stage(), stage()],
    output: layer(rand, 3 * C * 9, C * 9, 3, spec.biasScale),
  };
  networks.set(spec.name, net);
  return net;
}

function upsample(net: Network, x: Tensor, l: Layer): Tensor {
  const C = net.spec.channels;
  switch (net.spec.operator) {
    case 'transposed-conv-4x4-s2':
      return transposedConv(x, l.weights, l.bias, C, 4);
    case 'transposed-conv-3x3-s2':
      return transposedConv(x, l.weights, l.bias, C, 3);
    case 'nearest+conv-3x3':
      return conv(upNearest(x), l.weights, l.bias, C, 3);
    case 'bilinear+conv-3x3':
      return conv(upBilinear(x), l.weights, l.bias, C, 3);
    case 'pixel-shuffle':
      return pixelShuffle(conv(x, l.weights, l.bias, 4 * C, 3));
    case 'none':
      throw new Error(`${net.spec.name} has no decoder`);
  }
}

/** Latent: the content average-pooled 4× (centred) plus per-image Gaussian noise channels. */
function latent(content: Float32Array, size: number, seed: number): Tensor {
  const L = size / 4;
  const inC = 3 + LATENT_NOISE_CHANNELS;
  const z = tensor(inC, L, L);
  const area = size * size;
  for (let ch = 0; ch < 3; ch++) {
    for (let y = 0; y < L; y++) {
      for (let x = 0; x < L; x++) {
        let s = 0;
        for (let dy = 0; dy < 4; dy++) {
          for (let dx = 0; dx < 4; dx++) s += content[ch * area + (4 * y + dy) * size + 4 * x + dx];
        }
        z.data[(ch * L + y) * L + x] = s / 16 - 0.5;
      }
    }
  }
  const rand = mulberry32(seed);
  for (let i = 3 * L * L; i < z.data.length; i++) z.data[i] = gaussian(rand);
  return z;
}

function specFor(name: string): GeneratorSpec {
  const spec = SPECS.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown demo generator "${name}"`);
  return spec;
}

/**
 * A camera's fixed-pattern noise (the DSNU/PRNU of real sensors): one Gaussian pattern per device, the
 * same in every image. Real images carry their camera's trace, so the real entry is a class of its own.
 */
function sensorPattern(spec: GeneratorSpec, size: number): Tensor {
  const t = tensor(3, size, size);
  const rand = mulberry32(hashInts(hashString(spec.family), spec.weightSeed, size));
  for (let i = 0; i < t.data.length; i++) t.data[i] = gaussian(rand);
  return t;
}

function decode(spec: GeneratorSpec, content: Float32Array, size: number, imageSeed: number): Tensor {
  const net = network(spec);
  const z = latent(content, size, hashInts(imageSeed, 1));
  let x = activate(conv(z, net.input.weights, net.input.bias, spec.channels, 1), spec.activation);
  for (const l of net.stages) x = activate(upsample(net, x, l), spec.activation);
  return conv(x, net.output.weights, net.output.bias, 3, 3);
}

/**
 * Image `index` of generator `name`: interleaved RGB (HWC), 8-bit, size × size. The content and
 * latent noise are drawn from (seed, name, index), the weights from the generator alone.
 */
export function renderGeneratorSample(name: string, index: number, size = 64, seed = DEFAULT_DEMO_SEED): Uint8Array {
  if (!Number.isInteger(size) || size < 16 || size % 4 !== 0) {
    throw new RangeError(`demo image size must be a multiple of 4 and at least 16, got ${size}`);
  }
  const spec = specFor(name);
  const imageSeed = hashInts(seed, hashString(name), index);
  const content = renderScene(imageSeed, size);
  const detail = spec.operator === 'none' ? sensorPattern(spec, size) : decode(spec, content, size, imageSeed);

  const area = size * size;
  const rgb = new Uint8Array(3 * area);
  const grain = mulberry32(hashInts(imageSeed, 2));
  for (let ch = 0; ch < 3; ch++) {
    for (let p = 0; p < area; p++) {
      const v = (content[ch * area + p] + spec.gain * fastTanh(detail.data[ch * area + p]) + spec.grain * gaussian(grain)) * 255;
      rgb[3 * p + ch] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return rgb;
}
