// Turning per-image evidence into verdicts for a set of images (a bag, a group or a folder).
//
// Three independent kinds of evidence are computed and reported side by side:
//   classifier  – the library classifier's summed log-probabilities (paper Sec. 4.1), dsf method;
//                 one logistic regression per evidence block (φ, residual spectrum, residual
//                 pixels) combined with weights fitted on held-back enrolment images;
//   embedding   – Eq. 1 over the entries' enrolled bag embeddings z, dsf method;
//   residual    – mean |corr| of the residuals with each entry's fingerprint (Eq. 3–4).
// The chosen method decides; the others are shown so an examiner sees whether they agree.
import type { MethodId, ScoredCandidate, Verdict } from '../types.js';
import { classifierParts, novelty, type PreparedLibrary } from './prepared-library.js';
import { describeFusion, predictFusedLogProba } from '../classifier/fused.js';
import type { SetEncoder } from '../features/set-encoder.js';
import { checkCompression } from '../ingest/compression.js';
import type { CompressionKey } from '../../shared/compression.js';
import { bagTemperature } from '../classifier/bag-temperature.js';
import { consistencyTest, describeConsistency, type ConsistencyTest } from './consistency.js';
import { describeHeldBackError, heldBackErrorRate, type HeldBackErrorRate } from '../classifier/held-back-error.js';
import { statementFor } from '../../shared/wording.js';
import {
  correlationTest as calibratedCorrelationTest,
  neighbourCheck,
  noveltyTest as calibratedNoveltyTest,
  noveltyThresholdAt,
  openSetCalibrationAt,
  type NeighbourCheck,
  type OpenSetCalibration,
  describeNeighbourCheck,
  describeOpenSetCalibration,
} from './calibration.js';
import { describeFactors, type EarlierJpegFinding, type ProcessingHistoryCheck, type ResamplingFinding } from '../../shared/processing-history.js';

export interface ImageEvidence {
  relPath: string;
  sha256: string;
  /** |corr(residual, fingerprint_j)| per entry (Eq. 3). */
  corr: Float64Array;
  /** log p(entry | image) from the library classifier, when there is one. */
  logProba: Float64Array | null;
  /** Novelty with respect to each entry's enrolment features (≈1 for images like them). */
  novelty: Float64Array | null;
  /**
   * The image's φ features. Examined evidence keeps them in the case's spill file and reads them
   * back on each access (attribution/feature-spill.ts): read the property once per use.
   */
  features: Float32Array | null;
  /** How the file was saved (ingest/compression.ts), when known. */
  compression?: string;
  /** The file decoded only with warnings (EvidenceFile.decodeWarning): its pixels may be damaged. */
  decodedWithWarnings?: boolean;
  /** What the pixels show of the image's processing history (EvidenceFile.resampling / earlierJpeg), when recorded. */
  history?: ImageHistory;
  /**
   * Lossy evidence with a matching reference bank (banks.ts): the bank's id and this image's
   * log-probabilities and novelty under the bank's classifier and statistics; `assumed`: the JPEG
   * key it was matched by where the file is saved losslessly and that JPEG was read from its block
   * traces (banks.ts bankMatchKey).
   */
  matched?: { bank: string; logProba: Float64Array | null; novelty: Float64Array | null; assumed?: CompressionKey };
}

/** The per-image processing findings a verdict counts (from the manifest entry). */
export interface ImageHistory {
  resampling?: ResamplingFinding;
  earlierJpeg?: EarlierJpegFinding;
}

/** The processing findings of a verdict's images, counted; undefined when no image carries any. */
export function checkProcessingHistory(items: Pick<ImageEvidence, 'history'>[]): ProcessingHistoryCheck | undefined {
  if (!items.some((i) => i.history?.resampling || i.history?.earlierJpeg)) return undefined;
  const factors: Record<string, number> = {};
  const qualities: Record<string, number> = {};
  let resamplingMeasured = 0;
  let resampled = 0;
  let jpegMeasured = 0;
  let earlierJpeg = 0;
  for (const { history: h } of items) {
    if (h?.resampling?.measured) resamplingMeasured++;
    if (h?.resampling?.detected) {
      resampled++;
      const key = describeFactors(h.resampling.factors);
      factors[key] = (factors[key] ?? 0) + 1;
    }
    if (h?.earlierJpeg?.measured) jpegMeasured++;
    if (h?.earlierJpeg?.suspected) {
      earlierJpeg++;
      const key = h.earlierJpeg.quality === null ? 'quality not estimable' : `q${h.earlierJpeg.quality}`;
      qualities[key] = (qualities[key] ?? 0) + 1;
    }
  }
  return { total: items.length, resamplingMeasured, resampled, factors, jpegMeasured, earlierJpeg, qualities };
}

