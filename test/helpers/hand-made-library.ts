// A two-entry prepared library built by hand ("alpha", "beta"), for verdict logic tests that need
// no enrolment: residual calibration at mean |corr| 0.1 ± 0.03, optionally a classifier.
import type { PreparedLibrary } from '../../src/engine/attribution/prepared-library.js';
import type { FusedClassifier } from '../../src/engine/classifier/fused.js';

export function handMadeLibrary(classifier: FusedClassifier | null = null): PreparedLibrary {
  const fingerprint = { width: 4, height: 4, data: new Float32Array(48), count: 10 };
  return {
    entries: ['alpha', 'beta'].map((name, id) => ({
      id,
      name,
      family: 'gan',
      fingerprint,
      calibration: { residual: { meanCorr: 0.1, stdCorr: 0.03, heldOut: 20 } },
      featureCount: classifier ? 20 : 0,
    })),
    modelHash: classifier ? 'test' : null,
    classifier,
    classifierNote: classifier ? null : 'no set-encoder model is loaded',
    classifierCaveat: null,
  };
}
