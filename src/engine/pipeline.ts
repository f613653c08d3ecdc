// Orchestration of the engine's jobs: ingest → residuals / φ features → library → attribution.
// Everything the CLI, the app and the evaluation harness do goes through these functions.
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { ingestFiles, ingestFolder } from './ingest/index.js';
import { countCompression } from './ingest/compression.js';
import { decorrelationScore } from './correlation.js';
import { LibraryError, withLibrary } from './library/index.js';
import { EngineError } from './errors.js';
import { requireFolder } from './util/folders.js';
import { DEFAULTS } from './defaults.js';
import { readModelCard } from './features/set-encoder.js';
import { EnrolmentBuilder } from './attribution/enrolment.js';
import { computeBanks, type BankEnrolmentResult } from './attribution/bank-enrolment.js';
import { PROCESSING_IDS, selectProcessings } from './attribution/banks.js';
import { residualEngine } from './residual/wavelet-onnx.js';
import { maybeManifoldModels } from './manifold/index.js';
import { clusterLibrary, labelled } from './attribution/library-analysis.js';
import { groupByMixture, correlationLikelihood, mixtureSplit, splitStatistic } from './attribution/grouping.js';
import { splitThresholdAt, type CalibrationSettings, type SplitTest } from './attribution/calibration.js';
import {
  cropLimitCaution,
  FeatureCache,
  featuresFor,
  maybeEncoder,
  openAttributor,
  throwIfAborted,
  type Attributor,
  type EngineOptions,
} from './attributor.js';
import type { ImageEvidence } from './attribution/judge.js';
import { fitStoredClassifiers, type FitSummary } from './library-ops.js';
import { drawBags } from './util/random.js';
import { stabilityCurve } from './attribution/stability.js';
import { gitCommit, softwareVersion } from './version.js';
import type {
  ClassifierEvidence,
  BagVerdict,
  Canvas,
  CaseResult,
  GroupVerdict,
  ImageResult,
  LibraryEntrySummary,
  ManifoldOptions,
  MethodId,
  Progress,
  SkippedFile,
  Verdict,
} from './types.js';
import { libraryErrorRates } from './classifier/held-back-error.js';
import { scoreIsProbability } from './types.js';
import { mixedStatement, statementFor } from '../shared/wording.js';

export type { EngineOptions } from './attributor.js';

export { DEFAULTS } from './defaults.js';

