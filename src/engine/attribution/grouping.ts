// Splitting a possibly mixed folder into groups before attribution.
//
// Per-image evidence is weak (one image is often misattributed), so images are not grouped by
// their individual best guess — a pure folder would fragment. Instead the folder is modelled as a
// mixture over the library entries: EM estimates the mixing proportions π from the per-image
// likelihoods, errors spread thinly over many entries while a true source concentrates mass, and
// only components that explain a real share of the folder become groups.
export interface GroupingResult {
  /** Group index per image (0 = largest group). */
  groupOf: number[];
  /** Library entry index behind each group. */
  componentOf: number[];
  /** Estimated mixing proportion of each group's component. */
  proportions: number[];
}

export interface GroupingOptions {
  /** A component becomes a group only if it explains at least this share of the images … */
  minShare?: number;
  /** … and at least this many images. */
  minImages?: number;
  iterations?: number;
}

/**
 * @param likelihood per image, a non-negative likelihood of each library entry (any scale per row).
 */
export function groupByMixture(likelihood: Float64Array[], opts: GroupingOptions = {}): GroupingResult {
  const n = likelihood.length;
  if (n === 0) return { groupOf: [], componentOf: [], proportions: [] };
  const K = likelihood[0].length;
  const minShare = opts.minShare ?? 0.2;
  const minImages = opts.minImages ?? 3;
  // Rows normalised to sum 1, stored flat (row-major) so the EM loop below walks memory in order.
  const rows = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const r = likelihood[i];
    let s = 0;
    for (let k = 0; k < K; k++) s += r[k];
    if (s === 0) s = 1;
    for (let k = 0; k < K; k++) rows[i * K + k] = r[k] / s;
  }

  // EM for the mixing proportions: π'_k = π_k · (1/n) Σ_i r_ik / z_i, z_i = Σ_k π_k r_ik. The
  // factor π_k is taken out of the sum over images (one multiply per image and entry instead of a
  // multiply and a divide): the library calibration runs this thousands of times per fit.
  let pi = new Float64Array(K).fill(1 / K);
  const sums = new Float64Array(K);
  for (let it = 0; it < (opts.iterations ?? 200); it++) {
    sums.fill(0);
    for (let i = 0, base = 0; i < n; i++, base += K) {
      let z = 0;
      for (let k = 0; k < K; k++) z += pi[k] * rows[base + k];
      if (z === 0) continue;
      const inv = 1 / z;
      for (let k = 0; k < K; k++) sums[k] += rows[base + k] * inv;
    }
    const next = new Float64Array(K);
    let delta = 0;
    for (let k = 0; k < K; k++) {
      next[k] = (pi[k] * sums[k]) / n;
      delta = Math.max(delta, Math.abs(next[k] - pi[k]));
    }
    pi = next;
    if (delta < 1e-7) break;
  }

  let kept = Array.from({ length: K }, (_, k) => k).filter((k) => pi[k] >= minShare && pi[k] * n >= minImages);
  if (kept.length === 0) kept = [pi.indexOf(Math.max(...pi))];

  const assign = Array.from({ length: n }, (_, i) => {
    const base = i * K;
    let best = kept[0];
    for (const k of kept) if (pi[k] * rows[base + k] > pi[best] * rows[base + best]) best = k;
    return best;
  });
  // Order groups by size so group 0 is the bulk of the evidence; drop components left empty.
  const sizes = new Map<number, number>();
  for (const k of assign) sizes.set(k, (sizes.get(k) ?? 0) + 1);
  const componentOf = [...sizes.keys()].sort((a, b) => sizes.get(b)! - sizes.get(a)! || a - b);
  const index = new Map(componentOf.map((k, g) => [k, g]));
  return {
    groupOf: assign.map((k) => index.get(k)!),
    componentOf,
    proportions: componentOf.map((k) => pi[k]),
  };
}

/**
 * Grouping of a split that is significance-tested (calibration.ts): a smaller share may form a group,
 * because the test, not the share, guards against false splits (an 80/20 folder's minor source has
 * an estimated share near 0.2, so a 0.2 cut missed about half of them).
 */
export const TESTED_GROUPING: GroupingOptions = { minShare: 0.1, minImages: 3 };

/**
 * The split statistic: 2 × (log-likelihood of the best mixture over the groups' entries − that of
 * the best single entry), with the images' classifier probabilities as likelihoods (p(x | entry) ∝
 * p(entry | x) under a uniform prior). ≥ 0 whenever the best single entry is one of the groups'.
 * Large when the images are better explained by several entries than by one; its distribution under
 * a single source is not a textbook one (mixture weights on the boundary), so calibration.ts sets
 * its threshold on single-entry held-back sets.
 */
export function splitStatistic(logProba: ArrayLike<number>[], components: readonly number[], iterations = 200): number {
  const n = logProba.length;
  const K = n ? logProba[0].length : 0;
  if (n === 0 || components.length === 0) return 0;
  let single = -Infinity;
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += logProba[i][k];
    single = Math.max(single, s);
  }
  const C = components.length;
  const offset = new Float64Array(n);
  const w = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (const k of components) m = Math.max(m, logProba[i][k]);
    offset[i] = m;
    for (let j = 0; j < C; j++) w[i * C + j] = Math.exp(logProba[i][components[j]] - m);
  }
  let pi = new Float64Array(C).fill(1 / C);
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(C);
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < C; j++) z += pi[j] * w[i * C + j];
      if (z === 0) continue;
      for (let j = 0; j < C; j++) next[j] += (pi[j] * w[i * C + j]) / z;
    }
    let delta = 0;
    for (let j = 0; j < C; j++) {
      next[j] /= n;
      delta = Math.max(delta, Math.abs(next[j] - pi[j]));
    }
    pi = next;
    if (delta < 1e-7) break;
  }
  let mixture = 0;
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < C; j++) z += pi[j] * w[i * C + j];
    mixture += offset[i] + Math.log(z);
  }
  return 2 * (mixture - single);
}

/** The grouping of a set of images (per-image log-probabilities) and, where it found two groups or more, its split statistic (else 0). */
export function mixtureSplit(logProba: ArrayLike<number>[], opts: GroupingOptions = TESTED_GROUPING): { grouping: GroupingResult; statistic: number } {
  const grouping = groupByMixture(
    logProba.map((lp) => Float64Array.from(lp, Math.exp)),
    opts,
  );
  return { grouping, statistic: grouping.componentOf.length >= 2 ? splitStatistic(logProba, grouping.componentOf) : 0 };
}

/** Turns residual correlations into per-entry likelihoods on a scale set by the calibration spread. */
export function correlationLikelihood(corr: Float64Array, temperature: number): Float64Array {
  const max = Math.max(...corr);
  return Float64Array.from(corr, (c) => Math.exp((c - max) / temperature));
}
