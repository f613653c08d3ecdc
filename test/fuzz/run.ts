// The ingest fuzzer's driver, shared by the bounded run in the test suite (test/fuzz.test.ts) and the
// longer `npm run fuzz` (scripts/fuzz.ts). Inputs are written to a temp folder and ingested by a
// child process (test/fixtures/fuzz-child.ts) through the real path — scan, read, hash, sharp — so a
// native crash or a hang ends that child, is recorded against the input that caused it, and the
// run goes on with a fresh child from the next input. Nothing a decoder does can take the test
// runner down with it.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUZZ_FORMATS, fuzzInputs, makeSeeds, MUTATIONS, type FuzzFormat, type FuzzInput, type Mutation } from './mutate.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(repoRoot, 'test/fixtures/fuzz-child.ts');
export const FUZZ_FIXTURES = path.join(repoRoot, 'test/fixtures/fuzz');

/** One line of the child's output: what ingest made of file number i. */
export interface ChildLine {
  i: number;
  name: string;
  kind: 'image' | 'skipped';
  reason?: string;
  message?: string;
  decodeWarning?: string;
}

export type FuzzResult =
  | { kind: 'image'; decodeWarning?: string }
  | { kind: 'skipped'; reason: string; message: string }
  /** The child died while ingesting this input (signal or exit code, and the end of its stderr). */
  | { kind: 'crash'; how: string }
  /** The child printed nothing for stallMs while on this input and was killed. */
  | { kind: 'hang'; seconds: number };

export interface IngestInChildOptions {
  /** Extra environment for the child (the crash test sets GENPRINT_FUZZ_ABORT_AT). */
  env?: NodeJS.ProcessEnv;
  /** Folder to write the inputs into (created; removed afterwards). */
  workDir: string;
  /** A child that prints nothing for this long is called hung (default 60 s: generous for a loaded machine). */
  stallMs?: number;
}

interface ChildRun {
  lines: ChildLine[];
  done: boolean;
  how: string;
  stalled: boolean;
}

