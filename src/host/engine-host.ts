// The engine host: what runs inside the Electron utility process (and, unchanged, inside
// `genprint serve` and the unit tests). It owns the session's settings and library path, runs one
// job at a time with progress and cancellation, and makes thumbnails. Plain Node: no electron here,
// the Electron glue around it is a few lines in ./index.ts.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import {
  ApiError,
  toErrorInfo,
  type AnalyseJobRequest,
  type ApiArgs,
  type CaseResult,
  type ApiResult,
  type EnrolJobRequest,
  type EnrolOutcome,
  type HostInfo,
  type JobEvent,
  type JobHandle,
  type JobProgress,
  type JobType,
  type LibraryView,
  type LibraryErrorRates,
  type ManifoldOptions,
  type ReportExport,
  type ReportFormatChoice,
  type Settings,
} from '../shared/api.js';
import { defaultSettings, settingsForSaving, settingsFromSaved, type SettingsReading } from '../shared/settings.js';
import { banksLost } from '../shared/processing-grid.js';
import type * as Engine from '../engine/index.js';
import { engineErrorCode } from '../engine/errors.js';
import type { Progress } from '../engine/types.js';
import type { HostMethod } from './host-methods.js';
import type { PathScope } from './path-scope.js';
import { toApiError } from './errors.js';

/** The engine's public entry points, injected so tests and hosts choose the implementation. */
export type EngineFacade = Pick<
  typeof Engine,
  | 'enrol'
  | 'analyseCase'
  | 'initLibrary'
  | 'listLibrary'
  | 'estimateLibraryErrorRates'
  | 'renameEntry'
  | 'removeEntry'
  | 'exportLibrary'
  | 'importLibrary'
  | 'engineInfo'
  | 'writeReport'
  | 'installationSigningKey'
>;

export { HOST_METHODS, type HostMethod } from './host-methods.js';

export interface EngineHostOptions {
  facade: EngineFacade;
  libraryPath: string;
  modelsDir?: string;
  host: HostInfo['host'];
  nativeDialogs: boolean;
  /** Where settings persist between sessions; in memory only when absent. */
  settingsFile?: string;
  emit: (event: JobEvent) => void;
  /**
   * Folders the API may read evidence from and write library files to (`genprint serve --allow`);
   * absent: any path (the Electron app, whose paths come from native dialogs).
   */
  scope?: PathScope;
  /** Folder of the installation's report-signing key (default: the engine's signingKeyDir()). */
  signingKeyDir?: string;
  /** Minimum milliseconds between two progress events of a job (the last one always goes out). */
  progressIntervalMs?: number;
  thumbnailSize?: number;
}

const THUMB_CACHE_MAX = 4000;
/** Case results kept for report export; a case older than this many analyses must be analysed again. */
const CASES_KEPT = 20;

interface RunningJob {
  handle: JobHandle;
  controller: AbortController;
}

/**
 * The manifold options as the engine should get them: the reference and k mean something for the
 * knn estimate only, and the settings keep them while projector is chosen.
 */
export function manifoldRequest(m: ManifoldOptions): ManifoldOptions {
  if (m.estimate !== 'knn') return { estimate: m.estimate };
  return { estimate: 'knn', ...(m.reference !== undefined ? { reference: m.reference } : {}), ...(m.k !== undefined ? { k: m.k } : {}) };
}

/**
 * What an enrolment reports to the app: the entry, its skipped files, the banks computed for it and,
 * where they are not exactly the entry's own, the banks attribution can use before and after it (the
 * CLI's `enrol` prints the same).
 */
export function enrolOutcome(r: Pick<Awaited<ReturnType<EngineFacade['enrol']>>, 'entry' | 'skipped' | 'banks' | 'sharedBanks'>): EnrolOutcome {
  const banks = r.banks?.ids ?? [];
  const { before, after } = r.sharedBanks;
  const differ = banks.join() !== after.join() || banksLost(r.sharedBanks).length > 0;
  return { entry: r.entry, skipped: r.skipped, banks, ...(differ ? { sharedBanks: { before: [...before], after: [...after] } } : {}) };
}

function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || engineErrorCode(err) === 'cancelled';
}

