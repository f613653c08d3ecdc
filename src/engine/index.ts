// Public entry points of the engine. The CLI, the host (Electron's utility process and `serve`) and
// scripts import this file, types.ts, version.ts, errors.ts, report/index.ts and demo/index.ts, and
// nothing deeper, so what is tested is what runs; ESLint enforces it (eslint.config.js). The evaluation
// harness (src/eval) is the one exception: it measures the engine's parts one by one (the
// classifier, residual statistics, correlation, clustering) and imports them directly.
export type * from './types.js';
export { analyseCase, enrol, isoWithOffset, type AnalyseRequest, type EnrolRequest, type EnrolResult, type EngineOptions } from './pipeline.js';
export { DEFAULTS } from './defaults.js';
// The reference banks' processing ids, for hosts that let the user choose them (enrol --banks).
export { PROCESSING_IDS } from './attribution/banks.js';
export { CancelledError, EngineError, engineErrorCode, ENGINE_ERROR_CODES, type EngineErrorCode } from './errors.js';
export {
  initLibrary,
  listLibrary,
  renameEntry,
  removeEntry,
  exportLibrary,
  importLibrary,
  analyseLibrary,
  estimateLibraryErrorRates,
  fitLibrary,
  showEntry,
  type EntryDetails,
  type FitSummary,
  type LibraryJobOptions,
  type LibraryInfo,
  type LibraryAnalysis,
} from './library-ops.js';
export { engineInfo, type EngineInfo } from './engine-info.js';
export { benchLibrary, writeSyntheticLibrary, type LibraryBenchRow, type SyntheticLibraryOptions } from './library-bench.js';
export { openAttributor, type Attributor, type AttributorRequest, type Examination, type ExamineRequest } from './attributor.js';
export type { ImageEvidence } from './attribution/judge.js';
// Report writing and the installation's signing key, for hosts that export reports (the app, serve).
export { writeReport, installationSigningKey, signingKeyDir } from './report/index.js';
