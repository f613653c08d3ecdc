// The one place that loads onnxruntime-node: sessions, execution providers and their order.
// Every model (φ and ρ, the manifold projector, anything later) opens its sessions here, so the
// telemetry switch below and the provider policy apply to all of them. Lint forbids importing
// onnxruntime-node anywhere else.
import './no-telemetry.js';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ProviderChoice } from '../../shared/api.js';

export { ort };

/** Which execution provider to prefer ('auto' picks the best one this machine has); declared once in shared/api. */
export type ProviderPreference = ProviderChoice;

function cudaInstalled(): boolean {
  // onnxruntime-node's CUDA provider is an optional download at install time; present only then.
  try {
    const dir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const stack = [path.join(dir, 'bin')];
    while (stack.length) {
      const d = stack.pop()!;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) stack.push(path.join(d, e.name));
        else if (e.name.includes('providers_cuda')) return true;
      }
    }
  } catch {
    /* no package folder: no CUDA */
  }
  return false;
}

/** Execution providers compiled into this onnxruntime-node build ('webgpu' is missing on Linux arm64). */
function bundledProviders(): Set<string> {
  try {
    return new Set(ort.listSupportedBackends().map((b) => b.name));
  } catch {
    return new Set(['cpu']);
  }
}

/** A GPU that Vulkan (WebGPU's backend on Linux) can use: a DRM render node, or NVIDIA's device nodes. */
function linuxGpuPresent(): boolean {
  try {
    if (existsSync('/dev/dri') && readdirSync('/dev/dri').some((n) => n.startsWith('renderD'))) return true;
  } catch {
    /* unreadable /dev/dri: look further */
  }
  // NVIDIA's driver without its DRM module (headless servers) has no render node, but Vulkan works.
  return existsSync('/dev/nvidia0');
}

/** Providers to try, best first, for this platform and preference. CPU is always the last resort. */
export function providerCandidates(pref: ProviderPreference = 'auto'): string[] {
  if (pref !== 'auto') return pref === 'cpu' ? ['cpu'] : [pref, 'cpu'];
  const list: string[] = [];
  if (process.platform === 'linux') {
    // CUDA: only where the user installed its provider (onnxruntime-node's optional download, which
    // also needs the CUDA 12 runtime and cuDNN; a session that cannot load them falls through).
    if (cudaInstalled()) list.push('cuda');
    // WebGPU ships in the Linux x64 package but needs a Vulkan GPU; without one it only prints
    // adapter errors, so it is tried only where a GPU device exists.
    if (bundledProviders().has('webgpu') && linuxGpuPresent()) list.push('webgpu');
  } else if (process.platform === 'win32') list.push('dml');
  else if (process.platform === 'darwin') list.push('coreml');
  list.push('cpu');
  return list;
}

export interface SessionTuning {
  /** Labels an in-memory model in errors. */
  name?: string;
  /**
   * 'all' adds the CPU's blocked (NCHWc) layouts, right for φ's wide convolutions; graphs of one- and
   * two-channel filters (the residual graph) run several times slower with them and ask for 'extended'.
   */
  graphOptimizationLevel?: 'all' | 'extended';
  /**
   * Whether idle intra-op threads spin waiting for work (ONNX Runtime's default). Spinning buys
   * latency on an otherwise idle machine but burns a core that the overlapped stages (decoding, the
   * residual graph, JavaScript) need; the analysis pipeline turns it off.
   */
  spinning?: boolean;
}

/**
 * A session on the first provider of `providers` that accepts the model: a file, or the bytes of a
 * graph built in code (backend/onnx-graph.ts).
 */
export async function createSession(
  model: string | Uint8Array,
  providers: string[],
  threads: number,
  tuning: SessionTuning = {},
): Promise<{ session: ort.InferenceSession; provider: string }> {
  const name = tuning.name ?? (typeof model === 'string' ? path.basename(model) : 'in-memory model');
  let lastError: unknown;
  for (const ep of providers) {
    try {
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: [ep],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: tuning.graphOptimizationLevel ?? 'all',
        logSeverityLevel: 3,
        // ONNX Runtime's memory pattern pre-plans and keeps one block per input shape it has seen (a
        // full batch, a last short batch, one image): at 256² it held ~160 MiB of φ's activations
        // for the whole analysis (peak RSS 671 → 505-513 MiB on 200 images), with the same outputs
        // bit for bit and no measured loss of speed (docs/performance.md).
        enableMemPattern: false,
        ...(tuning.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
      };
      const session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
      return { session, provider: ep };
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`could not create an ONNX Runtime session for ${name}: ${String(lastError)}`);
}
