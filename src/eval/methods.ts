// The compared methods. Every engine-backed row goes through the engine's public entry points
// (enrol → openAttributor → examine → judge), exactly what `genprint enrol` / `attribute` run;
// only the spectral baseline is evaluation code of its own.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { enrol, fitLibrary, initLibrary, openAttributor, type Attributor, type ImageEvidence, type Verdict } from '../engine/index.js';
import { copySidecar } from '../engine/attributor.js';
import { imageEvidence } from '../engine/attribution/judge.js';
import { ingestFiles } from '../engine/ingest/index.js';
import type { Domain, GeneratorPool } from './corpus.js';
import { spectralBagLabel, spectralFeatures, spectralLogProba, fitSpectral, type SpectralModel } from './spectral-baseline.js';

export const CANVAS = 256;

/** A φ configuration: the shipped models or a control exported by training/export_controls.py. */
export interface EncoderSetup {
  /** 'baseline': the models given with --baseline-models (a model change is compared with them). */
  id: 'shipped' | 'untrained' | 'random-ensemble' | 'baseline';
  modelsDir: string;
}

export type MethodId =
  'dsf+' | 'dsf-' | 'dsf-phi' | 'residual' | 'manifold-projector' | 'manifold-knn' | 'spectral' | 'untrained' | 'random-ensemble' | 'baseline';

/** The manifold method's rows, in table order. */
export const MANIFOLD_METHODS = ['manifold-projector', 'manifold-knn'] as const;

export const METHOD_LABELS: Record<MethodId, string> = {
  'dsf+': 'DSF+ (shipped φ + library classifier, bags)',
  'dsf-': 'DSF− (shipped φ, one image: the n = 1 column)',
  'dsf-phi': 'DSF+ with φ alone (ablation: the classifier without the residual statistics)',
  residual: 'Residual correlation (Marra et al.)',
  'manifold-projector': 'Manifold, projector estimate (φ of x − P(x) + classifier)',
  'manifold-knn': 'Manifold, kNN estimate (φ(x) − Σ w φ(real nn) + classifier)',
  spectral: 'Spectral baseline (logistic regression on residual log-spectra)',
  untrained: 'Untrained-φ control (same architecture, random weights)',
  'random-ensemble': 'Random-φ ensemble control (4 untrained φ, concatenated)',
  baseline: 'Baseline models (--baseline-models: DSF+ with the models a change is compared with)',
};

