// The one API between the user interface and the engine host, declared once. Electron's main
// process and preload, the `genprint serve` HTTP bridge and its browser shim, and the renderer all
// import these names and types, so a method cannot exist on one side only. Every payload is plain
// structured-cloneable data (no class instances, no functions, no typed arrays).
import type {
  CaseResult,
  ClassifierEvidence,
  ClusteringResult,
  LabelledMatrix,
  LibraryEntrySummary,
  LibraryErrorRates,
  ManifoldEstimate,
  ManifoldOptions,
  ManifoldParams,
  MethodId,
  Progress,
  SkippedFile,
  StabilityPoint,
  Verdict,
} from './types.js';
import type { EngineErrorCode } from './errors.js';

export type { EngineErrorCode };
export type {
  CaseResult,
  ClassifierEvidence,
  ClusteringResult,
  LabelledMatrix,
  LibraryEntrySummary,
  LibraryErrorRates,
  ManifoldEstimate,
  ManifoldOptions,
  ManifoldParams,
  MethodId,
  Progress,
  SkippedFile,
  StabilityPoint,
  Verdict,
};
// Values, not just types: types.ts has no imports, so the renderer and preload bundles can take them.
export { CLASSIFIER_EVIDENCE, DEFAULT_MANIFOLD_K, REAL_FAMILY, scoreIsProbability } from './types.js';

export type ProviderChoice = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
export const PROVIDER_CHOICES: readonly ProviderChoice[] = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'];
export const METHOD_CHOICES: readonly MethodId[] = ['dsf', 'residual', 'manifold'];
export const ESTIMATE_CHOICES: readonly ManifoldEstimate[] = ['projector', 'knn'];

/** Analysis settings the examiner can change; the host keeps them for the session. */
export interface Settings {
  method: MethodId;
  bagSize: number;
  bags: number;
  seed: number;
  provider: ProviderChoice;
  /** Intra-op threads for ONNX Runtime; 0: the engine's default (DEFAULTS.threads, 2). */
  threads: number;
  /**
   * The manifold method's estimate and, for knn, the real reference entry (absent: the library's only
   * real entry) and k. Kept while another method is chosen, so switching back restores them; a patch
   * replaces the object as a whole.
   */
  manifold: ManifoldOptions;
  /** dsf method: what the library classifier reads, φ with the residual statistics (all) or φ alone. */
  classifierEvidence: ClassifierEvidence;
  /**
   * The share of an enrolled generator's held-back reference sets the "unknown generator" test may
   * call unknown: its thresholds are set per library for this rate (docs/method.md, open set).
   */
  falseUnknownRate: number;
  /** The share of single-source held-back reference sets the split test may call mixed. */
  falseSplitRate: number;
  /**
   * Canvas tiles per image at most (MAX_CROPS_RANGE): new entries are enrolled with it and record
   * it; an analysis takes the evidence with the library's recorded limit.
   */
  maxCrops: number;
  /**
   * The reference banks new entries are enrolled with (ids of PROCESSING_GRID, in the grid's order;
   * empty: none). Each costs about one more pass over the references at enrolment and one more
   * classifier at every library change; attribution uses only the banks every entry has.
   */
  referenceBanks: readonly string[];
}

/** The range of the tiles-per-image limit (Settings.maxCrops, --max-crops). */
export const MAX_CROPS_RANGE = [1, 64] as const;

export interface LibraryView {
  path: string;
  sha256: string;
  schemaVersion: number;
  entries: LibraryEntrySummary[];
}

/** What the host is and can do: shown in Settings and used to hide controls that cannot work. */
export interface HostInfo {
  host: 'electron' | 'serve';
  software: { name: string; version: string; gitCommit: string | null };
  /** Execution provider the ONNX sessions run on, or null before a model is loaded. */
  activeProvider: string | null;
  availableProviders: string[];
  model: { phiSha256: string | null; rhoSha256: string | null; configuration: string | null };
  methods: { id: MethodId; label: string; isDefault: boolean }[];
  libraryPath: string;
  /** Native open/save dialogs exist (Electron); the browser build asks for typed paths instead. */
  nativeDialogs: boolean;
  settings: Settings;
  /**
   * Present when the saved settings file had values that were not used (invalid, unknown or an
   * unreadable file): one line each, naming the default used instead. Saving the settings clears it.
   */
  settingsFileProblems?: string[];
}

