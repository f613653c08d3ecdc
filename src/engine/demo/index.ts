// The self-made demo data set: synthetic generators with known traces, written in this project so
// the product can demonstrate attribution without shipping anyone else's images.
export { buildDemo, DEMO_MIXED_PAIR, type DemoOptions, type DemoManifest, type DemoReferenceFolder, type DemoCaseFolder } from './build.js';
export { listDemoGenerators, renderGeneratorSample, DEFAULT_DEMO_SEED, type DemoGeneratorInfo, type UpsampleOperator, type Activation } from './generators.js';
export { runDemo, verdictSummary, DEMO_LIBRARY_FILE, type DemoRun, type DemoCaseOutcome } from './run.js';
