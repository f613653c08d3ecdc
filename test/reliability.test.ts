// The mechanism behind docs/reliability.md: tests append records (test/helpers/reliability.ts) only
// when GENPRINT_RELIABILITY_LOG is set, and scripts/reliability-doc.ts turns them into the document.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { renderReliability, type ReliabilityRecord } from '../scripts/reliability-doc.js';
import { RELIABILITY_LOG_ENV, recordReliability } from './helpers/reliability.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'genprint-reliability-test-'));
const saved = process.env[RELIABILITY_LOG_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[RELIABILITY_LOG_ENV];
  else process.env[RELIABILITY_LOG_ENV] = saved;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (kind: string, what: string, held = true, extra: Partial<ReliabilityRecord> = {}): ReliabilityRecord => ({
  kind,
  what,
  outcome: held ? 'caught' : 'slipped through',
  held,
  testFile: `test/${kind}.test.ts`,
  test: `${kind} test`,
  ...extra,
});

describe('reliability records', () => {
  it('are appended as JSON lines, with the test that made them, only when the variable names a log', () => {
    const log = path.join(dir, 'records.jsonl');
    delete process.env[RELIABILITY_LOG_ENV];
    recordReliability('tampering', 'nothing recorded without the variable', 'n/a');
    expect(existsSync(log)).toBe(false);

    process.env[RELIABILITY_LOG_ENV] = log;
    recordReliability('tampering', 'edited manifest', 'caught (exit 5)');
    recordReliability('fuzz', 'seeded fuzzing', '0 crashes', { count: 1000, details: { seed: 7 } });
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ kind: 'tampering', what: 'edited manifest', outcome: 'caught (exit 5)', held: true, testFile: 'test/reliability.test.ts' }),
      expect.objectContaining({ kind: 'fuzz', count: 1000, details: { seed: 7 } }),
    ]);
    expect(lines[0].test).toContain('only when the variable names a log');
  });

  it('render into a summary table and one section per kind, unknown kinds and failures included', () => {
    const records = [
      record('bad-input', 'zero bytes'),
      record('bad-input', 'PNG cut in half'),
      record('tampering', 'edited manifest'),
      record('tampering', 'replaced signature', false),
      record('fuzz', 'seeded fuzzing', true, {
        count: 500,
        details: { seed: 3, byFormat: { png: { inputs: 500, analysed: 20, skipped: 480, crashes: 0, hangs: 0 } }, reasons: { corrupt: 480 } },
      }),
      record('library-damage', 'flipped bytes in an entry'),
    ];
    const doc = renderReliability(
      records,
      { files: ['test/a.test.ts'], passed: 10, failed: 0, skipped: 1, seconds: 42 },
      { date: '2025-01-01', commit: 'abc1234', machine: 'test box' },
    );
    expect(doc).toMatch(/^# Reliability\n/);
    expect(doc).toContain('Run of 2025-01-01, commit abc1234, on test box.');
    expect(doc).toContain('Tests: 10 passed, 0 failed, 1 skipped, in 1 files (42 s)');
    expect(doc).toMatch(/\| Kinds of bad input tried \| 2 kinds, all held .*\| `npx vitest run test\/bad-input\.test\.ts` \|/);
    expect(doc).toMatch(/\| Tampering attempts caught \| 1 of 2 \|/);
    expect(doc).toMatch(/\| replaced signature \| slipped through \| \*\*NO\*\* \|/);
    expect(doc).toMatch(/\| Fuzz iterations \| 500 mutated inputs, all held/);
    expect(doc).toContain('| png | 500 | 20 | 480 | 0 | 0 |');
    expect(doc).toMatch(/\| Kills survived \| not run \(no records\) \|/);
    expect(doc).toContain('## Library damage');
    expect(doc).toMatch(/\| Library damage \| 1 tried, all held \|/);
  });
});