export class EngineHost {
  private settings: Settings | undefined;
  private settingsProblems: string[] = [];
  private running: RunningJob | undefined;
  private nextJob = 1;
  /** Case roots analysed in this session, with their analysed files: thumbnails are served only for these. */
  private readonly analysed = new Map<string, Set<string>>();
  private readonly thumbs = new Map<string, string | null>();
  /** Results of the cases analysed in this session, by caseId, newest last: what exportReport may write. */
  private readonly cases = new Map<string, CaseResult>();

  constructor(private readonly opts: EngineHostOptions) {}

  /** Runs one API method; whatever it throws leaves as an ApiError, engine errors with their code. */
  async call<M extends HostMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>> {
    const impl = this[method] as unknown as (...a: unknown[]) => Promise<ApiResult<M>>;
    try {
      return await impl.apply(this, args as unknown[]);
    } catch (err) {
      throw toApiError(err);
    }
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  private engineOptions(s: Settings) {
    return { modelsDir: this.opts.modelsDir, provider: s.provider, threads: s.threads || undefined };
  }

  private async getSettings(): Promise<Settings> {
    if (this.settings) return this.settings;
    const file = this.opts.settingsFile;
    let reading: SettingsReading = { settings: defaultSettings(), problems: [] };
    if (file && existsSync(file)) {
      try {
        reading = settingsFromSaved(JSON.parse(await readFile(file, 'utf8')));
      } catch (err) {
        // Unreadable or not JSON: start from the defaults rather than refuse to start, and say so.
        reading.problems = [`cannot be read (${(err as Error).message}): every setting is at its default`];
      }
    }
    this.settings = reading.settings;
    this.settingsProblems = reading.problems.map((p) => `${file}: ${p}`);
    return this.settings;
  }

  /**
   * What was wrong with the settings file when it was read (one line per setting not used); empty
   * when it was good or absent. The app shows them in a notice, `serve` prints them on stderr.
   */
  async settingsFileProblems(): Promise<string[]> {
    await this.getSettings();
    return [...this.settingsProblems];
  }

  async info(): Promise<HostInfo> {
    const settings = await this.getSettings();
    const e = await this.opts.facade.engineInfo(this.engineOptions(settings));
    return {
      host: this.opts.host,
      software: e.software,
      activeProvider: e.provider,
      availableProviders: e.availableProviders,
      model: { phiSha256: e.model.phiSha256, rhoSha256: e.model.rhoSha256, configuration: e.model.configuration },
      methods: e.methods,
      libraryPath: this.opts.libraryPath,
      nativeDialogs: this.opts.nativeDialogs,
      settings,
      ...(this.settingsProblems.length > 0 ? { settingsFileProblems: [...this.settingsProblems] } : {}),
    };
  }

  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    const next = { ...(await this.getSettings()), ...patch };
    this.settings = next;
    if (this.opts.settingsFile) {
      await mkdir(path.dirname(this.opts.settingsFile), { recursive: true });
      await writeFile(this.opts.settingsFile, JSON.stringify(settingsForSaving(next), null, 2));
      this.settingsProblems = []; // the file now holds exactly these, all valid
    }
    return next;
  }

  async listLibrary(): Promise<LibraryView> {
    const p = this.opts.libraryPath;
    if (!existsSync(p)) {
      await mkdir(path.dirname(p), { recursive: true });
      return this.opts.facade.initLibrary(p);
    }
    return this.opts.facade.listLibrary(p);
  }

  async libraryErrorRates(): Promise<LibraryErrorRates> {
    const s = await this.getSettings();
    await this.listLibrary(); // creates the library on first use
    return this.opts.facade.estimateLibraryErrorRates(this.opts.libraryPath, {
      sizes: [1, 10, s.bagSize],
      modelsDir: this.opts.modelsDir,
      classifierEvidence: s.classifierEvidence,
    });
  }

  async renameEntry(nameOrId: string, newName: string): Promise<LibraryView> {
    return this.libraryJob(async (o) => {
      await this.opts.facade.renameEntry(this.opts.libraryPath, nameOrId, newName, o);
      return this.listLibrary();
    });
  }

  async removeEntry(nameOrId: string): Promise<LibraryView> {
    return this.libraryJob(async (o) => {
      await this.opts.facade.removeEntry(this.opts.libraryPath, nameOrId, o);
      return this.listLibrary();
    });
  }

