// The learned projector of the manifold method (ManiFPT): models/projector.onnx maps images to their
// artifacts x − P(x), P being a restoration network trained only on real images (training/projector.py).
// Used for the pixel-space side of the manifold method: artifact fingerprints and their correlations,
// exactly where the residual method uses the wavelet denoiser's residuals.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createSession, ort, providerCandidates, type ProviderPreference } from '../backend/onnx.js';
import { defaultModelsDir, sha256File } from '../features/set-encoder.js';
import type { Canvas } from '../types.js';

export interface ProjectorCard {
  name: string;
  file: string;
  sha256: string;
  definition: string;
  [key: string]: unknown;
}

export interface ArtifactProjector {
  sha256: string;
  provider: string;
  card: ProjectorCard;
  /** x − P(x) for every canvas, same shape as the canvas (CHW, 3 channels). */
  artifacts(canvases: Canvas[]): Promise<Canvas[]>;
}

export const PROJECTOR_CARD = 'projector-card.json';

export function readProjectorCard(modelsDir = defaultModelsDir()): ProjectorCard | null {
  const file = path.join(modelsDir, PROJECTOR_CARD);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProjectorCard) : null;
}

const cache = new Map<string, Promise<ArtifactProjector>>();

/** The projector of a models folder, or null when the folder has none. Sessions are reused. */
export async function loadProjector(opts: { modelsDir?: string; provider?: ProviderPreference; threads?: number } = {}): Promise<ArtifactProjector | null> {
  const modelsDir = path.resolve(opts.modelsDir ?? defaultModelsDir());
  const card = readProjectorCard(modelsDir);
  if (!card) return null;
  const threads = Math.max(1, opts.threads ?? 2);
  const key = `${modelsDir}|${opts.provider ?? 'auto'}|${threads}`;
  let p = cache.get(key);
  if (!p) {
    p = openProjector(modelsDir, card, opts.provider ?? 'auto', threads);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

async function openProjector(modelsDir: string, card: ProjectorCard, pref: ProviderPreference, threads: number): Promise<ArtifactProjector> {
  const file = path.join(modelsDir, card.file);
  const sha256 = sha256File(file);
  if (card.sha256 !== sha256) throw new Error(`${card.file} does not match the SHA-256 in ${PROJECTOR_CARD}: the model file was altered`);
  const { session, provider } = await createSession(file, providerCandidates(pref), threads);
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  let queue: Promise<unknown> = Promise.resolve();
  return {
    sha256,
    provider,
    card,
    artifacts(canvases) {
      const run = async () => {
        const out: Canvas[] = [];
        // One image per run: canvases differ in size, and a 256² image is already a large tensor.
        for (const c of canvases) {
          const res = await session.run({ [input]: new ort.Tensor('float32', Float32Array.from(c.data), [1, 3, c.height, c.width]) });
          // Copied out of ORT's buffer (Electron's V8 memory cage forbids external buffers escaping).
          out.push({ width: c.width, height: c.height, data: Float32Array.from(res[output].data as Float32Array) });
        }
        return out;
      };
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