/** The history fields of a manifest entry, for ImageEvidence.history. */
export function imageHistory(file: ImageHistory): ImageHistory | undefined {
  if (!file.resampling && !file.earlierJpeg) return undefined;
  return { ...(file.resampling ? { resampling: file.resampling } : {}), ...(file.earlierJpeg ? { earlierJpeg: file.earlierJpeg } : {}) };
}

/**
 * One-sided test strength of the fixed thresholds, used where the library keeps no held-back data
 * to calibrate them on: 3 standard errors (~0.1 % false "unknown" for a Gaussian mean).
 */
const Z = 3;
/** Tolerance relative to the calibrated level, so mild processing of genuine evidence is not flagged. */
const RELATIVE_SLACK = 0.25;
/** The same tolerance for the novelty test, which works on log novelty: a factor of 1.25. */
const LOG_SLACK = Math.log(1.25);

export function imageEvidence(
  lib: PreparedLibrary,
  relPath: string,
  sha256: string,
  corr: Float64Array,
  features: Float32Array | null,
  /** The image's residual statistics (residual/statistics.ts), when the classifier uses them. */
  statistics: Float32Array | null = null,
  compression?: string,
): ImageEvidence {
  let logProba: Float64Array | null = null;
  let nov: Float64Array | null = null;
  const parts = features && lib.classifier ? classifierParts(lib.classifier, features, statistics) : null;
  if (features && lib.classifier && parts) {
    logProba = predictFusedLogProba(lib.classifier, parts);
    nov = Float64Array.from(lib.entries, (e) => (e.featureMean ? novelty(features, e.featureMean, e.featureVar!) : NaN));
  }
  return { relPath, sha256, corr, logProba, novelty: nov, features, ...(compression ? { compression } : {}) };
}

function argsort(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
}

function meanRows(rows: ArrayLike<number>[], dim: number): Float64Array {
  const m = new Float64Array(dim);
  for (const r of rows) for (let d = 0; d < dim; d++) m[d] += r[d];
  for (let d = 0; d < dim; d++) m[d] /= Math.max(1, rows.length);
  return m;
}

/**
 * One open-set test against one entry. `exceedance` is the distance past the threshold in units of
 * the test's tolerance band (statistic − calibrated level, over the band, minus 1): > 0 rejects,
 * −1 means exactly at the calibrated level. Unitless, so tests of different kinds can be combined.
 */
export interface OpenSetTest {
  kind: 'novelty' | 'correlation';
  statistic: number;
  threshold: number;
  exceedance: number;
}

/** The bag's mean |corr| with entry k's fingerprint must reach the entry's calibrated level. */
function correlationTest(lib: PreparedLibrary, items: ImageEvidence[], k: number): OpenSetTest | null {
  const cal = lib.entries[k]?.calibration.residual;
  if (!cal) return null;
  const statistic = items.reduce((s, it) => s + it.corr[k], 0) / items.length;
  const band = Math.max((Z * cal.stdCorr) / Math.sqrt(items.length), RELATIVE_SLACK * cal.meanCorr, 1e-12);
  return { kind: 'correlation', statistic, threshold: cal.meanCorr - band, exceedance: (cal.meanCorr - statistic) / band - 1 };
}

/**
 * The bag's median log novelty with respect to entry k must stay within its calibrated level. The
 * median, because single unusual images (odd content) have a heavy tail and would dominate a mean;
 * its standard error is ≈ 1.25 σ/√n for Gaussian data.
 */
function noveltyTest(lib: PreparedLibrary, items: ImageEvidence[], k: number): OpenSetTest | null {
  const cal = lib.entries[k]?.calibration.dsf;
  if (!cal || items.some((it) => !it.novelty)) return null;
  const logs = items.map((it) => Math.log(it.novelty![k])).sort((a, b) => a - b);
  const mid = logs.length >> 1;
  const statistic = logs.length % 2 ? logs[mid] : (logs[mid - 1] + logs[mid]) / 2;
  const band = Math.max((Z * 1.25 * cal.stdDist) / Math.sqrt(items.length), LOG_SLACK);
  return { kind: 'novelty', statistic, threshold: cal.meanDist + band, exceedance: (statistic - cal.meanDist) / band - 1 };
}

