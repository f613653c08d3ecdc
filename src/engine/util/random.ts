// Seeded pseudo-random numbers: every bag draw is reproducible from the case's seed, so a report
// can be regenerated bit for bit.

/** mulberry32: a small, well-tested 32-bit generator; plenty for sampling bags. */
export function createRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of 0..n-1 with the given generator. */
export function shuffledIndices(n: number, rand: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * `count` bags of `size` distinct indices from 0..n-1. When `size >= n` there is only one possible
 * bag (everything), so one bag is returned rather than identical copies.
 */
export function drawBags(n: number, size: number, count: number, seed: number): number[][] {
  if (n === 0 || size <= 0 || count <= 0) return [];
  if (size >= n) return [Array.from({ length: n }, (_, i) => i)];
  const rand = createRandom(seed);
  const bags: number[][] = [];
  for (let b = 0; b < count; b++)
    bags.push(
      shuffledIndices(n, rand)
        .slice(0, size)
        .sort((x, y) => x - y),
    );
  return bags;
}

/** A standard-normal draw (Box–Muller). */
export function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}
