// The end-to-end demo: build the synthetic data set, enrol its reference folders into a fresh
// library, attribute every case folder and compare with the known answers.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sidecarFiles } from '../attributor.js';
import { analyseCase, enrol, type EngineOptions } from '../pipeline.js';
import { fitLibrary, initLibrary } from '../library-ops.js';
import type { CaseResult, ClassifierEvidence, ManifoldOptions, MethodId, Progress } from '../types.js';
import { buildDemo, type DemoCaseFolder, type DemoManifest } from './build.js';

export interface DemoCaseOutcome {
  folder: string;
  kind: DemoCaseFolder['kind'];
  expected: string;
  got: string;
  ok: boolean;
  result: CaseResult;
}

export interface DemoRun {
  root: string;
  libraryPath: string;
  manifest: DemoManifest;
  outcomes: DemoCaseOutcome[];
}

/** What the folder verdict says, in the words the demo's expectations use. */
export function verdictSummary(result: CaseResult): string {
  const v = result.verdicts.folder;
  if (v.mixed) return `mixed: ${[...new Set(result.verdicts.groups.map((g) => g.label ?? 'unknown'))].sort().join(' + ')}`;
  return v.unknown ? 'unknown' : (v.label ?? 'unknown');
}

function expectation(c: DemoCaseFolder): string {
  if (c.kind === 'mixed') return `mixed: ${[...c.labels].sort().join(' + ')}`;
  return c.expectedUnknown ? 'unknown' : (c.expected ?? 'unknown');
}

export const DEMO_LIBRARY_FILE = 'demo-library.gplib';

export async function runDemo(
  root: string,
  opts: EngineOptions & {
    method?: MethodId;
    manifold?: ManifoldOptions;
    classifierEvidence?: ClassifierEvidence;
    onProgress?: (p: Progress) => void;
    onCase?: (o: DemoCaseOutcome) => void;
  } = {},
): Promise<DemoRun> {
  const manifest = await buildDemo(root, { onProgress: opts.onProgress });
  // The demo library is ours to recreate: it lives in the demo folder and holds only demo entries.
  const libraryPath = path.join(root, DEMO_LIBRARY_FILE);
  for (const f of [libraryPath, ...sidecarFiles(libraryPath)]) if (existsSync(f)) await rm(f);
  await initLibrary(libraryPath);
  for (const ref of manifest.reference) {
    await enrol({
      ...opts,
      libraryPath,
      name: ref.generator,
      family: ref.family,
      notes: 'synthetic demo generator written in Genprint (src/engine/demo)',
      folders: [path.join(root, ref.folder)],
      // One fit for the whole library once every entry is in, rather than one per entry.
      fit: false,
      // The demo's cases are lossless, so reference banks would only double its enrolment and fit.
      banks: false,
      onProgress: opts.onProgress,
    });
  }
  await fitLibrary(libraryPath, { onProgress: opts.onProgress });
  const outcomes: DemoCaseOutcome[] = [];
  for (const c of manifest.cases) {
    const result = await analyseCase({
      ...opts,
      libraryPath,
      caseRoot: path.join(root, c.folder),
      caseId: `demo-${path.basename(c.folder)}`,
      examiner: 'Genprint demo',
      notes: `Synthetic demo case "${c.folder}" (${c.kind}); known answer: ${expectation(c)}.`,
      onProgress: opts.onProgress,
    });
    const got = verdictSummary(result);
    const outcome = { folder: c.folder, kind: c.kind, expected: expectation(c), got, ok: got === expectation(c), result };
    outcomes.push(outcome);
    opts.onCase?.(outcome);
  }
  return { root, libraryPath, manifest, outcomes };
}