/** The calibrated novelty test (calibration.ts): the z for this evidence size instead of the fixed 3. */
function calibratedNovelty(lib: PreparedLibrary, items: ImageEvidence[], k: number): OpenSetTest | null {
  const ref = lib.calibration?.entries[k]?.novelty;
  if (!ref || items.some((it) => !it.novelty)) return null;
  const t = calibratedNoveltyTest(
    ref,
    items.map((it) => Math.log(it.novelty![k])),
    noveltyThresholdAt(lib.calibration!, items.length),
  );
  return { kind: 'novelty', ...t };
}

/** The calibrated fingerprint-correlation test: Student's t quantile at half the false-unknown rate instead of 3, on the set's and the reference's standard error. */
function calibratedCorrelation(lib: PreparedLibrary, items: ImageEvidence[], k: number): OpenSetTest | null {
  const ref = lib.calibration?.entries[k]?.correlation;
  if (!ref) return null;
  const t = calibratedCorrelationTest(
    ref,
    items.map((it) => it.corr[k]),
    lib.calibration!.openSet.correlationZ[k],
  );
  return { kind: 'correlation', ...t };
}

export interface ResidualJudgement {
  scores: Float64Array;
  order: number[];
  test: OpenSetTest | null;
}

/** Residual method: mean |corr| per entry (Eq. 4); the best entry's correlation test decides "unknown". */
export function judgeResidual(lib: PreparedLibrary, items: ImageEvidence[]): ResidualJudgement {
  const scores = meanRows(
    items.map((i) => i.corr),
    lib.entries.length,
  );
  const order = argsort(scores);
  return { scores, order, test: correlationTest(lib, items, order[0]) };
}

export interface ClassifierJudgement {
  posterior: Float64Array;
  order: number[];
  /** The divisor applied to the summed log-probabilities (1 = untempered). */
  temperature: number;
  /** The feature-novelty test and the fingerprint-correlation test for the classifier's choice. */
  tests: OpenSetTest[];
  /** Whether the images consistently favour the choice over the runner-up (null below two images or entries). */
  consistency: ConsistencyTest | null;
  /** The error rate of a verdict for the choice at this evidence size, on held-back reference images (null where not estimable). */
  errorRate: HeldBackErrorRate | null;
  /** The calibrated thresholds' rates at this size; null where the tests used the fixed thresholds. */
  calibration: OpenSetCalibration | null;
  /** Whether the evidence is closer to the runner-up than the choice's references are (calibrated libraries, two or more entries). */
  neighbour: NeighbourCheck | null;
}

/**
 * Classifier over φ features: summed log-probabilities under a uniform prior, divided by the bag
 * temperature fitted at enrolment (classifier/bag-temperature.ts) because the images are not
 * independent.
 */
export function judgeClassifier(lib: PreparedLibrary, items: ImageEvidence[]): ClassifierJudgement | null {
  if (!lib.classifier || items.some((i) => !i.logProba)) return null;
  const M = lib.entries.length;
  const temperature = lib.classifier.bagTemperature ? bagTemperature(lib.classifier.bagTemperature.exponent, items.length) : 1;
  const sum = new Float64Array(M);
  for (const it of items) for (let k = 0; k < M; k++) sum[k] += it.logProba![k] / temperature;
  const max = Math.max(...sum);
  const posterior = Float64Array.from(sum, (s) => Math.exp(s - max));
  const z = posterior.reduce((a, b) => a + b, 0);
  for (let k = 0; k < M; k++) posterior[k] /= z;
  const order = argsort(posterior);
  const cal = lib.calibration ?? null;
  const tests = (
    cal
      ? [calibratedNovelty(lib, items, order[0]), calibratedCorrelation(lib, items, order[0])]
      : [noveltyTest(lib, items, order[0]), correlationTest(lib, items, order[0])]
  ).filter((t): t is OpenSetTest => t !== null);
  const consistency =
    M > 1
      ? consistencyTest(
          items.map((i) => i.logProba!),
          order[0],
          order[1],
          lib.entries[order[1]].name,
        )
      : null;
  const errorRate = heldBackErrorRate(lib.classifier, order[0], items.length);
  const calibration = cal
    ? openSetCalibrationAt(
        cal,
        items.length,
        order[0],
        lib.entries.map((e) => e.name),
      )
    : null;
  const neighbour =
    cal && M > 1
      ? neighbourCheck(
          cal,
          order[0],
          order[1],
          lib.entries[order[1]].name,
          items.map((i) => i.logProba!),
        )
      : null;
  return { posterior, order, temperature, tests, consistency, errorRate, calibration, neighbour };
}

