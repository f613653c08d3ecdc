// The ONNX set-encoder: φ (per-image features) and ρ (bag embedding from the mean of φ).
// Sessions are created once per (models folder, provider, threads) and reused; run() calls are
// serialised because one onnxruntime session is not meant to run concurrent requests on 2 cores.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createSession, ort, providerCandidates, type ProviderPreference } from '../backend/onnx.js';
import type { Canvas } from '../types.js';
import { repoRoot } from '../version.js';

export type { ProviderPreference };

export interface ModelCard {
  name: string;
  version: string;
  configuration: string;
  phi: { file: string; sha256: string; featureDim: number };
  rho: { file: string; sha256: string; embeddingDim?: number };
  [key: string]: unknown;
}

export interface SetEncoder {
  provider: string;
  threads: number;
  featureDim: number;
  embeddingDim: number;
  phiSha256: string;
  rhoSha256: string;
  card: ModelCard;
  /** Per-image φ features, one Float32Array per canvas (copied out of ORT's buffers). */
  embedImages(canvases: Canvas[]): Promise<Float32Array[]>;
  /** Bag embeddings z = ρ(mean φ), one per pooled feature vector. */
  embedBags(pooled: Float32Array[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export function defaultModelsDir(): string {
  return path.join(repoRoot(), 'models');
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function readModelCard(modelsDir = defaultModelsDir()): ModelCard | null {
  const file = path.join(modelsDir, 'model-card.json');
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as ModelCard;
}

const cache = new Map<string, Promise<SetEncoder>>();

export function loadSetEncoder(opts: { modelsDir?: string; provider?: ProviderPreference; threads?: number } = {}): Promise<SetEncoder> {
  const modelsDir = path.resolve(opts.modelsDir ?? defaultModelsDir());
  const threads = Math.max(1, opts.threads ?? 2);
  const key = `${modelsDir}|${opts.provider ?? 'auto'}|${threads}`;
  let p = cache.get(key);
  if (!p) {
    p = openSetEncoder(modelsDir, opts.provider ?? 'auto', threads);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

async function openSetEncoder(modelsDir: string, pref: ProviderPreference, threads: number): Promise<SetEncoder> {
  const card = readModelCard(modelsDir);
  if (!card) throw new Error(`no model card in ${modelsDir}: run 'npm run train' or restore models/`);
  const phiFile = path.join(modelsDir, card.phi.file);
  const rhoFile = path.join(modelsDir, card.rho.file);
  const phiSha256 = sha256File(phiFile);
  const rhoSha256 = sha256File(rhoFile);
  if (card.phi.sha256 && card.phi.sha256 !== phiSha256)
    throw new Error(`${card.phi.file} does not match the SHA-256 in its model card: the model file was altered`);
  if (card.rho.sha256 && card.rho.sha256 !== rhoSha256)
    throw new Error(`${card.rho.file} does not match the SHA-256 in its model card: the model file was altered`);

  // No spinning: φ runs beside decoding and the residual graph, and idle ONNX Runtime threads that
  // spin take the CPU those need (measured: ~25 % more CPU per image with spinning, same wall time).
  const phi = await createSession(phiFile, providerCandidates(pref), threads, { spinning: false });
  const rho = await createSession(rhoFile, [phi.provider, 'cpu'], threads, { spinning: false });
  const phiIn = phi.session.inputNames[0];
  const phiOut = phi.session.outputNames[0];
  const rhoIn = rho.session.inputNames[0];
  const rhoOut = rho.session.outputNames[0];

  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const featureDim = card.phi.featureDim;
  let embeddingDim = card.rho.embeddingDim ?? 0;

  async function runPhiBatch(batch: Canvas[]): Promise<Float32Array[]> {
    const { width, height } = batch[0];
    const plane = 3 * width * height;
    const input = new Float32Array(batch.length * plane);
    batch.forEach((c, i) => input.set(c.data, i * plane));
    const out = await phi.session.run({ [phiIn]: new ort.Tensor('float32', input, [batch.length, 3, height, width]) });
    const t = out[phiOut];
    const data = t.data as Float32Array;
    const dim = Number(t.dims[1]);
    // Copy rows out: ORT's output buffers must not escape (Electron's V8 memory cage forbids
    // external buffers from native addons).
    return batch.map((_, i) => Float32Array.from(data.subarray(i * dim, (i + 1) * dim)));
  }

  return {
    provider: phi.provider,
    threads,
    featureDim,
    get embeddingDim() {
      return embeddingDim;
    },
    phiSha256,
    rhoSha256,
    card,
    embedImages(canvases) {
      return serial(async () => {
        const out: Float32Array[] = new Array(canvases.length);
        // Batch images of the same size together (a tensor needs one H×W); keep batches modest
        // so memory stays bounded at 256×256.
        const bySize = new Map<string, number[]>();
        canvases.forEach((c, i) => {
          const k = `${c.width}x${c.height}`;
          if (!bySize.has(k)) bySize.set(k, []);
          bySize.get(k)!.push(i);
        });
        for (const idx of bySize.values()) {
          const maxBatch = Math.max(1, Math.floor((16 * 256 * 256) / (canvases[idx[0]].width * canvases[idx[0]].height)));
          for (let s = 0; s < idx.length; s += maxBatch) {
            const part = idx.slice(s, s + maxBatch);
            const feats = await runPhiBatch(part.map((i) => canvases[i]));
            part.forEach((i, j) => (out[i] = feats[j]));
          }
        }
        return out;
      });
    },
    embedBags(pooled) {
      return serial(async () => {
        if (pooled.length === 0) return [];
        const dim = pooled[0].length;
        const input = new Float32Array(pooled.length * dim);
        pooled.forEach((p, i) => input.set(p, i * dim));
        const out = await rho.session.run({ [rhoIn]: new ort.Tensor('float32', input, [pooled.length, dim]) });
        const t = out[rhoOut];
        const data = t.data as Float32Array;
        embeddingDim = Number(t.dims[1]);
        return pooled.map((_, i) => Float32Array.from(data.subarray(i * embeddingDim, (i + 1) * embeddingDim)));
      });
    },
    async release() {
      await phi.session.release();
      await rho.session.release();
    },
  };
}
