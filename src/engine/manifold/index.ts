// The manifold method (ManiFPT, docs/method.md): attribution on artifacts, an image's deviation from
// the manifold of real images, instead of on wavelet residuals or raw φ features. This module turns
// library entries into their manifold "view" — the same shape of data the attribution code already
// consumes — for either estimate of the projection:
//   projector: pixel artifacts x − P(x) (fingerprints, correlations) and the manifold set-encoder's
//              features, all computed at enrolment and stored with the entry (library v3);
//   knn:       φ(x) − Σ w_k φ(r_k) over a real reference entry, computed when the library is opened
//              (it depends on the reference the investigator picks), wavelet residuals kept for the
//              correlation evidence.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { loadSetEncoder, defaultModelsDir, type ProviderPreference, type SetEncoder } from '../features/set-encoder.js';
import { REAL_FAMILY, type LibraryEntry, type ManifoldOptions, type ManifoldParams } from '../types.js';
import { DEFAULT_K, knnProjector, type KnnProjector } from './knn.js';
import { loadProjector, type ArtifactProjector } from './projector.js';
import { EngineError } from '../errors.js';

export { knnProjector, buildNeighbourIndex, DEFAULT_K, HNSW_THRESHOLD, type KnnProjector } from './knn.js';
export { loadProjector, readProjectorCard, type ArtifactProjector } from './projector.js';

export { REAL_FAMILY };

export interface ManifoldModels {
  projector: ArtifactProjector;
  /** The set-encoder trained on projector artifacts (models/manifold). */
  encoder: SetEncoder;
}

export function manifoldModelsDir(modelsDir = defaultModelsDir()): string {
  return path.join(modelsDir, 'manifold');
}

/** The projector and the manifold set-encoder, or null when the models folder lacks either. */
export async function maybeManifoldModels(opts: { modelsDir?: string; provider?: ProviderPreference; threads?: number }): Promise<ManifoldModels | null> {
  const modelsDir = opts.modelsDir ?? defaultModelsDir();
  const dir = manifoldModelsDir(modelsDir);
  if (!existsSync(path.join(dir, 'model-card.json'))) return null;
  const projector = await loadProjector({ ...opts, modelsDir });
  if (!projector) return null;
  const encoder = await loadSetEncoder({ modelsDir: dir, provider: opts.provider, threads: opts.threads });
  return { projector, encoder };
}

/** The manifold method cannot run as asked; the message says what to enrol or restore. */
export class ManifoldUnavailable extends EngineError {
  override name = 'ManifoldUnavailable';
  constructor(message: string) {
    super('manifold-unavailable', message);
  }
}

/**
 * Entries as the projector estimate sees them: artifact fingerprints, artifact calibration and the
 * manifold encoder's features in place of the residual/φ parts. Every entry must have them, computed
 * with the same models: a library mixing projections cannot be compared entry to entry.
 */
export function projectorView(entries: LibraryEntry[], models: ManifoldModels | { phiSha256: string; projectorSha256: string }): LibraryEntry[] {
  const phi = 'encoder' in models ? models.encoder.phiSha256 : models.phiSha256;
  const projector = 'projector' in models ? models.projector.sha256 : models.projectorSha256;
  const lacking = entries.filter((e) => !e.manifold || e.manifold.modelHash !== phi || e.manifold.projectorHash !== projector);
  if (lacking.length > 0)
    throw new ManifoldUnavailable(
      `the manifold method (projector) needs every entry enrolled with the current manifold models; ` +
        `${lacking.map((e) => `"${e.name}"`).join(', ')} ${lacking.length === 1 ? 'was' : 'were'} enrolled without them or with other ones: re-enrol ${lacking.length === 1 ? 'it' : 'them'}`,
    );
  return entries.map((e) => {
    const m = e.manifold!;
    return {
      ...e,
      modelVersion: m.modelHash,
      residualFingerprint: m.artifactFingerprint,
      calibration: m.calibration,
      imageFeatures: m.imageFeatures,
      bagEmbeddings: m.bagEmbeddings,
      centroid: m.centroid,
      heldOutResiduals: m.heldOutArtifacts,
    };
  });
}

