// `genprint eval`: the whole evaluation, per domain, from enrolment to the report.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import {
  analyseLibrary,
  enrol,
  fitLibrary,
  initLibrary,
  exportLibrary,
  openAttributor,
  type Attributor,
  type ImageEvidence,
  type LabelledMatrix,
  type Verdict,
} from '../engine/index.js';
import { copySidecar } from '../engine/attributor.js';
import { readModelCard } from '../engine/features/set-encoder.js';
import { clusterPurity } from '../engine/cluster.js';
import { decorrelationScore, diagonalContrast } from '../engine/correlation.js';
import { repoRoot } from '../engine/version.js';
import {
  corpusDomains,
  defaultCorpusDir,
  demoDomain,
  familyOverlaps,
  heldOutGenerators,
  robustnessScope,
  trainingSplit,
  type Domain,
  type GeneratorPool,
} from './corpus.js';
import {
  embeddingTop1,
  examineQueries,
  relPathOf,
  runEngine,
  runSpectral,
  spectralBagLabel,
  spectralFeaturesOf,
  top1,
  METHOD_LABELS,
  type DomainSplit,
  type EncoderSetup,
  type EngineRun,
  type MethodId,
  type SpectralRun,
  CANVAS,
} from './methods.js';
import {
  BAG_SIZES,
  auroc,
  bagDraws,
  mean,
  randomSplit,
  scoreDraws,
  seedFor,
  splitHalves,
  std,
  tallyFirmWrong,
  emptyFirmWrongTally,
  pairedDifference,
  type BagScore,
  type FirmWrongTally,
} from './protocol.js';
import { spectralLogProba } from './spectral-baseline.js';
import { TRANSFORMS, transformFiles, transformHasBank, type TransformId } from './robustness.js';
import { writeReport } from './report.js';
import type {
  AccuracyRow,
  DomainResult,
  EvalResult,
  OpenSetCalibrationResult,
  OpenSetResult,
  ReferenceCurvePoint,
  ScopeResult,
  SplitSensitivity,
  SplitStudyResult,
} from './results.js';
import { DEFAULTS } from '../engine/defaults.js';
import { groupEvidence } from '../engine/pipeline.js';
import { upperThreshold, type SplitTest } from '../engine/attribution/calibration.js';
import { heterogeneousLabel } from '../shared/calibration.js';
import { verdictWording } from '../shared/wording.js';

export type {
  AccuracyRow,
  DomainResult,
  EvalResult,
  OpenSetCalibrationResult,
  OpenSetResult,
  ReferenceCurve,
  ReferenceCurvePoint,
  ScopeResult,
  SplitSensitivity,
  SplitStudyResult,
} from './results.js';

export interface EvalOptions {
  quick?: boolean;
  /** Output folder for results.md/json and img/; default: a temp folder (quick) or docs/ (full). */
  out?: string;
  corpusDir?: string;
  /** Restrict to these corpus domains (the demo zoo is always evaluated). */
  domains?: string[];
  draws?: number;
  seed?: number;
  /** Models folder to score beside the shipped models (paired "DSF+ minus baseline" rows). */
  baselineModels?: string;
  /** Leave the demo zoo out (e.g. a model change that cannot affect its 64-px images). */
  skipDemo?: boolean;
  /**
   * Held-out scopes only, without the controls, open set, split and reference studies: the
   * re-compression robustness rows with and without reference banks (a shorter run for them).
   */
  robustnessOnly?: boolean;
  /**
   * Only the calibrated verdicts' study (issue #20): DSF+ with the shipped models, its closed-set
   * row, the open set (each generator left out in turn) and the split test, on the held-out scopes
   * and on the "all" scopes small enough for the open set; no controls, baselines, other methods,
   * robustness, clustering or split studies.
   */
  calibrationOnly?: boolean;
  /**
   * Split each generator's images into seeded random halves with this seed instead of the sorted
   * even/odd halves (e.g. to measure the open set where a sample sheet's columns are classes, so
   * even/odd halves hold different content).
   */
  randomSplit?: number;
  log?: (line: string) => void;
}

const CONTROLS = ['untrained', 'random-ensemble'] as const;
/** "All generators" scopes with at most this many generators also get the leave-one-out open-set study (DSF+ only). */
const ALL_SCOPE_OPEN_SET_MAX = 6;
/** Encoders scored beside the shipped one with the same classifier, in table order. */
const COMPARED = [...CONTROLS, 'baseline'] as const;
/** Bag size at which wrong verdicts are checked for firm wording (as in the robustness tables). */
const FIRM_WRONG_N = 10;
/** The re-compressions that reference banks are matched to (--robustness-only). */
const RECOMPRESSIONS: TransformId[] = [
  'jpeg95',
  'jpeg90',
  'jpeg85',
  'jpeg75',
  'jpeg65',
  'jpeg50',
  'jpeg90-444',
  'jpeg75-444',
  'webp90',
  'webp75',
  'webp50',
  'jpeg75png',
];

/** Exports the control encoders with the training code when they are not cached yet. */
export function ensureControls(log: (s: string) => void): Record<string, string> {
  const root = path.join(repoRoot(), '.cache', 'controls');
  const have = () => CONTROLS.every((c) => existsSync(path.join(root, c, 'model-card.json')));
  if (!have()) {
    const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    log(`exporting the control encoders (${py} training/export_controls.py) …`);
    const r = spawnSync(py, [path.join(repoRoot(), 'training', 'export_controls.py'), '--out', root], {
      cwd: repoRoot(),
      encoding: 'utf8',
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    });
    if (r.status !== 0) log(`could not export the controls (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}); their rows are skipped`);
  }
  return have() ? Object.fromEntries(CONTROLS.map((c) => [c, path.join(root, c)])) : {};
}

class Eta {
  private done = 0;
  private readonly t0 = Date.now();
  constructor(
    private total: number,
    private readonly log: (s: string) => void,
  ) {}
  add(units: number): void {
    this.done += units;
  }
  say(what: string): void {
    const secs = (Date.now() - this.t0) / 1000;
    const frac = Math.min(1, this.done / Math.max(1, this.total));
    const eta = frac > 0.02 ? (secs / frac) * (1 - frac) : NaN;
    this.log(`[${fmtTime(secs)}${Number.isFinite(eta) ? `, ETA ${fmtTime(eta)}` : ''}, ${(100 * frac).toFixed(0)} %] ${what}`);
  }
}

