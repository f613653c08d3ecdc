// Column statistics of row-major feature matrices (rows = images, columns = feature dimensions).

/** Per-column mean and sum of squared deviations from it; callers choose the divisor. */
export function columnMoments(data: ArrayLike<number>, dim: number): { n: number; mean: Float64Array; sumSq: Float64Array } {
  const n = data.length / dim;
  const mean = new Float64Array(dim);
  const sumSq = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += data[i * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n;
  for (let i = 0; i < n; i++)
    for (let d = 0; d < dim; d++) {
      const v = data[i * dim + d] - mean[d];
      sumSq[d] += v * v;
    }
  return { n, mean, sumSq };
}