/** The real reference entry for the knn estimate: the one named, or the library's only `real` entry. */
export function referenceEntry(entries: LibraryEntry[], reference?: string): LibraryEntry {
  const reals = entries.filter((e) => e.family === REAL_FAMILY);
  let ref: LibraryEntry | undefined;
  if (reference !== undefined) {
    ref = entries.find((e) => e.name === reference || String(e.id) === reference);
    if (!ref) throw new ManifoldUnavailable(`no library entry "${reference}" to use as the real reference set`);
    if (ref.family !== REAL_FAMILY)
      throw new ManifoldUnavailable(`"${ref.name}" has family "${ref.family}": the real reference set must be an entry of family "${REAL_FAMILY}"`);
  } else if (reals.length === 1) ref = reals[0];
  else if (reals.length === 0)
    throw new ManifoldUnavailable(
      `the manifold method (knn) needs a real reference set: enrol real images of the evidence's domain with family "${REAL_FAMILY}"`,
    );
  else
    throw new ManifoldUnavailable(
      `the library has ${reals.length} real entries (${reals.map((e) => `"${e.name}"`).join(', ')}): choose the reference set of the evidence's domain`,
    );
  if (!ref.imageFeatures || ref.imageFeatures.sha256.length < 2)
    throw new ManifoldUnavailable(`the real reference entry "${ref.name}" has no stored φ features: re-enrol it with the set-encoder`);
  return ref;
}

/**
 * Entries as the knn estimate sees them: every enrolled φ feature replaced by its artifact. The
 * reference entry's own images are projected without themselves (leave-one-out), otherwise each would
 * be its own nearest neighbour and have no artifact at all.
 */
export async function knnView(
  entries: LibraryEntry[],
  encoder: SetEncoder,
  opts: ManifoldOptions,
): Promise<{ view: LibraryEntry[]; projector: KnnProjector; params: ManifoldParams }> {
  const ref = referenceEntry(entries, opts.reference);
  if (ref.modelVersion !== encoder.phiSha256)
    throw new ManifoldUnavailable(`the real reference entry "${ref.name}" was enrolled with another set-encoder: re-enrol it`);
  const rf = ref.imageFeatures!;
  const projector = await knnProjector(rf.data, rf.dim, opts.k ?? DEFAULT_K);
  const view = entries.map((e) => {
    const f = e.imageFeatures;
    if (!f || e.modelVersion !== encoder.phiSha256) return { ...e, imageFeatures: undefined, bagEmbeddings: undefined, centroid: undefined };
    const data = new Float32Array(f.data.length);
    for (let i = 0; i < f.sha256.length; i++)
      data.set(projector.artifact(f.data.subarray(i * f.dim, (i + 1) * f.dim), e.id === ref.id ? i : undefined), i * f.dim);
    // ρ was trained on pooled φ features, not on artifacts: no bag embeddings in this view.
    return { ...e, imageFeatures: { ...f, data }, bagEmbeddings: undefined, centroid: undefined };
  });
  return {
    view,
    projector,
    params: {
      estimate: 'knn',
      definition: `artifact = φ(x) − Σ_k w_k φ(r_k): the ${projector.k} nearest images r_k of the real reference set in standardised φ space, weights ∝ 1/distance`,
      reference: { id: ref.id, name: ref.name, family: ref.family, images: rf.sha256.length },
      k: projector.k,
      featureSpace: `set-encoder φ features (${rf.dim}-d, model ${encoder.phiSha256.slice(0, 12)})`,
      index: projector.indexKind,
    },
  };
}

export function projectorParams(models: ManifoldModels): ManifoldParams {
  return {
    estimate: 'projector',
    definition:
      'artifact = x − P(x), P = the learned projector onto real images (models/projector.onnx); φ of the manifold set-encoder applied to the artifact',
    projectorSha256: models.projector.sha256,
  };
}