function fmtTime(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`;
}

/** Work estimate of a domain, in "64×64 images through one φ": drives the ETA only. */
function domainUnits(d: Domain, setups: number, extras: boolean): number {
  const side = Number(/(\d+)x/.exec(d.imageSize)?.[1] ?? 64);
  const w = Math.max(0.3, (Math.min(side, 256) / 64) ** 2);
  const imgs = d.generators.reduce((s, g) => s + g.files.length, 0);
  return imgs * w * (setups + 0.5) * (extras ? 5 : 1);
}

/** The protocol's sorted even/odd split, or with `randomSeed` a seeded random half split (per generator). */
function makeSplit(gens: GeneratorPool[], cap?: number, randomSeed?: number, enrolFraction = 0.5): DomainSplit {
  const enrol = new Map<string, string[]>();
  const query = new Map<string, string[]>();
  for (const g of gens) {
    const files = cap ? g.files.slice(0, cap) : g.files;
    const s = randomSeed === undefined ? splitHalves(files) : randomSplit(files, seedFor(randomSeed, g.name), enrolFraction);
    enrol.set(g.name, s.enrol);
    query.set(g.name, s.query);
  }
  return { generators: gens, enrol, query };
}

type Predictor = (gen: string, bag: string[]) => Promise<string | null>;

/** Closed-set scores at each bag size: R draws, one bag per generator per draw, same bags for every method. */
async function closedSet(
  domainName: string,
  queries: Map<string, string[]>,
  sizes: readonly number[],
  repeats: number,
  seed: number,
  predict: Predictor,
): Promise<Record<string, BagScore | null>> {
  const gens = [...queries.keys()];
  const out: Record<string, BagScore | null> = {};
  for (const n of sizes) {
    const preds: (string | null)[][] = [];
    let capped = false;
    for (const g of gens) {
      const q = queries.get(g)!;
      if (n > q.length) capped = true;
      const draws = bagDraws(q.length, n, repeats, seedFor(seed, domainName, g, n));
      const row: (string | null)[] = [];
      for (const d of draws)
        row.push(
          await predict(
            g,
            d.map((i) => q[i]),
          ),
        );
      preds.push(row);
    }
    out[String(n)] = preds.some((p) => p.length) ? scoreDraws(gens, preds, repeats, capped) : null;
  }
  return out;
}

function engineJudge(
  att: { judge(items: ImageEvidence[], o?: { withEmbedding?: boolean }): Promise<Verdict> },
  ev: Map<string, Map<string, ImageEvidence>>,
  pick: (v: Verdict, gen: string) => string | null = top1,
  withEmbedding = false,
): Predictor {
  return async (g, bag) =>
    pick(
      await att.judge(
        bag.map((r) => ev.get(g)!.get(r)!),
        { withEmbedding },
      ),
      g,
    );
}

/** top1, counting on the way the wrong verdicts whose wording stays above "weak". */
function tallyingTop1(tally: FirmWrongTally): (v: Verdict, gen: string) => string | null {
  return (v, gen) => {
    tallyFirmWrong(tally, gen, v);
    return top1(v);
  };
}

function spectralJudge(run: SpectralRun): Predictor {
  return async (g, bag) =>
    spectralBagLabel(
      run.model,
      bag.map((r) => run.logProba.get(g)!.get(r)!),
    );
}

/** Query relPaths present for every method (a file one method skipped is dropped for all). */
function commonQueries(split: DomainSplit, root: string, maps: Map<string, Map<string, unknown>>[]): Map<string, string[]> {
  return new Map(
    split.generators.map((g) => [
      g.name,
      split.query
        .get(g.name)!
        .map((f) => relPathOf(root, f))
        .filter((r) => maps.every((m) => m.get(g.name)?.has(r))),
    ]),
  );
}

interface CorrelationSource {
  cols: string[];
  evidence: Map<string, Map<string, ImageEvidence>>;
}

const residualSource = (run: EngineRun): CorrelationSource => ({ cols: run.dsf.library.entries.map((e) => e.name), evidence: run.evidence });

function correlationOf(run: CorrelationSource, queries: Map<string, string[]>): LabelledMatrix {
  const cols = run.cols;
  const rows = [...queries.keys()];
  const values = rows.map((g) => {
    const acc = new Array(cols.length).fill(0);
    const q = queries.get(g)!;
    for (const r of q) {
      const c = run.evidence.get(g)!.get(r)!.corr;
      for (let k = 0; k < cols.length; k++) acc[k] += c[k] / q.length;
    }
    return acc;
  });
  return { rows, cols, values };
}

function scoreVsBagSize(run: CorrelationSource, domainName: string, queries: Map<string, string[]>, sizes: readonly number[], repeats: number, seed: number) {
  const cols = run.cols;
  const rows = [...queries.keys()];
  return sizes.map((n) => {
    const scores: number[] = [];
    const contrasts: number[] = [];
    const drawsPer = rows.map((g) => bagDraws(queries.get(g)!.length, n, repeats, seedFor(seed, domainName, g, n)));
    for (let r = 0; r < repeats; r++) {
      const values = rows.map((g, gi) => {
        const d = drawsPer[gi][r % drawsPer[gi].length];
        const acc = new Array(cols.length).fill(0);
        for (const i of d) {
          const c = run.evidence.get(g)!.get(queries.get(g)![i])!.corr;
          for (let k = 0; k < cols.length; k++) acc[k] += c[k] / d.length;
        }
        return acc;
      });
      scores.push(decorrelationScore({ rows, cols, values }));
      contrasts.push(diagonalContrast({ rows, cols, values }));
    }
    return { n, decorrelation: mean(scores), decorrelationStd: std(scores), diagonalContrast: mean(contrasts) };
  });
}

interface ScopeContext {
  domain: Domain;
  scope: 'held-out' | 'all';
  gens: GeneratorPool[];
  setups: EncoderSetup[];
  work: string;
  sizes: readonly number[];
  repeats: number;
  seed: number;
  extras: {
    openSet: boolean;
    robustness: TransformId[] | null;
    clustering: boolean;
    bagsAblation: number[] | null;
    splitSeeds?: number[];
    /** Enrolment fractions besides ½ for the reference-count study (on the split seeds). */
    referenceFractions?: number[];
    /** The split test on single-source bags and mixtures (default on; off for --robustness-only). */
    splitStudy?: boolean;
  };
  cap?: number;
  /** Seeded random halves instead of the even/odd split (EvalOptions.randomSplit). */
  splitSeed?: number;
  /** EvalOptions.calibrationOnly: DSF+ alone, then the open set and the split study. */
  calibrationOnly?: boolean;
  eta: Eta;
  log: (s: string) => void;
}

async function evaluateScope(ctx: ScopeContext): Promise<ScopeResult> {
  const { domain, gens, sizes, repeats, seed, eta } = ctx;
  const split = makeSplit(gens, ctx.cap, ctx.splitSeed);
  const notes: string[] = [];
  if (ctx.splitSeed !== undefined) notes.push(`Enrolment/query halves: seeded random halves (seed ${ctx.splitSeed}), not the sorted even/odd halves.`);
  const side = Number(/(\d+)x/.exec(domain.imageSize)?.[1] ?? 64);
  const unitOf = (n: number) => n * Math.max(0.3, (Math.min(side, 256) / 64) ** 2);

  const runs = new Map<EncoderSetup['id'], EngineRun>();
  for (const s of ctx.setups) {
    eta.say(`${domain.name} (${ctx.scope}): enrol + examine with φ = ${s.id}`);
    runs.set(s.id, await runEngine(domain, split, s, path.join(ctx.work, ctx.scope), { onImages: (n) => eta.add(unitOf(n)), ablations: !ctx.calibrationOnly }));
  }
  if (ctx.calibrationOnly) return calibrationScope(ctx, split, runs.get('shipped'), notes);
  eta.say(`${domain.name} (${ctx.scope}): spectral baseline`);
  const spectral = await runSpectral(domain, split);
  eta.add(unitOf(gens.reduce((s, g) => s + g.files.length, 0) * 0.3));

  const shipped = runs.get('shipped') ?? runs.values().next().value!;
  const sRun = runs.get('shipped');
  const knn = sRun ? await knnRun(ctx, split, sRun) : null;
  const queries = commonQueries(split, domain.root, [
    ...[...runs.values()].map((r) => r.evidence),
    ...(sRun?.manifold ? [sRun.manifold.evidence] : []),
    ...(knn ? [knn.evidence] : []),
    spectral.logProba,
  ]);
  const accuracy: AccuracyRow[] = [];
  let firmWrong: FirmWrongTally | undefined;
  const row = async (method: MethodId, predict: Predictor, only?: number[]) =>
    accuracy.push({ method, label: METHOD_LABELS[method], bySize: await closedSet(domain.name, queries, only ?? sizes, repeats, seed, predict) });

  eta.say(`${domain.name} (${ctx.scope}): judging bags`);
  const s = runs.get('shipped');
  if (s) {
    if (!s.hasClassifier) notes.push(`shipped φ: no library classifier (${s.dsf.library.classifierNote}); the dsf method fell back to the residual method.`);
    await row('dsf+', engineJudge(s.dsf, s.evidence));
    // The same n = 10 bags again, keeping each verdict's wording: how many wrong ones read as firm.
    firmWrong = emptyFirmWrongTally();
    await closedSet(domain.name, queries, [FIRM_WRONG_N], repeats, seed, engineJudge(s.dsf, s.evidence, tallyingTop1(firmWrong)));
    const dsfPlus = accuracy[accuracy.length - 1];
    accuracy.push({ method: 'dsf-', label: METHOD_LABELS['dsf-'], bySize: { '1': dsfPlus.bySize['1'] }, note: 'the n = 1 column of DSF+' });
    if (s.dsfPhiOnly) await row('dsf-phi', engineJudge(s.dsfPhiOnly.attributor, s.dsfPhiOnly.evidence));
  } else notes.push('no shipped models (models/model-card.json): DSF+ and DSF− rows skipped.');
  await row('residual', engineJudge(shipped.residual, shipped.evidence));
  if (s?.manifold) await row('manifold-projector', engineJudge(s.manifold.attributor, s.manifold.evidence));
  else if (s) notes.push('no manifold models (models/manifold, models/projector.onnx): manifold rows skipped.');
  if (knn) {
    await row('manifold-knn', engineJudge(knn.attributor, knn.evidence));
    if (knn.note) notes.push(knn.note);
  } else if (s) notes.push(`manifold kNN row skipped: ${domain.name} has no real image set to serve as the reference.`);
  await row('spectral', spectralJudge(spectral));
  for (const c of COMPARED) {
    const r = runs.get(c);
    if (r) await row(c, engineJudge(r.dsf, r.evidence));
  }

  const result = scopeResult(ctx, split, queries, residualSource(shipped), accuracy, firmWrong, notes);
  if (s?.manifold) {
    const src = { cols: s.manifold.attributor.library.entries.map((e) => e.name), evidence: s.manifold.evidence };
    const am = correlationOf(src, queries);
    result.artifactCorrelation = {
      matrix: am,
      decorrelation: decorrelationScore(am),
      diagonalContrast: diagonalContrast(am),
      scoreVsBagSize: scoreVsBagSize(src, domain.name, queries, sizes, repeats, seed),
    };
  }

  if (ctx.extras.openSet && s) {
    if (gens.length < 3) notes.push('open set skipped: leaving one generator out of 2 leaves a single entry (no classifier).');
    else if (!s.dsf.library.calibration && ctx.scope === 'all')
      notes.push(
        `open set skipped: the library keeps no held-back data to calibrate on (${s.dsf.library.classifierNote ?? 'an entry has fewer than 4 enrolment images'}).`,
      );
    else {
      eta.say(`${domain.name} (${ctx.scope}): open set (leave one generator out)`);
      result.openSet = await openSet(ctx, split, s, queries, knn, { dsfOnly: ctx.scope === 'all' });
    }
  }
  if (s?.hasClassifier && ctx.extras.splitStudy !== false) {
    if (!s.dsf.library.calibration) notes.push('split study skipped: the library keeps no held-back data to calibrate the split test on.');
    else {
      eta.say(`${domain.name} (${ctx.scope}): split test on single-source bags and mixtures`);
      result.splitStudy = await splitStudy(ctx, s, queries);
    }
  }
  if (ctx.extras.robustness?.length) {
    eta.say(`${domain.name} (${ctx.scope}): robustness`);
    result.robustness = await robustness(ctx, split, runs, spectral, queries, knn);
  }
  if (ctx.extras.clustering && s) {
    const a = await analyseLibrary(s.libraryPath, { modelsDir: s.setup.modelsDir });
    if (a.clustering) {
      const families = a.clustering.labels.map((l) => gens.find((g) => g.name === l)?.family ?? 'unknown');
      const k = new Set(families).size;
      result.clustering = {
        clusteredOn: a.clusteredOn,
        cophenetic: a.clustering.copheneticCorrelation,
        purity: clusterPurity(a.clustering, families, k),
        k,
        families,
        order: a.clustering.order.map((i) => a.clustering!.labels[i]),
        tree: a.clustering,
      };
    }
  }
  if (ctx.extras.splitSeeds?.length && s) {
    eta.say(`${domain.name} (${ctx.scope}): other enrolment/query splits`);
    const evenOdd = accuracy.find((a) => a.method === 'dsf+')?.bySize[String(SPLIT_N)]?.mean ?? NaN;
    const halves = await randomSplitScores(ctx, s, 0.5);
    result.splitSensitivity = { n: SPLIT_N, evenOdd, ...summarise(halves.splits) };
    if (ctx.extras.referenceFractions?.length) {
      eta.say(`${domain.name} (${ctx.scope}): accuracy vs reference images per generator`);
      const points = [halves];
      for (const f of ctx.extras.referenceFractions) points.push(await randomSplitScores(ctx, s, f));
      result.referenceCurve = { n: SPLIT_N, points: points.sort((a, b) => a.fraction - b.fraction) };
    }
  }
  if (ctx.extras.bagsAblation && s) {
    eta.say(`${domain.name} (${ctx.scope}): ablation over enrolment bags per model`);
    result.bagsAblation = [];
    const n = Math.min(10, Math.max(...sizes));
    for (const B of ctx.extras.bagsAblation) {
      const r = await runEngine(domain, split, s.setup, path.join(ctx.work, ctx.scope), { bags: B, tag: `bags${B}`, reuseCacheFrom: s.libraryPath });
      const emb = await closedSet(domain.name, queries, [n], repeats, seed, engineJudge(r.dsf, r.evidence, embeddingTop1, true));
      const cls = await closedSet(domain.name, queries, [n], repeats, seed, engineJudge(r.dsf, r.evidence));
      result.bagsAblation.push({ bags: B, embedding: emb[String(n)]!, classifier: cls[String(n)]! });
    }
  }
  return result;
}

const SPLIT_N = 10;

/** What every scope reports: its generators, chance, the accuracy rows, the residual correlation matrix and score curve. */
function scopeResult(
  ctx: ScopeContext,
  split: DomainSplit,
  queries: Map<string, string[]>,
  residuals: CorrelationSource,
  accuracy: AccuracyRow[],
  firmWrong: FirmWrongTally | undefined,
  notes: string[],
): ScopeResult {
  const { domain, gens, sizes, repeats, seed } = ctx;
  const matrix = correlationOf(residuals, queries);
  return {
    scope: ctx.scope,
    generators: gens.map((g) => ({
      name: g.name,
      family: g.family,
      trained: g.trained,
      enrol: split.enrol.get(g.name)!.length,
      query: queries.get(g.name)!.length,
    })),
    chance: 1 / gens.length,
    accuracy,
    ...(firmWrong ? { firmWrong } : {}),
    correlation: { matrix, decorrelation: decorrelationScore(matrix), diagonalContrast: diagonalContrast(matrix) },
    scoreVsBagSize: scoreVsBagSize(residuals, domain.name, queries, sizes, repeats, seed),
    notes,
  };
}

/** EvalOptions.calibrationOnly: DSF+'s closed-set row (and firm wrong verdicts), then the open set and the split test. */
async function calibrationScope(ctx: ScopeContext, split: DomainSplit, s: EngineRun | undefined, notes: string[]): Promise<ScopeResult> {
  if (!s) throw new Error('--calibration-only needs the shipped models (models/model-card.json)');
  const { domain, gens, sizes, repeats, seed, eta } = ctx;
  notes.push('--calibration-only: DSF+ alone, then the open set and the split test; the other methods, controls and studies were not run.');
  const queries = commonQueries(split, domain.root, [s.evidence]);
  eta.say(`${domain.name} (${ctx.scope}): judging bags`);
  const firmWrong = emptyFirmWrongTally();
  const accuracy: AccuracyRow[] = [
    { method: 'dsf+', label: METHOD_LABELS['dsf+'], bySize: await closedSet(domain.name, queries, sizes, repeats, seed, engineJudge(s.dsf, s.evidence)) },
  ];
  await closedSet(domain.name, queries, [FIRM_WRONG_N], repeats, seed, engineJudge(s.dsf, s.evidence, tallyingTop1(firmWrong)));
  const result = scopeResult(ctx, split, queries, residualSource(s), accuracy, firmWrong, notes);
  if (gens.length < 3) notes.push('open set skipped: leaving one generator out of 2 leaves a single entry (no classifier).');
  else if (!s.dsf.library.calibration) notes.push('open set and split study skipped: the library keeps no held-back data to calibrate on.');
  else {
    eta.say(`${domain.name} (${ctx.scope}): open set (leave one generator out)`);
    result.openSet = await openSet(ctx, split, s, queries, null, { dsfOnly: true });
    eta.say(`${domain.name} (${ctx.scope}): split test on single-source bags and mixtures`);
    result.splitStudy = await splitStudy(ctx, s, queries);
  }
  return result;
}

function summarise(splits: { seed: number; top1: number }[]): Omit<SplitSensitivity, 'n' | 'evenOdd'> {
  const xs = splits.map((x) => x.top1);
  return { splits, mean: mean(xs), sd: std(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/**
 * Re-enrols the scope's generators on seeded random splits (a share `fraction` of each
 * generator's images enrolled, the rest queried) and scores DSF+ at n = 10 on each split seed.
 */
async function randomSplitScores(ctx: ScopeContext, shipped: EngineRun, fraction: number): Promise<ReferenceCurvePoint> {
  const splits: ReferenceCurvePoint['splits'] = [];
  let counts: number[] = [];
  let capped: string[] = [];
  for (const seed of ctx.extras.splitSeeds!) {
    const split = makeSplit(ctx.gens, ctx.cap, seed, fraction);
    counts = ctx.gens.map((g) => split.enrol.get(g.name)!.length);
    capped = ctx.gens.filter((g) => split.query.get(g.name)!.length < SPLIT_N).map((g) => g.name);
    const tag = fraction === 0.5 ? `split${seed}` : `split${seed}-f${fraction}`;
    const r = await runEngine(ctx.domain, split, shipped.setup, path.join(ctx.work, ctx.scope), { tag, reuseCacheFrom: shipped.libraryPath });
    const queries = commonQueries(split, ctx.domain.root, [r.evidence]);
    const score = (await closedSet(ctx.domain.name, queries, [SPLIT_N], ctx.repeats, ctx.seed, engineJudge(r.dsf, r.evidence)))[String(SPLIT_N)];
    if (score) splits.push({ seed, top1: score.mean });
  }
  const sorted = [...counts].sort((a, b) => a - b);
  return { fraction, enrolMedian: sorted[Math.floor(sorted.length / 2)], enrolMin: sorted[0], enrolMax: sorted[sorted.length - 1], capped, splits };
}

interface KnnRun {
  attributor: Attributor;
  evidence: Map<string, Map<string, ImageEvidence>>;
  libraryPath: string;
  /** Name of the real reference entry. */
  reference: string;
  note?: string;
}

/**
 * The manifold method's kNN estimate needs a real reference entry of the domain. Where the scope's
 * generators include the domain's real set, the scope's own library serves; otherwise (held-out
 * scopes: real sets always train the encoder) a copy of it gains the real set's enrolment half, one
 * candidate more than the other rows face, which the notes state.
 */
async function knnRun(ctx: ScopeContext, split: DomainSplit, run: EngineRun): Promise<KnnRun | null> {
  let real = ctx.gens.find((g) => g.family === 'real');
  let libraryPath = run.libraryPath;
  let note: string | undefined;
  if (!real) {
    real = ctx.domain.generators.find((g) => g.family === 'real');
    if (!real) return null;
    libraryPath = path.join(ctx.work, ctx.scope, 'knn-reference.genprint');
    await exportLibrary(
      run.libraryPath,
      libraryPath,
      run.dsf.library.entries.map((e) => e.name),
    );
    copySidecar(run.libraryPath, libraryPath);
    const files = real.files.slice(0, Math.ceil(real.files.length / 2));
    await enrol({
      libraryPath,
      name: real.name,
      family: 'real',
      folders: [ctx.domain.root],
      files,
      modelsDir: run.setup.modelsDir,
      canvas: CANVAS,
      banks: false,
    });
    note = `manifold kNN: reference set ${real.name} (${files.length} images) enrolled beside the scope's entries, so that row has M + 1 = ${ctx.gens.length + 1} candidates (chance ${f3(1 / (ctx.gens.length + 1))}).`;
  }
  const attributor = await openAttributor({
    libraryPath,
    method: 'manifold',
    manifold: { estimate: 'knn', reference: real.name },
    modelsDir: run.setup.modelsDir,
  });
  const evidence = await examineQueries(attributor, ctx.domain.root, split);
  await attributor.persistCache();
  return { attributor, evidence, libraryPath, reference: real.name, note };
}

