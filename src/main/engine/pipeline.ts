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
