// Public entry points of the engine: the CLI, the Electron utility process, the `serve` bridge and
// the evaluation harness all call these and nothing deeper, so what is tested is what runs.
// (Implementation lands in ./pipeline.ts; this file only re-exports the stable surface.)
export type * from './types.js';
export {
  analyseCase,
  enrol,
  type AnalyseRequest,
  type EnrolRequest,
  type EnrolResult,
  type EngineOptions,
} from './pipeline.js';
