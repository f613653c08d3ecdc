// Public entry points of the engine: the CLI, the Electron utility process, the `serve` bridge and
// the evaluation harness all call these and nothing deeper, so what is tested is what runs.
export type * from './types.js';
export {
  analyseCase,
  enrol,
  isoWithOffset,
  DEFAULTS,
  type AnalyseRequest,
  type EnrolRequest,
  type EnrolResult,
  type EngineOptions,
} from './pipeline.js';
export {
  initLibrary,
  listLibrary,
  renameEntry,
  removeEntry,
  exportLibrary,
  importLibrary,
  analyseLibrary,
  estimateLibraryErrorRates,
  showEntry,
  type EntryDetails,
  type LibraryInfo,
  type LibraryAnalysis,
} from './library-ops.js';
export { engineInfo, type EngineInfo } from './engine-info.js';
export {
  openAttributor,
  type Attributor,
  type AttributorRequest,
  type Examination,
  type ExamineRequest,
} from './attributor.js';
export type { ImageEvidence } from './attribution/judge.js';