export interface EnrolJobRequest {
  name: string;
  family?: string;
  notes?: string;
  folders: string[];
}

export interface AnalyseJobRequest {
  caseRoot: string;
  examiner?: string;
  notes?: string;
  /** Overrides of the session settings for this analysis only (the app itself uses the settings). */
  method?: MethodId;
  manifold?: ManifoldOptions;
}

/** 'library': a change of the library (rename, remove, import, export) and the classifier fit that follows it. */
export type JobType = 'enrol' | 'analyse' | 'library';

/** Report formats (docs/report.md): the signed PDF for the case file, JSON and CSV for machines. */
export type ReportFormatChoice = 'pdf' | 'json' | 'csv';
export const REPORT_FORMATS: readonly ReportFormatChoice[] = ['pdf', 'json', 'csv'];

/** A report written by exportReport: where, its SHA-256 (also written beside it) and who signed it. */
export interface ReportExport {
  path: string;
  format: ReportFormatChoice;
  sha256: string;
  sha256Path: string;
  bytes: number;
  pages?: number;
  /** Fingerprint of the installation key that signed it (PDF and JSON); absent for CSV. */
  signedBy?: string;
}

export interface JobHandle {
  jobId: string;
  type: JobType;
}

export interface JobProgress extends Progress {
  /** Seconds since the job started. */
  elapsedSeconds: number;
}

export interface EnrolOutcome {
  entry: LibraryEntrySummary;
  skipped: SkippedFile[];
  /** The reference banks computed for the entry, in the grid's order; empty: none (the setting's list was empty, or no set-encoder). */
  banks: string[];
  /**
   * The banks attribution can use (those every entry has), before and after this entry, where they
   * are not exactly the entry's own: the entry has banks some other entry lacks, or lacks banks the
   * others had, which attribution can then no longer use (`before` minus `after`). Absent otherwise.
   */
  sharedBanks?: { before: string[]; after: string[] };
}

/** Streamed to every window (or browser tab) while jobs run; a job ends with exactly one of done/cancelled/failed. */
export type JobEvent =
  | { jobId: string; type: JobType; kind: 'started' }
  | { jobId: string; type: JobType; kind: 'progress'; progress: JobProgress }
  | { jobId: string; type: 'enrol'; kind: 'done'; result: EnrolOutcome }
  | { jobId: string; type: 'analyse'; kind: 'done'; result: CaseResult }
  | { jobId: string; type: 'library'; kind: 'done'; result: LibraryView }
  | { jobId: string; type: JobType; kind: 'cancelled' }
  | { jobId: string; type: JobType; kind: 'failed'; error: ApiErrorInfo };

/**
 * Which door refused a call: the arguments ('bad-argument'), the sender ('forbidden'), the method
 * name ('not-found'), a running job ('busy'), the engine ('engine', with engineCode saying why) or
 * the engine process itself ('unavailable').
 */
export type ApiErrorCode = 'bad-argument' | 'forbidden' | 'not-found' | 'busy' | 'engine' | 'unavailable';

export interface ApiErrorInfo {
  code: ApiErrorCode;
  message: string;
  /** With code 'engine': the engine's own reason (src/shared/errors.ts). */
  engineCode?: EngineErrorCode;
}