const f3 = (x: number) => x.toFixed(3);

async function openSet(
  ctx: ScopeContext,
  split: DomainSplit,
  run: EngineRun,
  queries: Map<string, string[]>,
  knn: KnnRun | null,
  opts: { dsfOnly?: boolean } = {},
): Promise<OpenSetResult> {
  const n = 10;
  const names = ctx.gens.map((g) => g.name);
  const bucket = () => ({ pos: [] as number[], neg: [] as number[], upos: 0, uneg: 0 });
  const scores: Partial<Record<MethodId, ReturnType<typeof bucket>>> = { 'dsf+': bucket() };
  if (!opts.dsfOnly) scores.residual = bucket();
  if (run.manifold && !opts.dsfOnly) scores['manifold-projector'] = bucket();
  // kNN needs its real reference in every reduced library: only where the reference is one of the scope's entries.
  const knnHere = knn !== null && knn.libraryPath === run.libraryPath && !opts.dsfOnly;
  if (knnHere) scores['manifold-knn'] = bucket();
  // The verdict's own continuous score: the largest exceedance of its open-set tests (> 0 = unknown).
  const unknownScore = (v: Verdict) => v.openSet.unknownScore ?? -Infinity;
  const firm = (v: Verdict) => !v.unknown && v.label !== null && verdictWording(v).strength !== 'weak';
  const cal: OpenSetCalibrationResult = {
    falseUnknownRate: DEFAULTS.falseUnknownRate,
    statedDetection: null,
    detection: 0,
    falseUnknown: 0,
    leftOutBags: 0,
    knownBags: 0,
    perGenerator: [],
    namedLeftOut: 0,
    firmWrongLeftOut: 0,
    firmWrongLeftOutWithoutNeighbour: 0,
    fixed: { detection: 0, falseUnknown: 0, namedLeftOut: 0, firmWrongLeftOut: 0 },
  };
  const stated: number[] = [];
  for (const [gi, g] of names.entries()) {
    const dest = path.join(ctx.work, ctx.scope, `without-${gi}.genprint`);
    await exportLibrary(
      run.libraryPath,
      dest,
      names.filter((x) => x !== g),
    );
    copySidecar(run.libraryPath, dest);
    const dsf = await openAttributor({ libraryPath: dest, method: 'dsf', modelsDir: run.setup.modelsDir });
    // The fixed thresholds on the same evidence (the classifier is the same fit, cached by content).
    const fixed = await openAttributor({ libraryPath: dest, method: 'dsf', modelsDir: run.setup.modelsDir, calibration: null });
    const ev = await examineQueries(dsf, ctx.domain.root, split);
    const judged: [MethodId, Attributor, Map<string, Map<string, ImageEvidence>>][] = [['dsf+', dsf, ev]];
    if (!opts.dsfOnly) {
      const residual = await openAttributor({ libraryPath: dest, method: 'residual', modelsDir: run.setup.modelsDir });
      judged.push(['residual', residual, ev]);
    }
    if (run.manifold && !opts.dsfOnly) {
      const m = await openAttributor({ libraryPath: dest, method: 'manifold', manifold: { estimate: 'projector' }, modelsDir: run.setup.modelsDir });
      judged.push(['manifold-projector', m, await examineQueries(m, ctx.domain.root, split)]);
    }
    if (knnHere && knn!.reference !== g) {
      const m = await openAttributor({
        libraryPath: dest,
        method: 'manifold',
        manifold: { estimate: 'knn', reference: knn!.reference },
        modelsDir: run.setup.modelsDir,
      });
      judged.push(['manifold-knn', m, await examineQueries(m, ctx.domain.root, split)]);
    }
    const mine = { generator: g, bags: 0, unknown: 0, stated: [] as number[] };
    for (const h of names) {
      const q = queries.get(h)!.filter((r) => ev.get(h)!.has(r));
      for (const d of bagDraws(q.length, n, ctx.repeats, seedFor(ctx.seed, ctx.domain.name, 'open', g, h))) {
        for (const [m, att, mev] of judged) {
          const items = d.map((i) => mev.get(h)!.get(q[i])!);
          if (items.some((x) => !x)) continue;
          const v = await att.judge(items, { withEmbedding: false });
          const bucket = scores[m]!;
          if (h === g) {
            bucket.pos.push(unknownScore(v));
            if (v.unknown) bucket.upos++;
          } else {
            bucket.neg.push(unknownScore(v));
            if (v.unknown) bucket.uneg++;
          }
          if (m !== 'dsf+') continue;
          const f = await fixed.judge(items, { withEmbedding: false });
          if (h === g) {
            cal.leftOutBags++;
            mine.bags++;
            if (v.unknown) mine.unknown++;
            const rate = v.openSet.calibration?.detectionRate;
            if (rate !== undefined && rate !== null) mine.stated.push(rate);
            if (!v.unknown && v.label !== null) cal.namedLeftOut++;
            if (firm(v)) cal.firmWrongLeftOut++;
            const { neighbour: _check, ...withoutNeighbour } = v;
            if (firm(withoutNeighbour)) cal.firmWrongLeftOutWithoutNeighbour++;
            if (f.unknown) cal.fixed.detection++;
            if (!f.unknown && f.label !== null) cal.fixed.namedLeftOut++;
            if (firm(f)) cal.fixed.firmWrongLeftOut++;
          } else {
            cal.knownBags++;
            if (f.unknown) cal.fixed.falseUnknown++;
          }
        }
      }
    }
    cal.perGenerator.push({ generator: g, bags: mine.bags, unknown: mine.unknown, stated: mine.stated.length ? mean(mine.stated) : null });
    stated.push(...mine.stated);
  }
  const perMethod: OpenSetResult['perMethod'] = {};
  for (const [m, b] of Object.entries(scores) as [MethodId, ReturnType<typeof bucket>][]) {
    const observed5 = upperThreshold(b.neg, 0.05);
    perMethod[m] = {
      auroc: auroc(b.pos, b.neg),
      unknownRateHeldOutGenerator: b.upos / Math.max(1, b.pos.length),
      unknownRateKnown: b.uneg / Math.max(1, b.neg.length),
      bags: b.pos.length + b.neg.length,
      detectionAtObserved5: b.pos.filter((x) => x > observed5).length / Math.max(1, b.pos.length),
    };
  }
  const dsfBucket = scores['dsf+']!;
  cal.detection = dsfBucket.upos / Math.max(1, cal.leftOutBags);
  cal.falseUnknown = dsfBucket.uneg / Math.max(1, cal.knownBags);
  cal.statedDetection = stated.length ? mean(stated) : null;
  cal.fixed.detection /= Math.max(1, cal.leftOutBags);
  cal.fixed.falseUnknown /= Math.max(1, cal.knownBags);
  return { n, perMethod, calibrated: cal };
}

