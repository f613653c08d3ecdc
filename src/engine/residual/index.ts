// Residual (PRNU-style) fingerprint method: denoiser, residuals, fingerprints, correlation.
export { denoise, computeResidual, waveletLevels, DEFAULT_SIGMA0, type DenoiseOptions } from './denoise.js';
export { FingerprintAccumulator, fingerprintFromResiduals } from './fingerprint.js';
export { corr, centredCrop, centredOffset, type Planar } from './region.js';
export { perImageCorrelations } from '../correlation.js';
