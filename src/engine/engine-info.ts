// What the engine can do on this machine: software identity, the execution provider the ONNX
// sessions run on, the model's hashes, the methods and their defaults.
import { maybeEncoder, type EngineOptions } from './attributor.js';
import { providerCandidates } from './backend/onnx.js';
import { DEFAULTS } from './defaults.js';
import { gitCommit, softwareVersion } from './version.js';
import type { MethodId } from './types.js';

export interface EngineInfo {
  software: { name: string; version: string; gitCommit: string | null };
  /** Execution provider the ONNX sessions run on ('cpu', 'cuda', …), or null when no model is loaded. */
  provider: string | null;
  availableProviders: string[];
  model: { phiSha256: string | null; rhoSha256: string | null; configuration: string | null; card: unknown };
  methods: { id: MethodId; label: string; isDefault: boolean }[];
  defaults: typeof DEFAULTS;
}

export async function engineInfo(opts: EngineOptions = {}): Promise<EngineInfo> {
  const encoder = await maybeEncoder(opts).catch(() => null);
  return {
    software: { name: 'Genprint', version: softwareVersion(), gitCommit: gitCommit() },
    provider: encoder?.provider ?? null,
    availableProviders: providerCandidates(opts.provider ?? 'auto'),
    model: {
      phiSha256: encoder?.phiSha256 ?? null,
      rhoSha256: encoder?.rhoSha256 ?? null,
      configuration: encoder?.card.configuration ?? null,
      card: encoder?.card ?? null,
    },
    methods: [
      { id: 'dsf', label: 'Set-encoder (DSF) + library classifier', isDefault: DEFAULTS.method === 'dsf' },
      { id: 'residual', label: 'Residual correlation (Marra et al.)', isDefault: DEFAULTS.method === 'residual' },
      { id: 'manifold', label: 'Manifold artifacts (ManiFPT): projector or kNN estimate', isDefault: DEFAULTS.method === 'manifold' },
    ],
    defaults: DEFAULTS,
  };
}
