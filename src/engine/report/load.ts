// Reading a case back in: from a case JSON (as written by `genprint attribute --json` or the JSON
// report) or from a PDF report's embedded case.json. Only the shape the report needs is checked.
import { readFile } from 'node:fs/promises';
import type { CaseResult } from '../types.js';
import { extractEmbeddedFile } from './pdf-reader.js';
import { EngineError } from '../errors.js';

/** A file given as a case result is not one. */
export class CaseFormatError extends EngineError {
  override name = 'CaseFormatError';
  constructor(message: string) {
    super('invalid-case-file', message);
  }
}

/** Checks that a parsed value is a genprint.case/1 result and returns it typed. */
export function asCaseResult(value: unknown, source = 'input'): CaseResult {
  const v = value as Partial<CaseResult> | null;
  if (!v || typeof v !== 'object') throw new CaseFormatError(`${source}: not a JSON object`);
  if (v.schema !== 'genprint.case/1') throw new CaseFormatError(`${source}: schema is ${JSON.stringify(v.schema)}, expected "genprint.case/1"`);
  for (const key of ['manifest', 'skipped', 'images'] as const) {
    if (!Array.isArray(v[key])) throw new CaseFormatError(`${source}: "${key}" must be an array`);
  }
  if (typeof v.caseId !== 'string') throw new CaseFormatError(`${source}: "caseId" must be a string`);
  if (!v.verdicts || typeof v.verdicts !== 'object' || !v.verdicts.folder) throw new CaseFormatError(`${source}: "verdicts.folder" is missing`);
  if (!v.library || typeof v.library.sha256 !== 'string') throw new CaseFormatError(`${source}: "library.sha256" is missing`);
  return v as CaseResult;
}

export type CaseSource = 'pdf' | 'json';

/** Loads a case from a case JSON file or from the case.json embedded in a PDF report. */
export async function loadCase(file: string): Promise<{ caseResult: CaseResult; source: CaseSource }> {
  const bytes = await readFile(file);
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') {
    const json = extractEmbeddedFile(bytes, 'case.json');
    if (!json) throw new CaseFormatError(`${file}: the PDF has no embedded case.json (not a genprint report?)`);
    return { caseResult: asCaseResult(JSON.parse(json.toString('utf8')), `${file} (embedded case.json)`), source: 'pdf' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new CaseFormatError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  return { caseResult: asCaseResult(parsed, file), source: 'json' };
}