function runChild(dir: string, first: number, stallMs: number, env?: NodeJS.ProcessEnv): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(first)], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: ChildRun = { lines: [], done: false, how: '', stalled: false };
    let stderr = '';
    let buf = '';
    let timer = setTimeout(stall, stallMs);
    function stall() {
      run.stalled = true;
      proc.kill('SIGKILL');
    }
    proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    proc.stdout.on('data', (d: Buffer) => {
      clearTimeout(timer);
      timer = setTimeout(stall, stallMs);
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'done') run.done = true;
        else if (line.startsWith('{')) run.lines.push(JSON.parse(line) as ChildLine);
      }
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      run.how = `${signal ? `killed by ${signal}` : `exit code ${code}`}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
      if (run.done && code !== 0) run.done = false;
      resolve(run);
    });
  });
}

/**
 * Ingests `files` (written under names that sort in the given order) in child processes and returns
 * one result per file, in order. A crash or hang is charged to the file being read and the next
 * child starts after it.
 */
export async function ingestInChild(files: { name: string; bytes: Buffer }[], opts: IngestInChildOptions): Promise<FuzzResult[]> {
  const dir = opts.workDir;
  mkdirSync(dir, { recursive: true });
  try {
    for (const f of files) writeFileSync(path.join(dir, f.name), f.bytes);
    const sorted = [...files].map((f) => f.name).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    if (sorted.some((n, i) => n !== files[i]!.name)) throw new Error('ingestInChild: file names must sort in the order given');
    const results: (FuzzResult | undefined)[] = new Array(files.length);
    let first = 0;
    while (first < files.length) {
      const run = await runChild(dir, first, opts.stallMs ?? 60_000, opts.env);
      for (const l of run.lines) {
        if (files[l.i]?.name !== l.name) throw new Error(`fuzz child reported ${l.name} as number ${l.i}, expected ${files[l.i]?.name}`);
        results[l.i] =
          l.kind === 'image' ? { kind: 'image', decodeWarning: l.decodeWarning } : { kind: 'skipped', reason: l.reason!, message: l.message ?? '' };
      }
      const next = first + run.lines.length;
      if (run.done && next === files.length) break;
      // The child ended (or was killed) while on file `next`.
      if (next >= files.length) throw new Error(`fuzz child ended after the last file without finishing: ${run.how}`);
      results[next] = run.stalled ? { kind: 'hang', seconds: (opts.stallMs ?? 60_000) / 1000 } : { kind: 'crash', how: run.how };
      first = next + 1;
    }
    return results as FuzzResult[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface FuzzOutcome {
  input: Omit<FuzzInput, 'bytes'>;
  result: FuzzResult;
}

export interface FuzzReport {
  seed: number;
  iterations: number;
  /** Inputs and their results per format. */
  byFormat: Record<FuzzFormat, { inputs: number; analysed: number; skipped: number; crashes: number; hangs: number }>;
  byMutation: Record<Mutation, number>;
  /** Skip reasons and how often each came up. */
  reasons: Record<string, number>;
  /** Inputs analysed only with decoder warnings (EvidenceFile.decodeWarning). */
  decodedWithWarnings: number;
  /** Crashes and hangs, with the input that caused them. */
  failures: FuzzOutcome[];
  /** Where crashing inputs were saved. */
  saved: string[];
}

export interface FuzzOptions {
  seed: number;
  iterations: number;
  workDir: string;
  /** Inputs per child batch (default 1000). */
  batch?: number;
  stallMs?: number;
  /** Folder to keep crashing and hanging inputs in (test/fixtures/fuzz); none kept when absent. */
  keepFailuresIn?: string;
  onBatch?: (done: number, report: FuzzReport) => void;
}

/** A seeded fuzzing run over every format and mutation. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const seeds = await makeSeeds();
  const report: FuzzReport = {
    seed: opts.seed,
    iterations: opts.iterations,
    byFormat: Object.fromEntries(FUZZ_FORMATS.map((f) => [f, { inputs: 0, analysed: 0, skipped: 0, crashes: 0, hangs: 0 }])) as FuzzReport['byFormat'],
    byMutation: Object.fromEntries(MUTATIONS.map((m) => [m, 0])) as FuzzReport['byMutation'],
    reasons: {},
    decodedWithWarnings: 0,
    failures: [],
    saved: [],
  };
  const size = opts.batch ?? 1000;
  for (let offset = 0; offset < opts.iterations; offset += size) {
    const inputs = [...fuzzInputs(seeds, Math.min(size, opts.iterations - offset), opts.seed, offset)];
    const results = await ingestInChild(
      inputs.map((x) => ({ name: `${String(x.index).padStart(8, '0')}-${x.format}-${x.mutation}`, bytes: x.bytes })),
      { workDir: path.join(opts.workDir, `batch-${offset}`), stallMs: opts.stallMs },
    );
    inputs.forEach((input, k) => {
      const result = results[k]!;
      const f = report.byFormat[input.format];
      f.inputs++;
      report.byMutation[input.mutation]++;
      if (result.kind === 'image') {
        f.analysed++;
        if (result.decodeWarning) report.decodedWithWarnings++;
      } else if (result.kind === 'skipped') {
        f.skipped++;
        report.reasons[result.reason] = (report.reasons[result.reason] ?? 0) + 1;
      } else {
        if (result.kind === 'crash') f.crashes++;
        else f.hangs++;
        const { bytes, ...meta } = input;
        report.failures.push({ input: meta, result });
        if (opts.keepFailuresIn) {
          mkdirSync(opts.keepFailuresIn, { recursive: true });
          const file = path.join(opts.keepFailuresIn, `${result.kind}-${input.format}-${input.mutation}-seed${opts.seed}-${input.index}.bin`);
          writeFileSync(file, bytes);
          report.saved.push(file);
        }
      }
    });
    opts.onBatch?.(Math.min(opts.iterations, offset + size), report);
  }
  return report;
}

/** Every kept fuzz fixture (crashers and regression inputs), in name order; README.md is not one. */
export function fuzzFixtures(dir = FUZZ_FIXTURES): { name: string; bytes: Buffer }[] {
  return readdirSync(dir)
    .filter((n) => n !== 'README.md')
    .sort()
    .map((name) => ({ name, bytes: readFileSync(path.join(dir, name)) }));
}