/** Request/response methods. Arguments are positional so the same tuple travels over IPC and HTTP. */
export interface ApiMethods {
  info(): Promise<HostInfo>;
  updateSettings(patch: Partial<Settings>): Promise<Settings>;
  listLibrary(): Promise<LibraryView>;
  /**
   * Every entry's error rate on held-back reference sets of 1 and 10 images and of the settings'
   * bag size: how reliably the library tells its entries apart, before any case.
   */
  libraryErrorRates(): Promise<LibraryErrorRates>;
  renameEntry(nameOrId: string, newName: string): Promise<LibraryView>;
  removeEntry(nameOrId: string): Promise<LibraryView>;
  /** Writes the named entries (all when empty) to a new library file at dest. */
  exportLibrary(dest: string, names: string[]): Promise<LibraryView>;
  /** Merges another library file into the open library; clashing names get a suffix. */
  importLibrary(source: string): Promise<LibraryView>;
  startEnrol(req: EnrolJobRequest): Promise<JobHandle>;
  startAnalyse(req: AnalyseJobRequest): Promise<JobHandle>;
  /** True when a running job was told to stop; its 'cancelled' event follows. */
  cancelJob(jobId: string): Promise<boolean>;
  /**
   * Writes the report of a case analysed in this session (by its caseId) to dest, signed with the
   * installation's key, with dest.sha256 beside it. The host reports only what it computed itself:
   * the renderer names the case, it never supplies its content.
   */
  exportReport(caseId: string, dest: string, format: ReportFormatChoice): Promise<ReportExport>;
  /** A small PNG data: URL of an analysed image, or null when it cannot be decoded. */
  thumbnail(caseRoot: string, relPath: string): Promise<string | null>;
  /** Native dialogs; null when cancelled or when the host has none. */
  pickFolder(title: string): Promise<string | null>;
  pickLibraryFile(mode: 'open' | 'save'): Promise<string | null>;
  /** Where to save a report (a save dialog proposing defaultName); null when cancelled or without dialogs. */
  pickReportFile(defaultName: string, format: ReportFormatChoice): Promise<string | null>;
}

export type ApiMethod = keyof ApiMethods;
export type ApiArgs<M extends ApiMethod> = Parameters<ApiMethods[M]>;
export type ApiResult<M extends ApiMethod> = Awaited<ReturnType<ApiMethods[M]>>;

export const API_METHODS = [
  'info',
  'updateSettings',
  'listLibrary',
  'libraryErrorRates',
  'renameEntry',
  'removeEntry',
  'exportLibrary',
  'importLibrary',
  'startEnrol',
  'startAnalyse',
  'cancelJob',
  'exportReport',
  'thumbnail',
  'pickFolder',
  'pickLibraryFile',
  'pickReportFile',
] as const satisfies readonly ApiMethod[];

// Compile-time proof that API_METHODS lists every method exactly: adding a method to ApiMethods
// without listing it here is a type error.
type Missing = Exclude<ApiMethod, (typeof API_METHODS)[number]>;
const _allListed: Missing extends never ? true : never = true;
void _allListed;

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && (API_METHODS as readonly string[]).includes(name);
}

/** Electron IPC channel of a method; one invoke channel per method keeps sender checks per handler. */
export const ipcChannel = (method: ApiMethod): string => `genprint:${method}`;
/** Main → renderer channel carrying JobEvent. */
export const JOB_EVENT_CHANNEL = 'genprint:job-event';

/** How results cross IPC and HTTP: errors keep their code (Electron would strip custom error fields). */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiErrorInfo };

/** The object the preload exposes as `window.genprint` and the browser shim installs in its place. */
export interface GenprintApi extends ApiMethods {
  readonly platform: 'electron' | 'browser';
  /** Subscribes to job events; returns the unsubscribe function. */
  onJobEvent(listener: (event: JobEvent) => void): () => void;
  /** Filesystem path of a dropped file or folder, where the platform can tell (Electron only). */
  pathForFile(file: File): string | null;
}

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly engineCode?: EngineErrorCode,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static from(info: ApiErrorInfo): ApiError {
    return new ApiError(info.code, info.message, info.engineCode);
  }
}

/**
 * The error as it crosses IPC and HTTP. The engine host turns engine errors into ApiError('engine',
 * …, engineCode) before they get here (src/host/errors.ts); anything else that arrives is
 * unexpected and reported as an internal engine failure with its message.
 */
export function toErrorInfo(err: unknown): ApiErrorInfo {
  if (err instanceof ApiError) return { code: err.code, message: err.message, ...(err.engineCode ? { engineCode: err.engineCode } : {}) };
  const e = err as { message?: unknown } | null;
  return { code: 'engine', message: typeof e?.message === 'string' ? e.message : String(err), engineCode: 'internal' };
}

export function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw ApiError.from(envelope.error);
}

declare global {
  interface Window {
    genprint?: GenprintApi;
  }
}