/** Eq. 1 summed over each entry's enrolled bag embeddings: p(entry | z of this set). */
export async function judgeEmbedding(
  lib: PreparedLibrary,
  items: ImageEvidence[],
  encoder: SetEncoder | null,
): Promise<{ probability: Float64Array; order: number[] } | null> {
  if (!encoder || items.length === 0 || lib.entries.some((e) => !e.bagEmbeddings)) return null;
  // The mean of the images' features, each read once (examined evidence reads them back from the
  // case's spill file: feature-spill.ts); summed in order, then divided, as meanRows does.
  let sum: Float64Array | null = null;
  for (const item of items) {
    const f = item.features;
    if (!f) return null;
    sum ??= new Float64Array(f.length);
    for (let d = 0; d < f.length; d++) sum[d] += f[d];
  }
  for (let d = 0; d < sum!.length; d++) sum![d] /= items.length;
  const pooled = Float32Array.from(sum!);
  const [z] = await encoder.embedBags([pooled]);
  const logTerms: number[][] = lib.entries.map((e) => {
    const { dim: zd, count, data } = e.bagEmbeddings!;
    const out: number[] = [];
    for (let b = 0; b < count; b++) {
      let d = 0;
      for (let j = 0; j < zd; j++) {
        const v = z[j] - data[b * zd + j];
        d += v * v;
      }
      out.push(-d);
    }
    return out;
  });
  const all = logTerms.flat();
  const max = Math.max(...all);
  const total = all.reduce((s, v) => s + Math.exp(v - max), 0);
  const probability = Float64Array.from(logTerms, (ts) => ts.reduce((s, v) => s + Math.exp(v - max), 0) / total);
  return { probability, order: argsort(probability) };
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** The full verdict for one set of images under the chosen method. */
export async function judge(lib: PreparedLibrary, items: ImageEvidence[], method: MethodId, encoder: SetEncoder | null): Promise<Verdict> {
  const n = items.length;
  const names = lib.entries.map((e) => e.name);
  const residual = judgeResidual(lib, items);
  const classifierMethod = method !== 'residual';
  const classifier = classifierMethod ? judgeClassifier(lib, items) : null;
  const embedding = classifierMethod ? await judgeEmbedding(lib, items, encoder) : null;
  // The manifold method never gets here without a classifier (openAttributor refuses the library).
  const effective: MethodId = classifierMethod && classifier ? method : 'residual';

  const rejects = (t: OpenSetTest | null) => t !== null && t.exceedance > 0;
  const residualLabel = rejects(residual.test) ? null : names[residual.order[0]];
  const classifierLabel = classifier ? (classifier.tests.some(rejects) ? null : names[classifier.order[0]]) : undefined;
  const embeddingLabel = embedding ? names[embedding.order[0]] : undefined;

  let scores: Float64Array;
  let order: number[];
  let tests: OpenSetTest[];
  let decidedBy: string;
  let explanation: string;
  const describe = (t: OpenSetTest, entry: string) =>
    t.kind === 'novelty'
      ? `median log feature novelty ${fmt(t.statistic)} vs threshold ${fmt(t.threshold)} for ${entry} (unknown if above)`
      : `mean |corr| with ${entry}'s fingerprint ${fmt(t.statistic, 4)} vs threshold ${fmt(t.threshold, 4)} (unknown if below)`;
  if (effective !== 'residual' && classifier) {
    scores = classifier.posterior;
    order = classifier.order;
    tests = classifier.tests;
    decidedBy = 'classifier';
    const c = lib.classifier!;
    const how =
      c.blocks.length > 1
        ? `multinomial logistic regressions on ${describeFusion(c)}, their logits combined with ${c.weighting}` +
          (c.heldOutAccuracy !== null ? `; combined out-of-fold per-image accuracy ${fmt(c.heldOutAccuracy, 2)}` : '')
        : `multinomial logistic regression on ${lib.featureDescription ?? "the set-encoder's per-image φ features"}` +
          (lib.classifierCaveat ? `; ${lib.classifierCaveat}` : '');
    const bt = c.bagTemperature;
    const tempered = bt
      ? `divided by the bag temperature n^α = ${fmt(classifier.temperature, 2)} (α = ${fmt(bt.exponent, 2)}, fitted by maximum likelihood on ${bt.bags} sets of held-back enrolment images; ` +
        `α = 0 treats the images as independent, α = 1 as no more informative together than a single image)`
      : 'untempered (this classifier computed no held-back enrolment logits to fit a bag temperature on; it treats images as independent, so it grows confident quickly)';
    explanation =
      `Library classifier (${how}): ` +
      `p(entry | images) from the summed per-image log-probabilities of ${n} image${n === 1 ? '' : 's'} under a uniform prior, ${tempered}. ` +
      (classifier.consistency ? `Consistency: ${describeConsistency(classifier.consistency, names[order[0]])}. ` : '') +
      (classifier.errorRate
        ? `Error rate on held-back reference images: ${describeHeldBackError(classifier.errorRate)}. `
        : 'Error rate on held-back reference images: not estimated (this classifier kept no held-back enrolment logits). ') +
      `Open-set tests, either of which makes the evidence unknown: ${tests.map((t) => describe(t, names[order[0]])).join('; ')}` +
      (classifier.calibration
        ? ` (${describeOpenSetCalibration(classifier.calibration)}).`
        : ' (fixed thresholds of 3 standard errors: this library keeps no held-back data to calibrate them on).') +
      (classifier.neighbour ? ` Neighbour check: ${describeNeighbourCheck(classifier.neighbour, names[order[0]])}.` : '');
  } else {
    scores = residual.scores;
    order = residual.order;
    tests = residual.test ? [residual.test] : [];
    decidedBy = 'residual';
    explanation =
      `${lib.correlationDescription ?? 'Residual correlation'}: mean over ${n} image${n === 1 ? '' : 's'} of |corr(residual, fingerprint)| (Eq. 3–4) per entry. ` +
      `Open-set test: ${tests.map((t) => describe(t, names[order[0]])).join('; ') || 'no calibration stored'}.` +
      (method === 'dsf' ? ` (Set-encoder unavailable: ${lib.classifierNote ?? 'no features'}; fell back to the residual method.)` : '');
  }
  // No test without calibration (an entry enrolled from fewer than 4 images): never "unknown" then,
  // and the score says so by being null rather than a number.
  const unknownScore = tests.length ? Math.max(...tests.map((t) => t.exceedance)) : null;
  const unknown = order.length === 0 || (unknownScore !== null && unknownScore > 0);
  const decisive = tests.find((t) => t.exceedance === unknownScore) ?? tests[0];
  const openSet: Verdict['openSet'] = {
    kind: decisive?.kind ?? 'correlation',
    statistic: decisive?.statistic ?? NaN,
    threshold: decisive?.threshold ?? NaN,
    unknownScore,
    tests,
    ...(decidedBy === 'classifier' && classifier?.calibration ? { calibration: classifier.calibration } : {}),
  };

  const candidates: ScoredCandidate[] = order.map((k) => ({ name: names[k], family: lib.entries[k].family, score: scores[k] }));
  const top = order[0];
  const second = order.length > 1 ? order[1] : -1;
  const label = unknown ? null : names[top];
  const agreementLabels = [classifierLabel, embeddingLabel, residualLabel].filter((x) => x !== undefined);
  const verdict: Verdict = {
    label,
    family: unknown ? null : lib.entries[top].family,
    unknown,
    score: scores[top],
    runnerUp: second >= 0 ? names[second] : null,
    margin: second >= 0 ? scores[top] - scores[second] : scores[top],
    evidenceCount: n,
    method: effective,
    candidates,
    decidedBy,
    openSet,
    agreement: {
      ...(classifierLabel !== undefined ? { classifier: classifierLabel } : {}),
      ...(embeddingLabel !== undefined ? { embedding: embeddingLabel } : {}),
      residual: residualLabel,
      agree: agreementLabels.every((l) => l === agreementLabels[0]),
    },
    statement: '',
    explanation,
  };
  if (decidedBy === 'classifier' && classifier?.consistency) verdict.consistency = classifier.consistency;
  if (decidedBy === 'classifier' && classifier?.errorRate) verdict.errorRate = classifier.errorRate;
  if (decidedBy === 'classifier' && classifier?.neighbour) verdict.neighbour = classifier.neighbour;
  const evidenceCompression = items.map((i) => i.compression);
  if (top !== undefined && evidenceCompression.every((c): c is string => c !== undefined))
    verdict.compression = checkCompression(names[top], evidenceCompression, lib.entries[top].referenceCompression ?? null);
  const warned = items.filter((i) => i.decodedWithWarnings).length;
  if (warned > 0) verdict.decodedWithWarnings = warned;
  const history = checkProcessingHistory(items);
  if (history) verdict.processingHistory = history;
  if (embedding)
    verdict.explanation += ` Embedding (Eq. 1 over enrolled bag embeddings): ${embeddingLabel} with p = ${fmt(embedding.probability[embedding.order[0]])}.`;
  verdict.statement = statementFor(verdict, names[top] ?? null);
  return verdict;
}