export interface EnrolRequest extends EngineOptions {
  libraryPath: string;
  name: string;
  family?: string;
  notes?: string;
  folders: string[];
  /** Enrol only these files (absolute paths below the single folder given), e.g. an evaluation's enrolment half. */
  files?: string[];
  canvas?: number;
  /**
   * Canvas tiles per reference image at most (ingest/decode.ts cropRects; default DEFAULTS.maxCrops),
   * recorded in the entry's provenance so attribution takes the evidence alike.
   */
  maxCrops?: number;
  /** Bag embeddings stored for Eq. 1 (paper: 100 bags per model). */
  bags?: number;
  /**
   * Also store the manifold method's projector parts (default true where its models exist). They
   * about double enrolment time: the projector and the manifold φ run on every reference image.
   */
  manifoldParts?: boolean;
  /**
   * Fit and store the library classifier with the entry (default true). false leaves the library
   * without one until the next change or `fitLibrary` (batch enrolment: fit once at the end).
   */
  fit?: boolean;
  /**
   * Also compute the reference banks (attribution/banks.ts: the references re-saved as JPEG and
   * WebP, so re-compressed evidence is matched to references processed like it). Default true (the
   * whole grid) where a set-encoder is loaded; false: none; a list of processing ids: those only.
   * Each bank costs about one more pass over the references and one more classifier per fit.
   */
  banks?: boolean | readonly string[];
  /** Follow symbolic links that lead outside the reference folders (default false: listed as skipped). */
  followExternalLinks?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface EnrolResult {
  entry: LibraryEntrySummary;
  skipped: SkippedFile[];
  /** The library classifier fitted with the new entry (null with `fit: false`). */
  fit: FitSummary | null;
  /**
   * The banks every entry of the library has (the ones re-saved evidence can be matched to), in the
   * grid's order, before and after this entry was added.
   */
  sharedBanks: { before: string[]; after: string[] };
  /** The reference banks computed (null with `banks: false` or without a set-encoder), with their cost. */
  banks: (Omit<BankEnrolmentResult, 'banks'> & { ids: string[]; images: number }) | null;
}

export interface AnalyseRequest extends EngineOptions {
  libraryPath: string;
  caseRoot: string;
  method?: MethodId;
  /** Manifold method: projection estimate and (knn) real reference entry. */
  manifold?: ManifoldOptions;
  /** dsf method: the library classifier's evidence, φ with the residual statistics (default) or φ alone. */
  classifierEvidence?: ClassifierEvidence;
  /** The calibrated decisions' rates (default 5 % false unknown, 1 % false split; attribution/calibration.ts). */
  falseUnknownRate?: number;
  falseSplitRate?: number;
  bagSize?: number;
  bags?: number;
  seed?: number;
  canvas?: number;
  /**
   * Canvas tiles per evidence image at most (ingest/decode.ts cropRects). Default: the limit the
   * library's references were enrolled with; another value is an override the case states.
   */
  maxCrops?: number;
  /**
   * Follow symbolic links whose target is outside the case folder (default false: they are listed
   * as skipped, 'outside-folder'). Recorded in the case, so verify-report walks the folder alike.
   */
  followExternalLinks?: boolean;
  /** Images per batch through the residual graph and φ (default: attributor's DEFAULT_BATCH). */
  batchSize?: number;
  caseId?: string;
  examiner?: string;
  notes?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

const BATCH = 16;

export async function enrol(req: EnrolRequest): Promise<EnrolResult> {
  for (const folder of req.folders) await requireFolder(folder);
  const bankGrid = selectProcessings(req.banks);
  // Loading the models takes seconds: say so before it starts.
  req.onProgress?.({ phase: 'prepare', done: 0, total: 1 });
  const encoder = await maybeEncoder(req);
  // The manifold method's enrolment runs beside the others whenever its models are present. Its φ.onnx
  // recomputes the projector internally (self-contained, fed images like every encoder); the
  // projector is a small share of that φ's cost, so the artifacts are not passed in instead.
  const manifold = encoder && req.manifoldParts !== false ? await maybeManifoldModels(req) : null;
  const skipped: SkippedFile[] = [];
  const shas: string[] = [];
  const compressions: string[] = [];
  const builder = new EnrolmentBuilder({ encoder, seed: 1, bags: req.bags, residualStatistics: true });
  const manifoldBuilder = manifold ? new EnrolmentBuilder({ encoder: manifold.encoder, seed: 1, bags: req.bags }) : null;
  const started = Date.now();
  const maxCrops = req.maxCrops ?? DEFAULTS.maxCrops;

  return withLibrary(req.libraryPath, async (lib) => {
    if (lib.listEntries().some((e) => e.name === req.name)) throw new LibraryError('name-taken', `the library already has an entry named "${req.name}"`);
    const cache = await FeatureCache.open(req.libraryPath);
    const residuals$ = residualEngine({ provider: req.provider, threads: req.threads ?? DEFAULTS.threads });
    for (const folder of req.folders) {
      let pending: { sha256: string; crops: Canvas[] }[] = [];
      const flush = async () => {
        // Residuals (ONNX graph) and φ run side by side on ONNX Runtime's threads.
        const [residuals, feats] = await Promise.all([
          residuals$.then((r) => r.residuals(pending.flatMap((p) => p.crops))),
          encoder ? featuresFor(encoder, pending, cache, maxCrops) : null,
        ]);
        let next = 0;
        pending.forEach((p, i) => {
          builder.add(p.sha256, residuals.slice(next, next + p.crops.length), feats ? feats[i] : null);
          next += p.crops.length;
        });
        if (manifold && manifoldBuilder) {
          const mfeats = await featuresFor(manifold.encoder, pending, cache, maxCrops);
          for (let i = 0; i < pending.length; i++) manifoldBuilder.add(pending[i].sha256, await manifold.projector.artifacts(pending[i].crops), mfeats[i]);
        }
        pending = [];
      };
      const opts = {
        canvas: req.canvas ?? DEFAULTS.canvas,
        maxCrops,
        followExternalLinks: req.followExternalLinks,
        signal: req.signal,
        onProgress: (p: Progress) => req.onProgress?.({ ...p, phase: `${p.phase === 'scan' ? 'scan' : 'enrol'} ${path.basename(folder)}` }),
      };
      for await (const ev of req.files ? ingestFiles(folder, req.files, opts) : ingestFolder(folder, opts)) {
        throwIfAborted(req.signal);
        if (ev.kind === 'skipped') {
          skipped.push(ev.skipped);
          continue;
        }
        shas.push(ev.image.file.sha256);
        compressions.push(ev.image.file.compression ?? 'unknown');
        pending.push({ sha256: ev.image.file.sha256, crops: ev.image.crops });
        if (pending.length >= BATCH) await flush();
      }
      await flush();
    }
    throwIfAborted(req.signal);
    req.onProgress?.({ phase: 'calibrate', done: builder.imageCount, total: builder.imageCount });
    const parts = await builder.finish();
    const mparts = manifoldBuilder ? await manifoldBuilder.finish() : null;
    throwIfAborted(req.signal);
    const banked =
      encoder && bankGrid.length > 0
        ? await computeBanks({
            folders: req.folders,
            files: req.files,
            followExternalLinks: req.followExternalLinks,
            canvas: req.canvas ?? DEFAULTS.canvas,
            maxCrops,
            shas,
            folds: builder.foldFingerprints(),
            encoder,
            residuals: async (crops) => (await residuals$).residuals(crops),
            cache,
            grid: bankGrid,
            signal: req.signal,
            onProgress: req.onProgress,
          })
        : null;
    const digest = createHash('sha256')
      .update([...shas].sort().join('\n'))
      .digest('hex');
    // Attribution uses only the banks every entry has (banks.ts commonBanks): an entry enrolled with
    // fewer banks than the others narrows what theirs can be used for, and the caller should say so.
    const sharedBanks = () => {
      const shared = encoder ? lib.sharedBankIds(encoder.phiSha256) : [];
      return PROCESSING_IDS.filter((id) => shared.includes(id));
    };
    const sharedBefore = sharedBanks();
    const entry = lib.addEntry({
      name: req.name,
      family: req.family ?? 'unknown',
      notes: req.notes ?? '',
      provenance: {
        sourceFolders: req.folders.map((f) => path.resolve(f)),
        fileCount: shas.length,
        skippedCount: skipped.length,
        sha256ListDigest: digest,
        compression: countCompression(compressions),
        maxCrops,
      },
      method: encoder ? (mparts ? 'residual+dsf+manifold' : 'residual+dsf') : 'residual',
      modelVersion: encoder ? encoder.phiSha256 : 'none',
      ...parts,
      ...(banked && banked.banks.length > 0 ? { banks: banked.banks } : {}),
      ...(manifold && mparts
        ? {
            manifold: {
              modelHash: manifold.encoder.phiSha256,
              projectorHash: manifold.projector.sha256,
              artifactFingerprint: mparts.residualFingerprint,
              calibration: mparts.calibration,
              imageFeatures: mparts.imageFeatures,
              bagEmbeddings: mparts.bagEmbeddings,
              centroid: mparts.centroid,
              heldOutArtifacts: mparts.heldOutResiduals,
            },
          }
        : {}),
    });
    await cache.persist();
    // The library classifier is fitted now, with the entry, so no analysis has to (library-ops.ts).
    const fit = req.fit === false ? null : await fitStoredClassifiers(lib, { signal: req.signal, onProgress: req.onProgress });
    req.onProgress?.({ phase: 'saved', done: shas.length, total: shas.length, rate: shas.length / ((Date.now() - started) / 1000) });
    const banks = banked
      ? {
          ids: banked.banks.map((b) => b.id),
          images: banked.banks[0]?.sha256.length ?? 0,
          seconds: banked.seconds,
          readSeconds: banked.readSeconds,
          leftOut: banked.leftOut,
        }
      : null;
    return { entry, skipped, fit, banks, sharedBanks: { before: sharedBefore, after: sharedBanks() } };
  });
}

function rate(done: number, startedMs: number, total: number): Pick<Progress, 'rate' | 'etaSeconds'> {
  const secs = (Date.now() - startedMs) / 1000;
  const r = secs > 0 ? done / secs : 0;
  return { rate: r, etaSeconds: r > 0 ? (total - done) / r : undefined };
}

export async function analyseCase(req: AnalyseRequest): Promise<CaseResult> {
  const t0 = Date.now();
  const method = req.method ?? DEFAULTS.method;
  const bagSize = req.bagSize ?? DEFAULTS.bagSize;
  const bagCount = req.bags ?? DEFAULTS.bags;
  const seed = req.seed ?? DEFAULTS.seed;
  const canvas = req.canvas ?? DEFAULTS.canvas;
  const caseRoot = path.resolve(req.caseRoot);
  const followExternalLinks = req.followExternalLinks === true;
  await requireFolder(req.caseRoot);

  // Opening the library and preparing its classifier takes seconds: say so before it starts.
  req.onProgress?.({ phase: 'prepare', done: 0, total: 1 });
  const calibration: CalibrationSettings = {
    falseUnknownRate: req.falseUnknownRate ?? DEFAULTS.falseUnknownRate,
    falseSplitRate: req.falseSplitRate ?? DEFAULTS.falseSplitRate,
  };
  const attributor = await openAttributor({ ...req, method, calibration });
  req.onProgress?.({ phase: 'prepare', done: 1, total: 1 });
  const prepared = attributor.library;
  const encoder = attributor.encoder;
  const tPrepared = Date.now();
  // The references' tile limit unless the request overrides it; a difference is stated in the case.
  const maxCrops = req.maxCrops ?? attributor.cropLimit.limit;
  const caution = cropLimitCaution(maxCrops, attributor.cropLimit);
  const { manifest, skipped, evidence } = await attributor.examine({
    root: caseRoot,
    canvas,
    maxCrops,
    followExternalLinks,
    batchSize: req.batchSize,
    signal: req.signal,
    onProgress: (p) => req.onProgress?.({ ...p, phase: p.phase === 'scan' ? 'scan' : 'analyse' }),
  });
  throwIfAborted(req.signal);
  const tIngested = Date.now();
  // Remember newly computed features so a re-analysis of unchanged files costs no inference.
  await attributor.persistCache();
  if (evidence.length === 0) throw new EngineError('no-usable-images', `no usable images in ${caseRoot} (${skipped.length} files skipped)`);

  const folderVerdict = await attributor.judge(evidence);
  const { groupOf, groups } = await groupEvidence(attributor, evidence, folderVerdict, calibration.falseSplitRate);
  const groupCount = groups.length;
  const useClassifier = scoreIsProbability(folderVerdict.method);
  if (groupCount > 1) {
    // No single entry explains a mixed folder: the attributions are the groups'.
    folderVerdict.mixed = true;
    folderVerdict.label = null;
    folderVerdict.family = null;
    folderVerdict.statement = mixedStatement(
      evidence.length,
      groups.map((g) => ({ images: g.files.length, label: g.label })),
      folderVerdict.candidates[0].name,
      folderVerdict.split,
    );
  }
  const grouping = { groupOf };

  // Bags of N images drawn with the case seed (paper: attribution of sets).
  const bags: BagVerdict[] = [];
  const bagIdx = drawBags(evidence.length, bagSize, bagCount, seed);
  for (let b = 0; b < bagIdx.length; b++) {
    throwIfAborted(req.signal);
    const members = bagIdx[b].map((i) => evidence[i]);
    const v = await attributor.judge(members);
    bags.push({ ...v, bagIndex: b, files: members.map((m) => m.relPath) });
    req.onProgress?.({ phase: 'bags', done: b + 1, total: bagIdx.length, ...rate(b + 1, tIngested, bagIdx.length) });
  }

  // Stability (Sec. 4.3): how the verdict behaves as the number of images per bag grows.
  const names = prepared.entries.map((e) => e.name);
  const stability = await stabilityCurve({
    evidence: evidence.filter((_, i) => grouping.groupOf[i] === 0),
    entryNames: names,
    verdictLabel: groups[0].label,
    referenceLabel: groups[0].label ?? groups[0].candidates[0].name,
    seed,
    judge: (members) => attributor.judge(members, { withEmbedding: false }),
  });

  // Correlation analysis: evidence groups × library (Eq. 4) and library × library (Eq. 5).
  const groupRows = groups.map((_, gi) => {
    const members = groupCount > 1 ? evidence.filter((_, i) => grouping.groupOf[i] === gi) : evidence;
    const row = new Array(names.length).fill(0);
    for (const m of members) for (let k = 0; k < names.length; k++) row[k] += m.corr[k] / members.length;
    return row;
  });
  const evidenceVsLibrary = labelled(
    groups.map((g, i) => (groupCount > 1 ? `group ${i + 1} (${g.files.length})` : `evidence (${g.files.length})`)),
    names,
    groupRows,
  );
  // Computed when the library last changed and stored in it (attributor.ts, matrixFor), not here.
  const libraryVsLibrary = attributor.libraryMatrix.matrix;
  const clustering = clusterLibrary(prepared, libraryVsLibrary);
  const finite = libraryVsLibrary.values.flat().every((v) => Number.isFinite(v));

  const images: ImageResult[] = evidence.map((e, i) => {
    const scores = useClassifier ? Array.from(e.logProba!, (v) => Math.exp(v)) : Array.from(e.corr);
    const k = scores.indexOf(Math.max(...scores));
    return {
      relPath: e.relPath,
      sha256: e.sha256,
      group: grouping.groupOf[i],
      topCandidate: names[k] ?? null,
      score: scores[k],
      residualCorr: Object.fromEntries(names.map((n, j) => [n, e.corr[j]])),
    };
  });

  const card = encoder ? encoder.card : readModelCard(req.modelsDir);
  return {
    schema: 'genprint.case/1',
    caseId: req.caseId ?? `case-${new Date(t0).toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`,
    createdAt: isoWithOffset(new Date(t0)),
    caseRoot,
    examiner: req.examiner,
    notes: req.notes,
    software: { name: 'Genprint', version: softwareVersion(), gitCommit: gitCommit() },
    params: {
      method: folderVerdict.method,
      bagSize,
      bags: bags.length,
      seed,
      canvas,
      provider: encoder?.provider ?? (await residualEngine({ provider: req.provider, threads: req.threads ?? DEFAULTS.threads })).provider,
      threads: encoder?.threads ?? req.threads ?? DEFAULTS.threads,
      followExternalLinks,
      ...(attributor.manifold ? { manifold: attributor.manifold } : {}),
      maxCrops,
      ...(caution ? { cropLimitCaution: caution } : {}),
    },
    model: {
      phiSha256: encoder?.phiSha256 ?? null,
      rhoSha256: encoder?.rhoSha256 ?? null,
      modelCardVersion: card ? `${card.name} ${card.version} (${card.configuration})` : null,
    },
    library: {
      path: path.resolve(req.libraryPath),
      sha256: attributor.librarySha256,
      entries: prepared.entries.map((e) => ({ id: e.id, name: e.name, family: e.family })),
      ...(prepared.classifier && method !== 'residual'
        ? {
            classifier: {
              blocks: prepared.classifier.blocks.map((b) => ({
                name: b.name,
                description: b.description === 'features' ? (prepared.featureDescription ?? b.description) : b.description,
                weight: b.weight,
              })),
              weighting: prepared.classifier.weighting,
              heldOutAccuracy: prepared.classifier.heldOutAccuracy,
              bagTemperatureExponent: prepared.classifier.bagTemperature?.exponent ?? null,
              caveat: prepared.classifierCaveat,
              errorRates: libraryErrorRates(prepared.classifier, Math.max(1, Math.min(bagSize, evidence.length))),
              ...(prepared.classifierOrigin ? { origin: prepared.classifierOrigin } : {}),
              ...(prepared.classifierFitSeconds !== undefined ? { fitSeconds: prepared.classifierFitSeconds } : {}),
              ...(prepared.calibration && prepared.calibrationOrigin
                ? {
                    calibration: {
                      origin: prepared.calibrationOrigin,
                      ...(prepared.calibrationSeconds !== undefined ? { seconds: prepared.calibrationSeconds } : {}),
                    },
                  }
                : {}),
            },
          }
        : {}),
      ...(attributor.unverifiedEntries.length > 0 ? { unverifiedEntries: attributor.unverifiedEntries } : {}),
    },
    manifest,
    skipped,
    images,
    verdicts: { folder: folderVerdict, groups, bags },
    correlation: {
      evidenceVsLibrary,
      libraryVsLibrary,
      decorrelationScore: finite ? decorrelationScore(libraryVsLibrary) : NaN,
      libraryVsLibraryOrigin: attributor.libraryMatrix.origin,
    },
    clustering,
    stability,
    timings: {
      prepareSeconds: (tPrepared - t0) / 1000,
      ingestSeconds: (tIngested - tPrepared) / 1000,
      totalSeconds: (Date.now() - t0) / 1000,
    },
  };
}

/**
 * Splits a possibly mixed folder (see grouping.ts) and judges each group. A split is reported only
 * when the split test supports it — its statistic above what single-source held-back sets of the
 * folder's size reach in at most the false-split rate of draws (calibration.ts) — and at least two
 * groups are attributed to distinct library entries: groups cut out of a foreign or noisy folder by
 * their best-matching entry are selected for that match. A split the test does not support leaves
 * the folder one source, heterogeneous, which the folder verdict states (`verdict.split`). Where the
 * library keeps no held-back data (residual method, φ alone, the manifold method) the split is not
 * tested and the second rule alone decides, as before the test existed.
 */
export async function groupEvidence(
  attributor: Attributor,
  evidence: ImageEvidence[],
  folderVerdict: Verdict,
  falseSplitRate: number,
): Promise<{ groupOf: number[]; groups: GroupVerdict[] }> {
  const single = () => ({
    groupOf: evidence.map(() => 0),
    groups: [{ ...folderVerdict, groupIndex: 0, files: evidence.map((e) => e.relPath) }],
  });
  const prepared = attributor.library;
  const useClassifier = scoreIsProbability(folderVerdict.method) && evidence.every((e) => e.logProba);
  const calibration = useClassifier ? (prepared.calibration ?? null) : null;
  let grouping: ReturnType<typeof groupByMixture>;
  let statistic: number;
  if (calibration) ({ grouping, statistic } = mixtureSplit(evidence.map((e) => e.logProba!)));
  else {
    // Residual correlations become likelihoods on the scale of the entries' own calibration spread.
    const spreads = prepared.entries.map((e) => e.calibration.residual?.stdCorr ?? 0.02).sort((a, b) => a - b);
    const temperature = Math.max(1e-4, spreads[Math.floor(spreads.length / 2)]);
    const likelihood = evidence.map((e) => (useClassifier ? Float64Array.from(e.logProba!, (v) => Math.exp(v)) : correlationLikelihood(e.corr, temperature)));
    grouping = groupByMixture(likelihood);
    statistic =
      grouping.componentOf.length >= 2
        ? splitStatistic(
            likelihood.map((l) => Float64Array.from(l, Math.log)),
            grouping.componentOf,
          )
        : 0;
  }
  if (grouping.componentOf.length < 2) return single();
  const groups: GroupVerdict[] = [];
  for (let g = 0; g < grouping.componentOf.length; g++) {
    const members = evidence.filter((_, i) => grouping.groupOf[i] === g);
    const v = await attributor.judge(members);
    groups.push({ ...v, groupIndex: g, files: members.map((m) => m.relPath) });
  }
  const knownLabels = new Set(groups.filter((g) => !g.unknown).map((g) => g.label));
  const n = evidence.length;
  const threshold = calibration ? splitThresholdAt(calibration, n) : null;
  const significant = threshold !== null && statistic > threshold;
  const split: SplitTest = {
    groups: groups.map((g, i) => ({ images: g.files.length, entry: prepared.entries[grouping.componentOf[i]].name })),
    statistic,
    threshold,
    falseSplitRate: calibration?.settings.falseSplitRate ?? falseSplitRate,
    n,
    significant,
    reported: (threshold === null || significant) && knownLabels.size >= 2,
  };
  folderVerdict.split = split;
  if (!split.reported) {
    folderVerdict.statement = statementFor(folderVerdict, folderVerdict.candidates[0]?.name ?? null);
    return single();
  }
  return { groupOf: grouping.groupOf, groups };
}

/** ISO 8601 with the local UTC offset (reports state the examiner's time zone). */
export function isoWithOffset(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  return `${local}${sign}${pad(off / 60)}:${pad(off % 60)}`;
}
