// Orchestration: ingest → residuals / φ features → library → attribution. (Being written by the lead.)
import type { CaseResult, LibraryEntrySummary, MethodId, Progress, SkippedFile } from './types.js';

export interface EngineOptions {
  /** Folder holding phi.onnx, rho.onnx and model-card.json. Default: <repo>/models. */
  modelsDir?: string;
  /** Execution provider preference; 'auto' tries CUDA/DirectML/CoreML/WebGPU, then CPU. */
  provider?: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
  threads?: number;
}

export interface EnrolRequest extends EngineOptions {
  libraryPath: string;
  name: string;
  family?: string;
  notes?: string;
  folders: string[];
  canvas?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface EnrolResult {
  entry: LibraryEntrySummary;
  skipped: SkippedFile[];
}

export interface AnalyseRequest extends EngineOptions {
  libraryPath: string;
  caseRoot: string;
  method?: MethodId;
  bagSize?: number;
  bags?: number;
  seed?: number;
  canvas?: number;
  caseId?: string;
  examiner?: string;
  notes?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export async function enrol(_req: EnrolRequest): Promise<EnrolResult> {
  throw new Error('enrol: not implemented yet');
}

export async function analyseCase(_req: AnalyseRequest): Promise<CaseResult> {
  throw new Error('analyseCase: not implemented yet');
}

// Library operations used by the CLI and the app (thin wrappers over ./library).
export interface LibraryInfo {
  path: string;
  sha256: string;
  schemaVersion: number;
  entries: LibraryEntrySummary[];
}
export async function initLibrary(_path: string): Promise<LibraryInfo> {
  throw new Error('initLibrary: not implemented yet');
}
export async function listLibrary(_path: string): Promise<LibraryInfo> {
  throw new Error('listLibrary: not implemented yet');
}
export async function renameEntry(_path: string, _nameOrId: string, _newName: string): Promise<void> {
  throw new Error('renameEntry: not implemented yet');
}
export async function removeEntry(_path: string, _nameOrId: string): Promise<void> {
  throw new Error('removeEntry: not implemented yet');
}
/** Writes the chosen entries (all when names is empty) into a new single-file library at dest. */
export async function exportLibrary(_path: string, _dest: string, _names: string[] = []): Promise<LibraryInfo> {
  throw new Error('exportLibrary: not implemented yet');
}
/** Merges the entries of another library file; name clashes get a numeric suffix, never overwrite. */
export async function importLibrary(_path: string, _source: string): Promise<LibraryInfo> {
  throw new Error('importLibrary: not implemented yet');
}

export interface EngineInfo {
  software: { name: string; version: string; gitCommit: string | null };
  /** Execution provider the ONNX sessions run on ('cpu', 'cuda', …), or null when no model is loaded. */
  provider: string | null;
  availableProviders: string[];
  model: { phiSha256: string | null; rhoSha256: string | null; configuration: string | null; card: unknown };
  methods: { id: MethodId; label: string; isDefault: boolean }[];
  defaults: { method: MethodId; bagSize: number; bags: number; seed: number; canvas: number; threads: number };
}
export async function engineInfo(_opts: EngineOptions = {}): Promise<EngineInfo> {
  throw new Error('engineInfo: not implemented yet');
}