/** Single-source bag sizes of the split study. */
const SPLIT_STUDY_SIZES = [10, 25, 50] as const;
/** Images per source of the mixtures (50/50 and 80/20 with the minor source at this size). */
const MIXTURE_MINOR = 20;

/**
 * The split test on the full library: single-source query bags of 10 / 25 / 50 images (capped at a
 * generator's query count, marked) and mixtures of two generators' query images, 50/50 and 80/20
 * with at least 20 images per source where the query halves allow (else the largest 80/20 mixture
 * they allow, noted). Each bag goes through the engine's own split (pipeline.ts groupEvidence), with
 * the test and, on the same bags, without it (the rule before it: grouping at a 20 % share, split
 * kept when two groups are named).
 */
async function splitStudy(ctx: ScopeContext, run: EngineRun, queries: Map<string, string[]>): Promise<SplitStudyResult> {
  const names = ctx.gens.map((g) => g.name);
  const rate = DEFAULTS.falseSplitRate;
  const untested = await openAttributor({ libraryPath: run.libraryPath, method: 'dsf', modelsDir: run.setup.modelsDir, calibration: null });
  const evidenceOf = (g: string, idx: number[]) => idx.map((i) => run.evidence.get(g)!.get(queries.get(g)![i])!);
  const outcome = async (att: Attributor, items: ImageEvidence[]) => {
    const folder = await att.judge(items, { withEmbedding: false });
    const { groups } = await groupEvidence(att, items, folder, rate);
    return { split: folder.split, labels: new Set(groups.filter((x) => !x.unknown && x.label !== null).map((x) => x.label!)) };
  };
  const single: SplitStudyResult['single'] = [];
  for (const n of SPLIT_STUDY_SIZES) {
    const row = { n, bags: 0, capped: false, split: 0, heterogeneous: 0, splitUntested: 0 };
    for (const g of names) {
      const count = queries.get(g)!.length;
      if (count < n) row.capped = true;
      for (const d of bagDraws(count, n, ctx.repeats, seedFor(ctx.seed, ctx.domain.name, 'split', g, n))) {
        const items = evidenceOf(g, d);
        row.bags++;
        const a = await outcome(run.dsf, items);
        if (a.split?.reported) row.split++;
        else if (heterogeneousLabel(a.split)) row.heterogeneous++;
        if ((await outcome(untested, items)).split?.reported) row.splitUntested++;
      }
    }
    single.push(row);
  }
  const mixtures: SplitStudyResult['mixtures'] = [];
  const draws = Math.max(1, Math.round(ctx.repeats / 2));
  const count = (g: string) => queries.get(g)!.length;
  for (const kind of ['50/50', '80/20'] as const) {
    let sizes: [number, number] = kind === '50/50' ? [MIXTURE_MINOR, MIXTURE_MINOR] : [4 * MIXTURE_MINOR, MIXTURE_MINOR];
    let pairs = names.flatMap((g) => names.filter((h) => h !== g && count(g) >= sizes[0] && count(h) >= sizes[1]).map((h) => [g, h] as const));
    let note: string | undefined;
    if (pairs.length === 0 && kind === '80/20') {
      // The largest 4 : 1 mixture the query halves allow for some pair (at least 3 minor images, the fewest a group may have).
      const best = Math.max(0, ...names.flatMap((g) => names.filter((h) => h !== g).map((h) => Math.min(Math.floor(count(g) / 4), count(h)))));
      if (best >= 3) {
        sizes = [4 * best, best];
        pairs = names.flatMap((g) => names.filter((h) => h !== g && count(g) >= sizes[0] && count(h) >= sizes[1]).map((h) => [g, h] as const));
        note = `no pair has ${4 * MIXTURE_MINOR} + ${MIXTURE_MINOR} query images; the largest 80/20 mixture the query halves allow, below ${MIXTURE_MINOR} images per source`;
      }
    }
    const row = { kind, sizes, pairs: pairs.length, bags: 0, splitCorrectly: 0, splitCorrectlyUntested: 0, ...(note ? { note } : {}) };
    if (pairs.length === 0) {
      mixtures.push({ ...row, note: `no pair of generators has ${sizes[0]} + ${sizes[1]} query images` });
      continue;
    }
    for (const [g, h] of pairs) {
      const A = bagDraws(count(g), sizes[0], draws, seedFor(ctx.seed, ctx.domain.name, 'mix', kind, g, h, 'a'));
      const B = bagDraws(count(h), sizes[1], draws, seedFor(ctx.seed, ctx.domain.name, 'mix', kind, g, h, 'b'));
      for (let r = 0; r < Math.max(A.length, B.length); r++) {
        const items = [...evidenceOf(g, A[r % A.length]), ...evidenceOf(h, B[r % B.length])];
        row.bags++;
        const right = (o: { split?: SplitTest; labels: Set<string> }) =>
          o.split?.reported === true && o.labels.size === 2 && o.labels.has(g) && o.labels.has(h);
        if (right(await outcome(run.dsf, items))) row.splitCorrectly++;
        if (right(await outcome(untested, items))) row.splitCorrectlyUntested++;
      }
    }
    mixtures.push(row);
  }
  return { falseSplitRate: rate, draws: ctx.repeats, single, mixtures };
}

