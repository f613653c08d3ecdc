// `npm run reliability`: runs the tests that try bad input, fuzzing, kills, concurrent writers, the
// network and forged reports with GENPRINT_RELIABILITY_LOG set, then renders docs/reliability.md
// from the records they appended (scripts/reliability-doc.ts). Any test file that calls
// recordReliability is included, so a new one needs no change here. Writes nothing when a test fails.
import { spawnSync } from 'node:child_process';
import { cpus, platform, release, tmpdir } from 'node:os';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RELIABILITY_LOG_ENV, renderReliability, type ReliabilityRecord } from './reliability-doc.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(repoRoot, 'docs/reliability.md');

/** Test files (not the browser e2e) that record reliability evidence; not the test of the recorder itself. */
function recordingTests(): string[] {
  const dir = path.join(repoRoot, 'test');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.test.ts') && n !== 'reliability.test.ts' && readFileSync(path.join(dir, n), 'utf8').includes('recordReliability('))
    .sort()
    .map((n) => `test/${n}`);
}

function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

const files = recordingTests();
const work = mkdtempSync(path.join(tmpdir(), 'genprint-reliability-'));
const log = path.join(work, 'records.jsonl');
const results = path.join(work, 'vitest.json');
try {
  writeFileSync(log, '');
  process.stdout.write(`reliability: running ${files.join(' ')}\n`);
  const started = Date.now();
  const vitest = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', ...files, '--reporter=default', '--reporter=json', `--outputFile.json=${results}`],
    { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, [RELIABILITY_LOG_ENV]: log } },
  );
  const seconds = (Date.now() - started) / 1000;
  if (vitest.status !== 0 || !existsSync(results)) {
    process.stderr.write(`reliability: the tests failed (exit ${vitest.status}); ${path.relative(repoRoot, OUT)} left as it was\n`);
    process.exit(1);
  }
  const summary = JSON.parse(readFileSync(results, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  const records = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReliabilityRecord);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const doc = renderReliability(
    records,
    { files, passed: summary.numPassedTests, failed: summary.numFailedTests, skipped: summary.numPendingTests + summary.numTodoTests, seconds },
    {
      date: new Date().toISOString().slice(0, 10),
      commit: `${git(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty ? ' with uncommitted changes' : ''}`,
      machine: `${platform()} ${release()}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.versions.node}, run as ${process.getuid?.() === 0 ? 'root' : 'a regular user'}`,
    },
  );
  writeFileSync(OUT, doc);
  process.stdout.write(`reliability: ${records.length} records → ${path.relative(repoRoot, OUT)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
