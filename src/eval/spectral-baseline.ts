// The supervised spectral baseline: multinomial logistic regression on per-image log power spectra
// of the residual. Generator upsampling leaves periodic peaks in the residual's spectrum, so this is
// a strong simple baseline the set-encoder has to beat.
// The spectrum is the engine's (residual/statistics.ts), which the product's library classifier
// also uses as one of its evidence blocks; this baseline is that block alone.
import { computeResidual } from '../engine/residual/index.js';
import { fitSoftmaxRegression, predictLogProba, type SoftmaxRegressionModel } from '../engine/classifier/softmax-regression.js';
import type { Canvas } from '../engine/types.js';
import { residualSpectrum, SPECTRAL_DIM } from '../engine/residual/statistics.js';

/** The baseline's feature vector for one canvas: the engine's residual spectrum. */
export function spectralFeatures(canvas: Canvas): Float32Array {
  return residualSpectrum(computeResidual(canvas));
}

export interface SpectralModel {
  classes: string[];
  model: SoftmaxRegressionModel;
}

/** Fits the baseline on the enrolment half: rows of features with their generator labels. */
export async function fitSpectral(rows: { label: string; features: Float32Array }[], C = 1): Promise<SpectralModel> {
  const classes = [...new Set(rows.map((r) => r.label))].sort();
  const X = new Float32Array(rows.length * SPECTRAL_DIM);
  rows.forEach((r, i) => X.set(r.features, i * SPECTRAL_DIM));
  const y = Int32Array.from(rows, (r) => classes.indexOf(r.label));
  return { classes, model: await fitSoftmaxRegression(X, SPECTRAL_DIM, y, classes, { C }) };
}

/** Per-image log-probabilities, computed once per query image and summed per bag. */
export function spectralLogProba(m: SpectralModel, features: Float32Array): Float64Array {
  return predictLogProba(m.model, features);
}

/** A bag's label: the class with the highest summed log-probability. */
export function spectralBagLabel(m: SpectralModel, logProbas: readonly Float64Array[]): string {
  const K = m.classes.length;
  const sum = new Float64Array(K);
  for (const lp of logProbas) for (let k = 0; k < K; k++) sum[k] += lp[k];
  let best = 0;
  for (let k = 1; k < K; k++) if (sum[k] > sum[best]) best = k;
  return m.classes[best];
}
