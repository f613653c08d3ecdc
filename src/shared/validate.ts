// Argument validation for every API method. Both doors into the host (Electron IPC and the HTTP
// bridge) run untrusted input through here before anything reaches the engine, so a compromised
// renderer or a hostile page cannot smuggle odd types, huge strings or relative paths into it.
import {
  ApiError,
  CLASSIFIER_EVIDENCE,
  MAX_CROPS_RANGE,
  ESTIMATE_CHOICES,
  METHOD_CHOICES,
  PROVIDER_CHOICES,
  REPORT_FORMATS,
  type AnalyseJobRequest,
  type ApiArgs,
  type ApiMethod,
  type EnrolJobRequest,
  type ManifoldOptions,
  type MethodId,
  type ReportFormatChoice,
  type Settings,
} from './api.js';
import { CALIBRATION_RATE_RANGE } from './calibration.js';
import { PROCESSING_IDS } from './processing-grid.js';

const MAX_TEXT = 4096;
const MAX_NAME = 200;

function bad(message: string): never {
  throw new ApiError('bad-argument', message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function str(v: unknown, what: string, max = MAX_TEXT, allowEmpty = false): string {
  if (typeof v !== 'string') bad(`${what} must be a string`);
  if (!allowEmpty && v.trim() === '') bad(`${what} must not be empty`);
  if (v.length > max) bad(`${what} is longer than ${max} characters`);
  if (v.includes('\0')) bad(`${what} contains a NUL character`);
  return v;
}

function optStr(v: unknown, what: string, max = MAX_TEXT): string | undefined {
  return v === undefined ? undefined : str(v, what, max, true);
}

/** Absolute path on either platform's conventions; relative paths would resolve against the host's cwd. */
function absPath(v: unknown, what: string): string {
  const p = str(v, what);
  if (!(p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'))) bad(`${what} must be an absolute path`);
  return p;
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(`${what} must be an integer in [${min}, ${max}]`);
  return v;
}

function only(obj: Record<string, unknown>, keys: string[], what: string): void {
  for (const k of Object.keys(obj)) if (!keys.includes(k)) bad(`${what}: unknown field "${k}"`);
}

function methodId(v: unknown): MethodId {
  if (!METHOD_CHOICES.includes(v as never)) bad(`method must be one of ${METHOD_CHOICES.join(', ')}`);
  return v as MethodId;
}

/** The manifold method's options. The reference is an entry name or id; the engine checks that it exists and is real. */
function manifoldOptions(v: unknown): ManifoldOptions {
  if (!isPlainObject(v)) bad('manifold must be an object');
  only(v, ['estimate', 'reference', 'k'], 'manifold');
  if (!ESTIMATE_CHOICES.includes(v.estimate as never)) bad(`manifold.estimate must be one of ${ESTIMATE_CHOICES.join(', ')}`);
  const out: ManifoldOptions = { estimate: v.estimate as ManifoldOptions['estimate'] };
  if (v.reference !== undefined) out.reference = str(v.reference, 'manifold.reference', MAX_NAME);
  if (v.k !== undefined) out.k = int(v.k, 'manifold.k', 1, 256);
  return out;
}

export function validateSettingsPatch(v: unknown): Partial<Settings> {
  if (!isPlainObject(v)) bad('settings must be an object');
  only(
    v,
    [
      'method',
      'bagSize',
      'bags',
      'seed',
      'provider',
      'threads',
      'manifold',
      'classifierEvidence',
      'falseUnknownRate',
      'falseSplitRate',
      'maxCrops',
      'referenceBanks',
    ],
    'settings',
  );
  const out: Partial<Settings> = {};
  if (v.method !== undefined) out.method = methodId(v.method);
  if (v.classifierEvidence !== undefined) {
    if (!CLASSIFIER_EVIDENCE.includes(v.classifierEvidence as never)) bad(`classifierEvidence must be one of ${CLASSIFIER_EVIDENCE.join(', ')}`);
    out.classifierEvidence = v.classifierEvidence as Settings['classifierEvidence'];
  }
  if (v.manifold !== undefined) out.manifold = manifoldOptions(v.manifold);
  if (v.provider !== undefined) {
    if (!PROVIDER_CHOICES.includes(v.provider as never)) bad(`provider must be one of ${PROVIDER_CHOICES.join(', ')}`);
    out.provider = v.provider as Settings['provider'];
  }
  if (v.bagSize !== undefined) out.bagSize = int(v.bagSize, 'bagSize', 1, 10_000);
  if (v.bags !== undefined) out.bags = int(v.bags, 'bags', 1, 10_000);
  if (v.seed !== undefined) out.seed = int(v.seed, 'seed', 0, 2 ** 31 - 1);
  if (v.threads !== undefined) out.threads = int(v.threads, 'threads', 0, 256);
  if (v.falseUnknownRate !== undefined) out.falseUnknownRate = rate(v.falseUnknownRate, 'falseUnknownRate');
  if (v.falseSplitRate !== undefined) out.falseSplitRate = rate(v.falseSplitRate, 'falseSplitRate');
  if (v.maxCrops !== undefined) out.maxCrops = int(v.maxCrops, 'maxCrops', ...MAX_CROPS_RANGE);
  if (v.referenceBanks !== undefined) out.referenceBanks = referenceBanks(v.referenceBanks);
  return out;
}

/**
 * The reference banks to enrol with: a list of ids of the processing grid, each at most once (an
 * empty list: none), returned in the grid's order, the order enrolment computes and reports them.
 */
function referenceBanks(v: unknown): string[] {
  const what = `referenceBanks must be a list of reference bank ids from ${PROCESSING_IDS.join(', ')} (an empty list: none)`;
  if (!Array.isArray(v)) bad(what);
  const unknown = v.filter((id) => typeof id !== 'string' || !PROCESSING_IDS.includes(id));
  // Named as JSON (strings quoted, control characters escaped), cut short, the first few only: the value may be hostile.
  const named = (id: unknown) => {
    const json = JSON.stringify(id) ?? typeof id;
    return json.length > 42 ? `${json.slice(0, 40)}…` : json;
  };
  if (unknown.length > 0)
    bad(`${what}; not a bank: ${unknown.slice(0, 5).map(named).join(', ')}${unknown.length > 5 ? `, and ${unknown.length - 5} more` : ''}`);
  const twice = PROCESSING_IDS.filter((id) => v.indexOf(id) !== v.lastIndexOf(id));
  if (twice.length > 0) bad(`referenceBanks lists ${twice.map((id) => `"${id}"`).join(', ')} more than once`);
  return PROCESSING_IDS.filter((id) => v.includes(id));
}

/** A calibration rate: a number from 0.001 to 0.5 (CALIBRATION_RATE_RANGE). */
function rate(v: unknown, field: string): number {
  const [lo, hi] = CALIBRATION_RATE_RANGE;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) bad(`${field} must be a number from ${lo} to ${hi}`);
  return v;
}

function enrolRequest(v: unknown): EnrolJobRequest {
  if (!isPlainObject(v)) bad('enrol request must be an object');
  only(v, ['name', 'family', 'notes', 'folders'], 'enrol request');
  if (!Array.isArray(v.folders) || v.folders.length === 0 || v.folders.length > 64) bad('folders must be a list of 1 to 64 folders');
  return {
    name: str(v.name, 'name', MAX_NAME).trim(),
    family: optStr(v.family, 'family', MAX_NAME),
    notes: optStr(v.notes, 'notes'),
    folders: v.folders.map((f, i) => absPath(f, `folders[${i}]`)),
  };
}

function analyseRequest(v: unknown): AnalyseJobRequest {
  if (!isPlainObject(v)) bad('analyse request must be an object');
  only(v, ['caseRoot', 'examiner', 'notes', 'method', 'manifold'], 'analyse request');
  const out: AnalyseJobRequest = {
    caseRoot: absPath(v.caseRoot, 'caseRoot'),
    examiner: optStr(v.examiner, 'examiner', MAX_NAME),
    notes: optStr(v.notes, 'notes'),
  };
  if (v.method !== undefined) out.method = methodId(v.method);
  if (v.manifold !== undefined) out.manifold = manifoldOptions(v.manifold);
  return out;
}

/** Relative path inside a case folder, with '/' separators and no way out of it. */
function relPath(v: unknown): string {
  const p = str(v, 'relPath');
  const parts = p.split(/[\\/]/);
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || parts.some((s) => s === '..' || s === '')) bad('relPath must stay inside the case folder');
  return p;
}

type Validators = { [M in ApiMethod]: (args: unknown[]) => ApiArgs<M> };

const VALIDATORS: Validators = {
  info: () => [],
  updateSettings: (a) => [validateSettingsPatch(a[0])],
  listLibrary: () => [],
  libraryErrorRates: () => [],
  renameEntry: (a) => [str(a[0], 'entry', MAX_NAME), str(a[1], 'new name', MAX_NAME).trim()],
  removeEntry: (a) => [str(a[0], 'entry', MAX_NAME)],
  exportLibrary: (a) => {
    const names = a[1] ?? [];
    if (!Array.isArray(names) || names.length > 10_000) bad('names must be a list');
    return [absPath(a[0], 'destination'), names.map((n, i) => str(n, `names[${i}]`, MAX_NAME))];
  },
  importLibrary: (a) => [absPath(a[0], 'source')],
  startEnrol: (a) => [enrolRequest(a[0])],
  startAnalyse: (a) => [analyseRequest(a[0])],
  cancelJob: (a) => [str(a[0], 'jobId', 100)],
  exportReport: (a) => [str(a[0], 'caseId', 200), absPath(a[1], 'destination'), reportFormat(a[2])],
  thumbnail: (a) => [absPath(a[0], 'caseRoot'), relPath(a[1])],
  pickFolder: (a) => [str(a[0] ?? 'Choose a folder', 'title', 200)],
  pickLibraryFile: (a) => {
    if (a[0] !== 'open' && a[0] !== 'save') bad("mode must be 'open' or 'save'");
    return [a[0]];
  },
  pickReportFile: (a) => [str(a[0], 'defaultName', 200), reportFormat(a[1])],
};

function reportFormat(v: unknown): ReportFormatChoice {
  if (!REPORT_FORMATS.includes(v as ReportFormatChoice)) bad(`format must be one of ${REPORT_FORMATS.join(', ')}`);
  return v as ReportFormatChoice;
}

/** Checks and normalises the arguments of a call; throws ApiError('bad-argument'). */
export function validateArgs<M extends ApiMethod>(method: M, args: unknown): ApiArgs<M> {
  if (!Array.isArray(args)) bad('arguments must be a list');
  if (args.length > 4) bad('too many arguments');
  return (VALIDATORS[method] as (a: unknown[]) => ApiArgs<M>)(args);
}
