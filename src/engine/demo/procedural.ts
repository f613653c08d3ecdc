// Procedural "content" for the demo generators: scenes that differ a lot from image to image
// (gradients, value-noise textures, stripes, ellipses, rectangles), so that what the images share
// is the generator's trace and not their subject. No trigonometry: orientations come from random
// unit vectors, so every pixel is reproducible bit for bit.
import { hashInts, mulberry32 } from './prng.js';

type Rgb = [number, number, number];

function randomColour(rand: () => number): Rgb {
  return [rand(), rand(), rand()];
}

/** A random direction as a unit vector (rejection sampling keeps it isotropic without cos/sin). */
function randomDirection(rand: () => number): [number, number] {
  for (;;) {
    const x = 2 * rand() - 1;
    const y = 2 * rand() - 1;
    const r2 = x * x + y * y;
    if (r2 > 1e-4 && r2 <= 1) {
      const r = Math.sqrt(r2);
      return [x / r, y / r];
    }
  }
}

function smoothstep(t: number): number {
  return t * t * (3 - 2 * t);
}

/** Anti-aliased coverage of a signed distance (pixels, negative inside) with a soft edge width. */
function coverage(signedDist: number, softness: number): number {
  const t = 0.5 - signedDist / softness;
  return t <= 0 ? 0 : t >= 1 ? 1 : smoothstep(t);
}

/** Value noise: hashed lattice values, smoothstep-interpolated; `cell` is the lattice spacing in px. */
function valueNoise(seed: number, x: number, y: number, cell: number): number {
  const fx = x / cell;
  const fy = y / cell;
  const ix = Math.floor(fx);
  const iy = Math.floor(fy);
  const tx = smoothstep(fx - ix);
  const ty = smoothstep(fy - iy);
  const v = (i: number, j: number) => hashInts(seed, i, j) / 4294967296;
  const a = v(ix, iy) + (v(ix + 1, iy) - v(ix, iy)) * tx;
  const b = v(ix, iy + 1) + (v(ix + 1, iy + 1) - v(ix, iy + 1)) * tx;
  return a + (b - a) * ty;
}

function blend(img: Float32Array, area: number, p: number, c: Rgb, alpha: number): void {
  if (alpha <= 0) return;
  for (let ch = 0; ch < 3; ch++) img[ch * area + p] += (c[ch] - img[ch * area + p]) * alpha;
}

/**
 * One scene, size × size, planar RGB (CHW) in [0, 1]. Layers are drawn in a fixed order and each
 * draws its random parameters up front, so the result depends only on (seed, size).
 */
export function renderScene(seed: number, size: number): Float32Array {
  const rand = mulberry32(seed);
  const area = size * size;
  const img = new Float32Array(3 * area);

  // Background: a linear gradient between two colours along a random direction.
  const c0 = randomColour(rand);
  const c1 = randomColour(rand);
  const [gx, gy] = randomDirection(rand);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = 0.5 + ((x - size / 2) * gx + (y - size / 2) * gy) / size;
      const u = t < 0 ? 0 : t > 1 ? 1 : t;
      const p = y * size + x;
      for (let ch = 0; ch < 3; ch++) img[ch * area + p] = c0[ch] + (c1[ch] - c0[ch]) * u;
    }
  }

  // Texture: two octaves of value noise, tinted, at a random scale (fine grain to large blotches).
  if (rand() < 0.75) {
    const noiseSeed = (rand() * 4294967296) >>> 0;
    const cell = size / (2 + rand() * 14);
    const strength = 0.15 + rand() * 0.45;
    const tint = randomColour(rand);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const n = 0.65 * valueNoise(noiseSeed, x, y, cell) + 0.35 * valueNoise(noiseSeed ^ 0x5bd1e995, x, y, cell / 2.5);
        blend(img, area, y * size + x, tint, strength * n);
      }
    }
  }

  // Stripes: a triangle wave along a random direction.
  if (rand() < 0.35) {
    const [sx, sy] = randomDirection(rand);
    const period = 3 + rand() * (size / 4);
    const strength = 0.2 + rand() * 0.5;
    const colour = randomColour(rand);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const s = (x * sx + y * sy) / period;
        const tri = Math.abs(2 * (s - Math.floor(s)) - 1);
        blend(img, area, y * size + x, colour, strength * tri);
      }
    }
  }

  // Shapes: rotated ellipses and axis-aligned rectangles, some hard-edged, some soft.
  const shapes = Math.floor(rand() * 7);
  for (let k = 0; k < shapes; k++) {
    const colour = randomColour(rand);
    const alpha = 0.5 + rand() * 0.5;
    const softness = rand() < 0.5 ? 1 : 1 + rand() * 6;
    const cx = rand() * size;
    const cy = rand() * size;
    const a = size * (0.05 + rand() * 0.3);
    const b = size * (0.05 + rand() * 0.3);
    const isEllipse = rand() < 0.6;
    const [ux, uy] = randomDirection(rand);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        let d: number;
        if (isEllipse) {
          const u = (dx * ux + dy * uy) / a;
          const v = (-dx * uy + dy * ux) / b;
          // Distance to the boundary, approximately in pixels (exact for circles).
          d = (Math.sqrt(u * u + v * v) - 1) * Math.min(a, b);
        } else {
          d = Math.max(Math.abs(dx) - a, Math.abs(dy) - b);
        }
        blend(img, area, y * size + x, colour, alpha * coverage(d, softness));
      }
    }
  }

  for (let i = 0; i < img.length; i++) img[i] = img[i] < 0 ? 0 : img[i] > 1 ? 1 : img[i];
  return img;
}