  async exportLibrary(dest: string, names: string[]): Promise<LibraryView> {
    this.opts.scope?.check(dest, 'the export destination');
    if (path.resolve(dest) === path.resolve(this.opts.libraryPath)) throw new ApiError('bad-argument', 'cannot export onto the open library');
    return this.libraryJob((o) => this.opts.facade.exportLibrary(this.opts.libraryPath, dest, names, o));
  }

  async importLibrary(source: string): Promise<LibraryView> {
    this.opts.scope?.check(source, 'the library to import');
    await this.listLibrary(); // creates the library on first use
    return this.libraryJob(async (o) => {
      await this.opts.facade.importLibrary(this.opts.libraryPath, source, o);
      return this.listLibrary();
    });
  }

  /**
   * A library change runs as a job of type 'library': the classifier fit that follows it reports
   * phase 'fit' progress in job events and cancelJob stops it, leaving the library as it was. The
   * call itself answers when the job ends, with the job's result or its error.
   */
  private libraryJob(work: (o: { signal: AbortSignal; onProgress: (p: Progress) => void }) => Promise<LibraryView>): Promise<LibraryView> {
    this.refuseWhileEnrolling();
    return new Promise<LibraryView>((resolve, reject) => {
      this.startJob('library', async (signal, onProgress) => {
        try {
          const view = await work({ signal, onProgress });
          resolve(view);
          return { jobId: '', type: 'library', kind: 'done', result: view };
        } catch (err) {
          reject(err);
          throw err;
        }
      });
    });
  }

  private refuseWhileEnrolling(): void {
    if (this.running?.handle.type === 'enrol') throw new ApiError('busy', 'the library is being written by an enrolment; wait or cancel it');
  }

  async startEnrol(req: EnrolJobRequest): Promise<JobHandle> {
    for (const folder of req.folders) this.opts.scope?.check(folder, 'the reference folder');
    const settings = await this.getSettings();
    await this.listLibrary();
    return this.startJob('enrol', async (signal, onProgress) => {
      const r = await this.opts.facade.enrol({
        ...this.engineOptions(settings),
        libraryPath: this.opts.libraryPath,
        name: req.name,
        family: req.family,
        notes: req.notes,
        folders: req.folders,
        maxCrops: settings.maxCrops,
        banks: settings.referenceBanks,
        signal,
        onProgress,
      });
      return { jobId: '', type: 'enrol', kind: 'done', result: enrolOutcome(r) };
    });
  }

  async startAnalyse(req: AnalyseJobRequest): Promise<JobHandle> {
    this.opts.scope?.check(req.caseRoot, 'the case folder');
    const settings = await this.getSettings();
    await this.listLibrary();
    const method = req.method ?? settings.method;
    const manifold = method === 'manifold' ? manifoldRequest(req.manifold ?? settings.manifold) : undefined;
    return this.startJob('analyse', async (signal, onProgress) => {
      const result = await this.opts.facade.analyseCase({
        ...this.engineOptions(settings),
        libraryPath: this.opts.libraryPath,
        caseRoot: req.caseRoot,
        examiner: req.examiner,
        notes: req.notes,
        method,
        ...(manifold ? { manifold } : {}),
        classifierEvidence: settings.classifierEvidence,
        falseUnknownRate: settings.falseUnknownRate,
        falseSplitRate: settings.falseSplitRate,
        bagSize: settings.bagSize,
        bags: settings.bags,
        seed: settings.seed,
        signal,
        onProgress,
      });
      const files = new Set(result.manifest.map((f) => f.relPath));
      // The result may name the root as the engine resolved it; the UI asks with that name.
      this.analysed.set(path.resolve(req.caseRoot), files);
      this.analysed.set(path.resolve(result.caseRoot), files);
      this.cases.delete(result.caseId);
      this.cases.set(result.caseId, result);
      while (this.cases.size > CASES_KEPT) this.cases.delete(this.cases.keys().next().value!);
      return { jobId: '', type: 'analyse', kind: 'done', result };
    });
  }