export function relPathOf(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** Splits of one domain: the query relPaths per generator, in split order. */
export interface DomainSplit {
  generators: GeneratorPool[];
  enrol: Map<string, string[]>; // absolute paths
  query: Map<string, string[]>; // absolute paths
}

export interface EngineRun {
  setup: EncoderSetup;
  libraryPath: string;
  dsf: Attributor;
  residual: Attributor;
  /** Query evidence per generator, keyed by relPath below the domain root. */
  evidence: Map<string, Map<string, ImageEvidence>>;
  seconds: { enrol: number; examine: number };
  /** True when the attributor actually has a library classifier (else dsf fell back to residual). */
  hasClassifier: boolean;
  /** The same library with a φ-only classifier (ablation), and the query evidence re-scored by it. */
  dsfPhiOnly?: { attributor: Attributor; evidence: Map<string, Map<string, ImageEvidence>> };
  /** Manifold method, projector estimate (shipped models with models/manifold only): attributor and its evidence. */
  manifold?: { attributor: Attributor; evidence: Map<string, Map<string, ImageEvidence>> };
}

/** Enrols every generator's enrolment half into a fresh library and examines the query halves once. */
export async function runEngine(
  domain: Domain,
  split: DomainSplit,
  setup: EncoderSetup,
  workDir: string,
  opts: {
    bags?: number;
    tag?: string;
    reuseCacheFrom?: string;
    onImages?: (n: number) => void;
    /** The φ-only classifier and the manifold method beside DSF+ (default true; the calibration-only study needs neither). */
    ablations?: boolean;
  } = {},
): Promise<EngineRun> {
  await mkdir(workDir, { recursive: true });
  const libraryPath = path.join(workDir, `${setup.id}${opts.tag ? `-${opts.tag}` : ''}.genprint`);
  if (opts.reuseCacheFrom) copySidecar(opts.reuseCacheFrom, libraryPath);
  if (!existsSync(libraryPath)) await initLibrary(libraryPath);
  const t0 = Date.now();
  for (const g of split.generators) {
    const files = split.enrol.get(g.name)!;
    await enrol({
      libraryPath,
      name: g.name,
      family: g.family,
      folders: [domain.root],
      files,
      modelsDir: setup.modelsDir,
      canvas: CANVAS,
      bags: opts.bags,
      fit: false, // fitted once below, with every generator enrolled
      banks: false, // only the robustness rows use reference banks, from a library of their own (run.ts)
    });
    opts.onImages?.(files.length);
  }
  await fitLibrary(libraryPath);
  const t1 = Date.now();
  const dsf = await openAttributor({ libraryPath, method: 'dsf', modelsDir: setup.modelsDir });
  const residual = await openAttributor({ libraryPath, method: 'residual', modelsDir: setup.modelsDir });
  const evidence = await examineQueries(dsf, domain.root, split);
  for (const g of split.generators) opts.onImages?.(split.query.get(g.name)!.length);
  await dsf.persistCache();
  let dsfPhiOnly: EngineRun['dsfPhiOnly'];
  const ablations = opts.ablations ?? true;
  if (setup.id === 'shipped' && ablations) {
    // Same φ features and correlations, only the classifier differs: re-score instead of re-examining.
    const attributor = await openAttributor({ libraryPath, method: 'dsf', modelsDir: setup.modelsDir, classifierEvidence: 'phi' });
    const rescore = (e: ImageEvidence) => imageEvidence(attributor.library, e.relPath, e.sha256, e.corr, e.features);
    dsfPhiOnly = { attributor, evidence: new Map([...evidence].map(([g, m]) => [g, new Map([...m].map(([r, e]) => [r, rescore(e)]))])) };
  }
  let manifold: EngineRun['manifold'];
  if (setup.id === 'shipped' && ablations && existsSync(path.join(setup.modelsDir, 'manifold', 'model-card.json'))) {
    const attributor = await openAttributor({ libraryPath, method: 'manifold', manifold: { estimate: 'projector' }, modelsDir: setup.modelsDir });
    manifold = { attributor, evidence: await examineQueries(attributor, domain.root, split) };
    await attributor.persistCache();
  }
  return {
    setup,
    libraryPath,
    dsf,
    residual,
    evidence,
    seconds: { enrol: (t1 - t0) / 1000, examine: (Date.now() - t1) / 1000 },
    hasClassifier: dsf.library.classifier !== null,
    dsfPhiOnly,
    manifold,
  };
}

/** One examine call over all query files, split back per generator. */
export async function examineQueries(
  attributor: Attributor,
  root: string,
  split: { generators: GeneratorPool[]; query: Map<string, string[]> },
): Promise<Map<string, Map<string, ImageEvidence>>> {
  const all = split.generators.flatMap((g) => split.query.get(g.name)!);
  const ex = await attributor.examine({ root, files: all, canvas: CANVAS });
  const byRel = new Map(ex.evidence.map((e) => [e.relPath, e]));
  return new Map(
    split.generators.map((g) => [
      g.name,
      new Map(
        split.query
          .get(g.name)!
          .map((f) => relPathOf(root, f))
          .filter((r) => byRel.has(r))
          .map((r) => [r, byRel.get(r)!]),
      ),
    ]),
  );
}

/** What a verdict says for closed-set top-1: the best candidate, whether or not it is flagged unknown. */
export const top1 = (v: Verdict): string | null => v.candidates[0]?.name ?? null;
export const embeddingTop1 = (v: Verdict): string | null => v.agreement.embedding ?? null;

export interface SpectralRun {
  model: SpectralModel;
  /** Per-image log-probabilities of each query, keyed by relPath. */
  logProba: Map<string, Map<string, Float64Array>>;
  seconds: number;
}

/** Features of each file (mean over its crops), keyed by relPath below root. */
export async function spectralFeaturesOf(root: string, files: string[]): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for await (const ev of ingestFiles(root, files, { canvas: CANVAS })) {
    if (ev.kind !== 'image') continue;
    const feats = ev.image.crops.map((c) => spectralFeatures(c));
    const m = new Float32Array(feats[0].length);
    for (const f of feats) for (let i = 0; i < m.length; i++) m[i] += f[i] / feats.length;
    out.set(ev.image.file.relPath, m);
  }
  return out;
}

export async function runSpectral(domain: Domain, split: DomainSplit): Promise<SpectralRun> {
  const t0 = Date.now();
  const rows: { label: string; features: Float32Array }[] = [];
  for (const g of split.generators) {
    const f = await spectralFeaturesOf(domain.root, split.enrol.get(g.name)!);
    for (const v of f.values()) rows.push({ label: g.name, features: v });
  }
  const model = await fitSpectral(rows);
  const logProba = new Map<string, Map<string, Float64Array>>();
  for (const g of split.generators) {
    const f = await spectralFeaturesOf(domain.root, split.query.get(g.name)!);
    logProba.set(g.name, new Map([...f.entries()].map(([r, v]) => [r, spectralLogProba(model, v)])));
  }
  return { model, logProba, seconds: (Date.now() - t0) / 1000 };
}

export { spectralBagLabel };