async function robustness(
  ctx: ScopeContext,
  split: DomainSplit,
  runs: Map<EncoderSetup['id'], EngineRun>,
  spectral: SpectralRun,
  queries: Map<string, string[]>,
  knn: KnnRun | null,
): Promise<NonNullable<ScopeResult['robustness']>> {
  const n = Math.min(10, Math.max(...ctx.sizes));
  const out: NonNullable<ScopeResult['robustness']> = [];
  let banked: { attributor: Attributor } | undefined;
  for (const t of TRANSFORMS.filter((x) => ctx.extras.robustness!.includes(x.id))) {
    const tRoot = path.join(ctx.work, ctx.scope, `robust-${t.id}`);
    const files = ctx.gens.flatMap((g) => queries.get(g.name)!.map((r) => path.join(ctx.domain.root, ...r.split('/'))));
    const made = await transformFiles(ctx.domain.root, files, t.id, tRoot, seedFor(ctx.seed, ctx.domain.name, t.id));
    // The transformed queries, keyed like the originals' relPaths so bag draws line up.
    const tSplit = {
      generators: ctx.gens,
      query: new Map(
        ctx.gens.map((g) => [
          g.name,
          queries
            .get(g.name)!
            .filter((r) => made.has(r))
            .map((r) => made.get(r)!),
        ]),
      ),
    };
    const back = new Map([...made.entries()].map(([orig, dest]) => [relPathOf(tRoot, dest), orig]));
    const rekey = <T>(m: Map<string, Map<string, T>>) =>
      new Map([...m.entries()].map(([g, inner]) => [g, new Map([...inner.entries()].map(([r, v]) => [back.get(r)!, v]))]));
    const tQueries = new Map([...queries.entries()].map(([g, q]) => [g, q.filter((r) => made.has(r))]));
    const acc: Partial<Record<MethodId, BagScore>> = {};
    const count = [...tQueries.values()].reduce((s, q) => s + q.length, 0);
    if ([...tQueries.values()].filter((q) => q.length > 0).length < 2) {
      out.push({ transform: t.id, label: t.label, n, accuracy: acc, images: count });
      continue;
    }
    const evs = new Map<EncoderSetup['id'], Map<string, Map<string, ImageEvidence>>>();
    for (const [id, run] of runs) evs.set(id, rekey(await examineQueries(run.dsf, tRoot, tSplit)));
    const manifoldAtt: [MethodId, Attributor][] = [];
    const sm = runs.get('shipped')?.manifold;
    if (sm) manifoldAtt.push(['manifold-projector', sm.attributor]);
    if (knn) manifoldAtt.push(['manifold-knn', knn.attributor]);
    const mevs = new Map<MethodId, Map<string, Map<string, ImageEvidence>>>();
    for (const [m, att] of manifoldAtt) mevs.set(m, rekey(await examineQueries(att, tRoot, tSplit)));
    const sp = new Map<string, Map<string, Float64Array>>();
    for (const g of ctx.gens) {
      const f = await spectralFeaturesOf(tRoot, tSplit.query.get(g.name)!);
      sp.set(g.name, new Map([...f.entries()].map(([r, v]) => [back.get(r)!, spectralLogProba(spectral.model, v)])));
    }
    const common = new Map(
      [...tQueries.entries()].map(([g, q]) => [g, q.filter((r) => [...evs.values(), ...mevs.values()].every((e) => e.get(g)!.has(r)) && sp.get(g)!.has(r))]),
    );
    const score = async (p: Predictor) => (await closedSet(ctx.domain.name, common, [n], ctx.repeats, ctx.seed, p))[String(n)]!;
    const shipped = runs.get('shipped');
    let firmWrong: FirmWrongTally | undefined;
    let matched: NonNullable<ScopeResult['robustness']>[number]['matched'];
    if (shipped && transformHasBank(t.id)) banked ??= await bankedRun(ctx, split, shipped);
    if (shipped) {
      firmWrong = emptyFirmWrongTally();
      // Today's references: the banks ignored, whether or not the library has them.
      const enrolled = { judge: (items: ImageEvidence[], o?: { withEmbedding?: boolean }) => shipped.dsf.judge(items, { ...o, banks: false }) };
      acc['dsf+'] = await score(engineJudge(enrolled, evs.get('shipped')!, tallyingTop1(firmWrong)));
      if (banked && banked.attributor.banks.size > 0 && transformHasBank(t.id)) {
        const banks: Record<string, number> = {};
        const firm = emptyFirmWrongTally();
        const bankedEvidence = rekey(await examineQueries(banked.attributor, tRoot, tSplit));
        const accuracy = await score(
          engineJudge(banked.attributor, bankedEvidence, (v, gen) => {
            banks[v.references?.bank ?? 'none'] = (banks[v.references?.bank ?? 'none'] ?? 0) + 1;
            tallyFirmWrong(firm, gen, v);
            return top1(v);
          }),
        );
        const clean = await score(engineJudge(shipped.dsf, shipped.evidence));
        matched = {
          banks,
          accuracy,
          firmWrong: firm,
          clean,
          vsClean: pairedDifference(accuracy.perDraw, clean.perDraw, 1),
          vsEnrolled: pairedDifference(accuracy.perDraw, acc['dsf+'].perDraw, 1),
        };
      }
    }
    const first = shipped ?? runs.values().next().value!;
    acc.residual = await score(engineJudge(first.residual, evs.get(first.setup.id)!));
    for (const [m, att] of manifoldAtt) acc[m] = await score(engineJudge(att, mevs.get(m)!));
    acc.spectral = await score(async (g, bag) =>
      spectralBagLabel(
        spectral.model,
        bag.map((r) => sp.get(g)!.get(r)!),
      ),
    );
    for (const c of COMPARED) if (runs.has(c)) acc[c] = await score(engineJudge(runs.get(c)!.dsf, evs.get(c)!));
    out.push({ transform: t.id, label: t.label, n, accuracy: acc, images: count, ...(firmWrong ? { firmWrong } : {}), ...(matched ? { matched } : {}) });
  }
  return out;
}