  async exportReport(caseId: string, dest: string, format: ReportFormatChoice): Promise<ReportExport> {
    const result = this.cases.get(caseId);
    if (!result) throw new ApiError('bad-argument', `no case ${caseId} was analysed in this session; analyse the folder again to export its report`);
    this.opts.scope?.check(dest, 'the report destination');
    // Evidence folders stay as they were seized: a report is never written into one.
    const root = path.resolve(result.caseRoot);
    const target = path.resolve(dest);
    if (target === root || target.startsWith(root + path.sep))
      throw new ApiError('bad-argument', `the report would be written into the evidence folder ${result.caseRoot}; choose another folder`);
    if (!existsSync(path.dirname(target))) throw new ApiError('bad-argument', `no such folder for the report: ${path.dirname(target)}`);
    const signingKey = format === 'csv' ? undefined : this.opts.facade.installationSigningKey(this.opts.signingKeyDir);
    const r = await this.opts.facade.writeReport(result, target, { format, signingKey });
    return { path: r.path, format: r.format, sha256: r.sha256, sha256Path: r.sha256Path, bytes: r.bytes, pages: r.pages, signedBy: r.signedBy };
  }

  async cancelJob(jobId: string): Promise<boolean> {
    if (!this.running || this.running.handle.jobId !== jobId) return false;
    this.running.controller.abort();
    return true;
  }

  private startJob(type: JobType, work: (signal: AbortSignal, onProgress: (p: Progress) => void) => Promise<Extract<JobEvent, { kind: 'done' }>>): JobHandle {
    if (this.running) throw new ApiError('busy', `a ${this.running.handle.type} job is running; cancel it or wait`);
    const handle: JobHandle = { jobId: `job-${Date.now().toString(36)}-${this.nextJob++}`, type };
    const controller = new AbortController();
    this.running = { handle, controller };
    const { emit } = this.opts;
    const started = Date.now();
    const interval = this.opts.progressIntervalMs ?? 100;
    let lastSent = 0;
    let phase = '';
    let phaseStart = started;

    const onProgress = (p: Progress) => {
      const now = Date.now();
      if (p.phase !== phase) {
        phase = p.phase;
        phaseStart = now;
      }
      const final = p.total > 0 && p.done >= p.total;
      if (!final && now - lastSent < interval) return;
      lastSent = now;
      const phaseSeconds = (now - phaseStart) / 1000;
      const rate = p.rate ?? (phaseSeconds > 0 ? p.done / phaseSeconds : undefined);
      const eta = p.etaSeconds ?? (rate && rate > 0 && p.total >= p.done ? (p.total - p.done) / rate : undefined);
      const progress: JobProgress = {
        phase: p.phase,
        done: p.done,
        total: p.total,
        elapsedSeconds: (now - started) / 1000,
        ...(rate !== undefined && Number.isFinite(rate) ? { rate } : {}),
        ...(eta !== undefined && Number.isFinite(eta) ? { etaSeconds: eta } : {}),
      };
      emit({ jobId: handle.jobId, type, kind: 'progress', progress });
    };

    emit({ jobId: handle.jobId, type, kind: 'started' });
    // Deferred so the caller receives the handle before the first progress event.
    setImmediate(() => {
      work(controller.signal, onProgress)
        .then((done) => emit({ ...done, jobId: handle.jobId } as JobEvent))
        .catch((err) => {
          if (isAbort(err, controller.signal)) emit({ jobId: handle.jobId, type, kind: 'cancelled' });
          else emit({ jobId: handle.jobId, type, kind: 'failed', error: toErrorInfo(toApiError(err)) });
        })
        .finally(() => {
          if (this.running?.handle.jobId === handle.jobId) this.running = undefined;
        });
    });
    return handle;
  }

  async thumbnail(caseRoot: string, relPath: string): Promise<string | null> {
    const root = path.resolve(caseRoot);
    const files = this.analysed.get(root);
    if (!files?.has(relPath)) throw new ApiError('forbidden', 'thumbnails are only made for files of a case analysed in this session');
    const key = `${root}\n${relPath}`;
    if (this.thumbs.has(key)) return this.thumbs.get(key) ?? null;
    const full = path.resolve(root, ...relPath.split('/'));
    if (!full.startsWith(root + path.sep)) throw new ApiError('forbidden', 'path leaves the case folder');
    const size = this.opts.thumbnailSize ?? 64;
    let url: string | null;
    try {
      const png = await sharp(full, { limitInputPixels: 100_000_000, failOn: 'none' })
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .png()
        .toBuffer();
      url = `data:image/png;base64,${png.toString('base64')}`;
    } catch {
      url = null;
    }
    if (this.thumbs.size >= THUMB_CACHE_MAX) this.thumbs.delete(this.thumbs.keys().next().value as string);
    this.thumbs.set(key, url);
    return url;
  }
}
