// Random numbers for the demo data set. Own copy rather than util/random.ts: the demo's bytes are
// published alongside expected answers, so they must not change when the bag sampler is retuned.
// Only integer ops, + − × ÷ and sqrt are used (all correctly rounded in IEEE 754), so the streams
// are bit-identical on every machine and V8 version.

/** mulberry32: uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Order-sensitive 32-bit hash of small integers (murmur3 finaliser per step): derives sub-seeds. */
export function hashInts(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h = Math.imul(h ^ (v | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** FNV-1a of a string, to turn generator names into seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Approximately standard-normal draws: Irwin–Hall sum of four uniforms rescaled to unit variance.
 * Box–Muller would need log/cos, whose last bits are not guaranteed across platforms.
 */
export function gaussian(rand: () => number): number {
  return (rand() + rand() + rand() + rand() - 2) * 1.7320508075688772;
}
