// Evidence for docs/reliability.md. Tests that try bad input, kill writers, run writers side by
// side, watch the network or forge reports call recordReliability once per thing they tried; when
// GENPRINT_RELIABILITY_LOG names a file (`npm run reliability` sets it, scripts/reliability.ts),
// each call appends one JSON line to it, and the script renders the document from those lines.
// Without the variable a call does nothing, so tests pay nothing for it.
//
//   recordReliability('tampering', 'embedded case.json edited, .sha256 deleted', `exit ${code}`, { held: code === 5 });
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { RELIABILITY_LOG_ENV, type ReliabilityRecord } from '../../scripts/reliability-doc.js';

export { RELIABILITY_LOG_ENV, type ReliabilityRecord } from '../../scripts/reliability-doc.js';

/**
 * The document's sections. Any other kind is rendered too (under its own name), so a new kind of
 * test needs no change to the script.
 */
export type ReliabilityKind = 'bad-input' | 'fuzz' | 'kill' | 'concurrent' | 'network' | 'files-written' | 'tampering' | 'library-damage';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** Appends one record to the reliability log, when there is one. Call it after the test's assertions. */
export function recordReliability(
  kind: ReliabilityKind | (string & {}),
  what: string,
  outcome: string,
  extra: { held?: boolean; count?: number; details?: Record<string, unknown> } = {},
): void {
  const file = process.env[RELIABILITY_LOG_ENV];
  if (!file) return;
  const state = expect.getState();
  const record: ReliabilityRecord = {
    kind,
    what,
    outcome,
    held: extra.held ?? true,
    ...(extra.count !== undefined ? { count: extra.count } : {}),
    ...(extra.details ? { details: extra.details } : {}),
    testFile: state.testPath ? path.relative(repoRoot, state.testPath) : 'unknown',
    test: state.currentTestName ?? '',
  };
  // One short line per append: lines from test files running in parallel do not interleave.
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}