/**
 * The shipped encoder's library of the scope enrolled again with reference banks (the φ features
 * come from the first library's cache): only the robustness rows use it, so the open set, split and
 * ablation libraries copied from the first one do not pay for the banks' enrolment and fits. Its
 * clean classifier is fitted on the same content as the first library's.
 */
async function bankedRun(ctx: ScopeContext, split: DomainSplit, shipped: EngineRun): Promise<{ attributor: Attributor }> {
  const libraryPath = path.join(ctx.work, ctx.scope, 'shipped-banks.genprint');
  copySidecar(shipped.libraryPath, libraryPath);
  await initLibrary(libraryPath);
  for (const g of split.generators)
    await enrol({
      libraryPath,
      name: g.name,
      family: g.family,
      folders: [ctx.domain.root],
      files: split.enrol.get(g.name)!,
      modelsDir: shipped.setup.modelsDir,
      canvas: CANVAS,
      fit: false,
      manifoldParts: false,
      banks: true,
    });
  await fitLibrary(libraryPath);
  return { attributor: await openAttributor({ libraryPath, method: 'dsf', modelsDir: shipped.setup.modelsDir }) };
}

export async function runEvaluation(opts: EvalOptions = {}): Promise<{ result: EvalResult; outDir: string }> {
  const t0 = Date.now();
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const quick = opts.quick ?? false;
  const seed = opts.seed ?? 1;
  const repeats = opts.draws ?? (quick ? 5 : 20);
  const sizes = quick ? [1, 5, 10] : [...BAG_SIZES];
  const outDir = path.resolve(opts.out ?? (quick ? await mkdtemp(path.join(os.tmpdir(), 'genprint-eval-')) : path.join(repoRoot(), 'docs')));
  const work = await mkdtemp(path.join(os.tmpdir(), 'genprint-eval-work-'));
  const notes: string[] = [];

  const modelsDir = path.join(repoRoot(), 'models');
  const card = readModelCard(modelsDir);
  const split = trainingSplit(card);
  const setups: EncoderSetup[] = [];
  if (card) setups.push({ id: 'shipped', modelsDir });
  else notes.push('No shipped models in models/: DSF+/DSF− rows are missing; the residual method and baselines still run.');
  const robustnessOnly = opts.robustnessOnly ?? false;
  const calibrationOnly = opts.calibrationOnly ?? false;
  if (calibrationOnly && robustnessOnly) throw new Error('--calibration-only and --robustness-only are different studies: choose one');
  const controls = robustnessOnly || calibrationOnly ? {} : ensureControls(log);
  if (calibrationOnly)
    notes.push('--calibration-only: the calibrated verdicts (open set, split test) with DSF+ alone; controls, other methods and the other studies not run.');
  if (robustnessOnly) notes.push('--robustness-only: held-out scopes, robustness to re-compression; controls, open set and split studies not run.');
  for (const c of CONTROLS) if (controls[c]) setups.push({ id: c, modelsDir: controls[c] });
  if (!controls.untrained && !robustnessOnly && !calibrationOnly)
    notes.push('The control encoders could not be exported (needs /usr/bin/python3 with torch); their rows are missing.');
  const baselineCard = opts.baselineModels ? readModelCard(path.resolve(opts.baselineModels)) : null;
  if (opts.baselineModels) {
    if (!baselineCard) throw new Error(`--baseline-models ${opts.baselineModels}: no model-card.json there`);
    setups.push({ id: 'baseline', modelsDir: path.resolve(opts.baselineModels) });
    notes.push(
      `Baseline models (${opts.baselineModels}): ${baselineCard.name} ${baselineCard.version}, φ ${baselineCard.phi.sha256.slice(0, 12)}…, scored on the same bags with the same classifier; "DSF+ minus the baseline" rows are the paired comparison of a model change.`,
    );
  }
  if (setups.length === 0) setups.push({ id: 'shipped', modelsDir }); // residual-only libraries

  const corpusDir = path.resolve(opts.corpusDir ?? defaultCorpusDir());
  let corpus = corpusDomains(corpusDir, split);
  if (!corpus) {
    log(`corpus not found at ${corpusDir}: corpus domains are skipped, the demo zoo is still evaluated`);
    notes.push(`The corpus (${corpusDir}) was absent: only the demo zoo was evaluated.`);
    corpus = [];
  }
  const wanted = opts.domains ?? (quick ? ['fmnist28'] : null);
  const chosen = wanted ? corpus.filter((d) => wanted.includes(d.name)) : corpus;

  if (!opts.skipDemo) log('building the demo zoo …');
  const domains: Domain[] = opts.skipDemo ? [...chosen] : [await demoDomain(path.join(work, 'demo'), { quick }), ...chosen];
  if (opts.skipDemo) notes.push('The demo zoo was not evaluated (--skip-demo).');
  const eta = new Eta(
    domains.reduce((s, d) => s + domainUnits(d, setups.length, true), 0),
    log,
  );
  const ablationDomains = new Set(quick ? ['demo-zoo'] : ['demo-zoo', 'fmnist28']);
  const bagsList = quick ? [1, 10] : [1, 5, 10, 25, 50, 100];

  const results: DomainResult[] = [];
  for (const d of domains) {
    const td = Date.now();
    const held = heldOutGenerators(d, split);
    const scopes: ScopeResult[] = [];
    const base = {
      domain: d,
      setups,
      sizes,
      repeats,
      seed,
      eta,
      log,
      cap: quick && d.source === 'corpus' ? 40 : undefined,
      splitSeed: opts.randomSplit,
      calibrationOnly,
    };
    let skipped: string | undefined;
    const robustScope = robustnessOnly ? robustnessScope(d, split) : null;
    if (d.generators.length < 2) skipped = `only ${d.generators.length} generator: nothing to attribute between`;
    else if (robustScope) {
      // --robustness-only has no "all" scope of its own, so a domain with fewer than two held-out
      // generators (t2i, t2i-modern) is measured on all its generators rather than not at all.
      scopes.push(
        await evaluateScope({
          ...base,
          scope: robustScope.scope,
          gens: robustScope.gens,
          work: path.join(work, d.name),
          extras: {
            openSet: false,
            robustness: RECOMPRESSIONS,
            clustering: false,
            bagsAblation: null,
            splitSeeds: [],
            referenceFractions: [],
            splitStudy: false,
          },
        }),
      );
      if (robustScope.scope === 'all')
        notes.push(
          `${d.name}: ${held.length} held-out generator${held.length === 1 ? '' : 's'}, so its robustness rows use all ${d.generators.length} generators (${d.generators.filter((g) => g.trained).length} of them in φ's training).`,
        );
    } else {
      const headline = held.length >= 2;
      if (headline)
        scopes.push(
          await evaluateScope({
            ...base,
            scope: 'held-out',
            gens: held,
            work: path.join(work, d.name),
            extras: {
              openSet: !quick || d.source === 'demo',
              robustness: quick ? ['jpeg75', 'crop75'] : TRANSFORMS.map((t) => t.id),
              clustering: d.source === 'demo',
              bagsAblation: ablationDomains.has(d.name) ? bagsList : null,
              splitSeeds: quick ? (d.source === 'demo' ? [1] : []) : [1, 2, 3, 4, 5],
              referenceFractions: quick ? (d.source === 'demo' ? [0.25] : []) : [0.25, 0.75],
            },
          }),
        );
      const allOpenSet = !quick && d.generators.length <= ALL_SCOPE_OPEN_SET_MAX;
      if (d.source === 'corpus' && !(quick && headline) && !(calibrationOnly && !allOpenSet) && held.length !== d.generators.length)
        scopes.push(
          await evaluateScope({
            ...base,
            scope: 'all',
            gens: d.generators,
            work: path.join(work, d.name),
            // Leave-one-out on the "all" tables too (DSF+ only), where few enough generators keep it cheap.
            extras: { openSet: allOpenSet, robustness: null, clustering: true, bagsAblation: null },
          }),
        );
      if (!headline) skipped = `${held.length} held-out generator${held.length === 1 ? '' : 's'}: not in the headline tables`;
    }
    eta.add(domainUnits(d, setups.length, true) - domainUnits(d, setups.length, false));
    results.push({ domain: d.name, source: d.source, imageSize: d.imageSize, scopes, seconds: (Date.now() - td) / 1000, skipped });
    eta.say(`${d.name} done in ${((Date.now() - td) / 1000).toFixed(0)} s`);
    await rm(path.join(work, d.name), { recursive: true, force: true });
  }

  const result: EvalResult = {
    schema: 'genprint.eval/1',
    createdAt: new Date().toISOString(),
    quick,
    protocol: {
      split:
        opts.randomSplit === undefined
          ? 'per generator: files sorted by name; even index → enrolment, odd → query'
          : `per generator: seeded random halves (seed ${opts.randomSplit}; enrolment gets the extra file of an odd count)`,
      bagSizes: sizes,
      draws: repeats,
      seed,
      canvas: 256,
      closedSetTop1: 'candidates[0] of the verdict equals the true generator (the unknown flag is ignored)',
      headline: 'library = the domain’s generators held out of the encoder’s training (demo zoo: all its generators)',
      all: 'library = every generator of the domain, training generators included',
    },
    models: {
      shipped: card
        ? { name: card.name, version: card.version, configuration: card.configuration, phiSha256: card.phi.sha256, featureDim: card.phi.featureDim }
        : null,
      controls: Object.fromEntries(Object.entries(controls).map(([k, dir]) => [k, readModelCard(dir)])),
      ...(baselineCard ? { baseline: { dir: path.resolve(opts.baselineModels!), card: baselineCard } } : {}),
    },
    corpus: { dir: corpusDir, present: corpus.length > 0 },
    familyOverlaps: familyOverlaps(corpus, split),
    domains: results,
    runtime: { seconds: (Date.now() - t0) / 1000, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    notes,
  };
  await writeReport(result, outDir, card);
  await rm(work, { recursive: true, force: true });
  log(`evaluation finished in ${fmtTime(result.runtime.seconds)}; results in ${outDir}`);
  return { result, outDir };
}
