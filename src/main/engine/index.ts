// Public entry points of the engine: the CLI, the Electron utility process, the `serve` bridge and
// the evaluation harness all call these and nothing deeper, so what is tested is what runs.
export type * from './types.js';
export {
  analyseCase,
  enrol,
  initLibrary,
  listLibrary,
  renameEntry,
  removeEntry,
  exportLibrary,
  importLibrary,
  engineInfo,
  type EngineInfo,
  type AnalyseRequest,
  type EnrolRequest,
  type EnrolResult,
  type EngineOptions,
  type LibraryInfo,
} from './pipeline.js';
