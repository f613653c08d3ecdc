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
  type ApiResult,
  type EnrolJobRequest,
  type HostInfo,
  type JobEvent,
  type JobHandle,
  type JobProgress,
  type JobType,
  type LibraryView,
  type LibraryErrorRates,
  type ManifoldOptions,
  type Settings,
} from '../shared/api.js';
import type * as Engine from '../engine/index.js';
import type { Progress } from '../engine/types.js';
import type { HostMethod } from './host-methods.js';

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
  /** Minimum milliseconds between two progress events of a job (the last one always goes out). */
  progressIntervalMs?: number;
  thumbnailSize?: number;
}

const FALLBACK_SETTINGS: Settings = {
  method: 'dsf',
  bagSize: 50,
  bags: 100,
  seed: 1,
  provider: 'auto',
  threads: 0,
  manifold: { estimate: 'projector' },
  classifierEvidence: 'all',
};
const THUMB_CACHE_MAX = 4000;

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

function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (err as { name?: string } | null)?.name === 'AbortError';
}

export class EngineHost {
  private settings: Settings | undefined;
  private running: RunningJob | undefined;
  private nextJob = 1;
  /** Case roots analysed in this session, with their analysed files: thumbnails are served only for these. */
  private readonly analysed = new Map<string, Set<string>>();
  private readonly thumbs = new Map<string, string | null>();

  constructor(private readonly opts: EngineHostOptions) {}

  async call<M extends HostMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>> {
    const impl = this[method] as unknown as (...a: unknown[]) => Promise<ApiResult<M>>;
    return impl.apply(this, args as unknown[]);
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  private engineOptions(s: Settings) {
    return { modelsDir: this.opts.modelsDir, provider: s.provider, threads: s.threads || undefined };
  }

  private async getSettings(): Promise<Settings> {
    if (this.settings) return this.settings;
    let base = { ...FALLBACK_SETTINGS };
    try {
      const d = (await this.opts.facade.engineInfo({ modelsDir: this.opts.modelsDir })).defaults;
      base = { ...base, method: d.method, bagSize: d.bagSize, bags: d.bags, seed: d.seed, threads: 0 };
    } catch {
      /* engine defaults unavailable (no model yet): keep the fallback */
    }
    if (this.opts.settingsFile && existsSync(this.opts.settingsFile)) {
      try {
        const saved = JSON.parse(await readFile(this.opts.settingsFile, 'utf8')) as Partial<Settings>;
        base = { ...base, ...saved };
      } catch {
        /* unreadable settings file: start from defaults rather than refuse to start */
      }
    }
    this.settings = base;
    return base;
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
    };
  }

  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    const next = { ...(await this.getSettings()), ...patch };
    this.settings = next;
    if (this.opts.settingsFile) {
      await mkdir(path.dirname(this.opts.settingsFile), { recursive: true });
      await writeFile(this.opts.settingsFile, JSON.stringify(next, null, 2));
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
    if (path.resolve(dest) === path.resolve(this.opts.libraryPath)) throw new ApiError('bad-argument', 'cannot export onto the open library');
    return this.libraryJob((o) => this.opts.facade.exportLibrary(this.opts.libraryPath, dest, names, o));
  }

  async importLibrary(source: string): Promise<LibraryView> {
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
        signal,
        onProgress,
      });
      return { jobId: '', type: 'enrol', kind: 'done', result: { entry: r.entry, skipped: r.skipped } };
    });
  }

  async startAnalyse(req: AnalyseJobRequest): Promise<JobHandle> {
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
      return { jobId: '', type: 'analyse', kind: 'done', result };
    });
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
          else emit({ jobId: handle.jobId, type, kind: 'failed', error: toErrorInfo(err) });
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
