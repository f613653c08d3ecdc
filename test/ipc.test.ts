// The app's IPC layer under plain Node: the real dispatcher, IPC handlers, engine host and HTTP
// bridge. The engine facade is the real one where a test is about the engine's effects
// (cancellation must leave the library file untouched); elsewhere a scripted facade stands in,
// because those tests are about the doors (sender checks, validation, tokens), not the maths.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_METHODS, ipcChannel, type Envelope, type JobEvent, type LibraryView } from '../src/shared/api.js';
import { PROCESSING_IDS } from '../src/shared/processing-grid.js';
import { createDispatcher } from '../src/host/dispatch.js';
import { appUrlChecker, registerIpcHandlers, type IpcEventLike, type IpcMainLike } from '../src/main/ipc/handlers.js';
import { EngineHost, type EngineFacade } from '../src/host/engine-host.js';
import { inProcessClient, jobEventHub, portClient, serveHost, type HostMessage, type HostRequest } from '../src/host/protocol.js';
import { startServe, TOKEN_HEADER, type RunningServer } from '../src/server/serve.js';
import { ENGINE_ERROR_CODES, EngineError, type EngineErrorCode } from '../src/engine/errors.js';
import { LibraryError } from '../src/engine/library/index.js';
import { ManifoldUnavailable } from '../src/engine/manifold/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'genprint-ipc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const APP_URL = 'file:///opt/Genprint/resources/app.asar/out/renderer/index.html';

/** A facade whose enrolment takes `steps` ticks and writes its entry only at the end, like the engine. */
function scriptedFacade(steps = 50, tickMs = 4): EngineFacade & { entries: string[] } {
  const entries: string[] = [];
  const view = (p: string): LibraryView => ({
    path: p,
    sha256: 'x',
    schemaVersion: 1,
    entries: entries.map((name, i) => ({
      id: i + 1,
      name,
      family: 'gan',
      notes: '',
      createdAt: '2024-01-01T00:00:00+00:00',
      provenance: { sourceFolders: [], fileCount: 1, skippedCount: 0, sha256ListDigest: '' },
      method: 'residual',
      modelVersion: 'none',
    })),
  });
  const facade = {
    entries,
    initLibrary: async (p: string) => view(p),
    listLibrary: async (p: string) => view(p),
    renameEntry: async (_p: string, from: string, to: string) => {
      const i = entries.indexOf(from);
      if (i < 0) throw new LibraryError('no-such-entry', `no such entry ${from}`);
      entries[i] = to;
    },
    removeEntry: async () => {},
    exportLibrary: async (p: string) => view(p),
    importLibrary: async (p: string) => view(p),
    engineInfo: async () => ({
      software: { name: 'genprint', version: '0', gitCommit: null },
      provider: null,
      availableProviders: ['cpu'],
      model: { phiSha256: null, rhoSha256: null, configuration: null, card: null },
      methods: [{ id: 'residual' as const, label: 'Residual', isDefault: true }],
      defaults: { method: 'residual' as const, bagSize: 10, bags: 5, seed: 7, canvas: 256, threads: 1 },
    }),
    enrol: async (req: Parameters<EngineFacade['enrol']>[0]) => {
      for (let i = 1; i <= steps; i++) {
        await new Promise((r) => setTimeout(r, tickMs));
        if (req.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
        req.onProgress?.({ phase: 'ingest', done: i, total: steps });
      }
      entries.push(req.name);
      return { entry: view(req.libraryPath).entries.at(-1)!, skipped: [], banks: null, sharedBanks: { before: [], after: [] } };
    },
    analyseCase: async () => {
      throw new Error('analysis is not scripted');
    },
  };
  return facade as unknown as EngineFacade & { entries: string[] };
}

function makeHost(facade: EngineFacade, libraryPath = path.join(tmp, `lib-${Math.random()}.db`)) {
  const hub = jobEventHub();
  const events: JobEvent[] = [];
  hub.subscribe((e) => events.push(e));
  const host = new EngineHost({ facade, libraryPath, host: 'serve', nativeDialogs: false, emit: hub.emit, progressIntervalMs: 0 });
  return { host, hub, events, client: inProcessClient(host, hub) };
}

function waitFor(events: JobEvent[], pred: (e: JobEvent) => boolean, timeoutMs = 60_000): Promise<JobEvent> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      const hit = events.find(pred);
      if (hit) return resolve(hit);
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out waiting for job event'));
      setTimeout(poll, 5);
    };
    poll();
  });
}

const isEnd = (id: string) => (e: JobEvent) => e.jobId === id && (e.kind === 'done' || e.kind === 'cancelled' || e.kind === 'failed');

/** An ipcMain stand-in that records handlers and invokes them the way Electron does. */
function fakeIpcMain() {
  const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  const ipc: IpcMainLike = {
    handle: (ch, l) => {
      if (handlers.has(ch)) throw new Error(`second handler for ${ch}`);
      handlers.set(ch, l);
    },
    removeHandler: (ch) => handlers.delete(ch),
  };
  const invoke = async (url: string | null, channel: string, ...args: unknown[]) =>
    (await handlers.get(channel)!({ senderFrame: url === null ? null : { url } }, ...args)) as Envelope<unknown>;
  return { ipc, handlers, invoke };
}

describe('IPC handlers', () => {
  const { client } = makeHost(scriptedFacade());
  const dispatch = createDispatcher(client, {
    pickFolder: async () => '/picked/folder',
    pickLibraryFile: async (mode) => `/picked/${mode}.db`,
    pickReportFile: async (name) => `/picked/${name}`,
  });
  const { ipc, handlers, invoke } = fakeIpcMain();
  const unregister = registerIpcHandlers(ipc, dispatch, appUrlChecker(APP_URL));

  it('registers one channel per API method', () => {
    expect([...handlers.keys()].sort()).toEqual(API_METHODS.map(ipcChannel).sort());
  });

  it('answers the app’s own frame', async () => {
    const r = await invoke(APP_URL + '#/library', ipcChannel('listLibrary'));
    expect(r.ok).toBe(true);
    expect((r as { value: LibraryView }).value.entries).toEqual([]);
    expect(await invoke(APP_URL, ipcChannel('pickFolder'), 'Evidence')).toEqual({ ok: true, value: '/picked/folder' });
  });

  it.each([
    ['a remote page', 'https://evil.example/index.html'],
    ['another local file', 'file:///tmp/evil/index.html'],
    ['a look-alike path', 'file:///opt/Genprint/resources/app.asar/out/renderer/index.html.evil'],
    ['a file URL with a host', 'file://evil/opt/Genprint/resources/app.asar/out/renderer/index.html'],
    ['a data URL', 'data:text/html,<script>1</script>'],
    ['a destroyed frame', null],
  ])('rejects %s', async (_what, url) => {
    for (const method of ['listLibrary', 'pickFolder', 'startEnrol'] as const) {
      const r = await invoke(url, ipcChannel(method), { name: 'x', folders: ['/a'] });
      expect(r).toEqual({ ok: false, error: { code: 'forbidden', message: expect.any(String) } });
    }
  });

  it('trusts the dev server by origin only', () => {
    const ok = appUrlChecker('http://localhost:5173/');
    expect(ok('http://localhost:5173/index.html')).toBe(true);
    expect(ok('http://localhost:5174/')).toBe(false);
    expect(ok('http://127.0.0.1.evil.example:5173/')).toBe(false);
  });

  it.each([
    ['renameEntry', [42, 'x']],
    ['renameEntry', ['a', '   ']],
    ['startEnrol', [{ name: 'x', folders: ['relative/path'] }]],
    ['startEnrol', [{ name: 'x', folders: [] }]],
    ['startEnrol', [{ name: 'x', folders: ['/a'], extra: 1 }]],
    ['startAnalyse', [{ caseRoot: '/a\0b' }]],
    ['startAnalyse', ['not an object']],
    ['updateSettings', [{ bagSize: 0 }]],
    ['updateSettings', [{ method: 'magic' }]],
    ['updateSettings', [{ threads: 1.5 }]],
    ['updateSettings', [{ manifold: 'knn' }]],
    ['updateSettings', [{ manifold: { estimate: 'pca' } }]],
    ['updateSettings', [{ manifold: { reference: 'Real' } }]],
    ['updateSettings', [{ manifold: { estimate: 'knn', k: 0 } }]],
    ['updateSettings', [{ manifold: { estimate: 'knn', k: 2.5 } }]],
    ['updateSettings', [{ manifold: { estimate: 'knn', reference: '' } }]],
    ['updateSettings', [{ manifold: { estimate: 'knn', reference: 7 } }]],
    ['updateSettings', [{ manifold: { estimate: 'knn', index: 'hnsw' } }]],
    ['updateSettings', [{ classifierEvidence: 'spectrum' }]],
    ['updateSettings', [{ classifierEvidence: ['phi'] }]],
    ['startAnalyse', [{ caseRoot: '/a', method: 'magic' }]],
    ['startAnalyse', [{ caseRoot: '/a', manifold: { estimate: 'knn', k: 1000 } }]],
    ['thumbnail', ['/case', '../etc/passwd']],
    ['thumbnail', ['/case', '/etc/passwd']],
    ['thumbnail', ['/case', 'a//b.png']],
    ['exportLibrary', ['out.db', []]],
    ['pickLibraryFile', ['delete']],
  ])('validates arguments: %s %j', async (method, args) => {
    const r = await invoke(APP_URL, ipcChannel(method as never), ...(args as unknown[]));
    expect(r.ok).toBe(false);
    expect((r as { error: { code: string } }).error.code).toBe('bad-argument');
  });

  it('rejects unknown methods at the dispatcher', async () => {
    expect(await dispatch('__proto__', [])).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await dispatch('constructor', [])).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('keeps engine error messages and codes', async () => {
    const r = await invoke(APP_URL, ipcChannel('renameEntry'), 'missing', 'new');
    expect(r).toEqual({ ok: false, error: { code: 'engine', message: 'no such entry missing', engineCode: 'no-such-entry' } });
  });

  it('unregisters every channel', () => {
    unregister();
    expect(handlers.size).toBe(0);
  });
});

describe('manifold options', () => {
  /** A facade whose analysis records what reached analyseCase, then fails as the engine does without a real entry. */
  function recordingFacade() {
    const requests: Parameters<EngineFacade['analyseCase']>[0][] = [];
    const facade = scriptedFacade();
    facade.analyseCase = async (req) => {
      requests.push(req);
      throw new ManifoldUnavailable('the manifold method (knn) needs a real reference set: enrol real images with family "real"');
    };
    return { facade, requests };
  }

  async function analyse(settings: unknown, request: Record<string, unknown> = {}) {
    const { facade, requests } = recordingFacade();
    const { client, events } = makeHost(facade);
    const dispatch = createDispatcher(client);
    expect(await dispatch('updateSettings', [settings])).toMatchObject({ ok: true });
    const started = await dispatch('startAnalyse', [{ caseRoot: '/evidence', ...request }]);
    expect(started.ok).toBe(true);
    const end = await waitFor(events, isEnd((started as { value: { jobId: string } }).value.jobId));
    return { req: requests[0]!, end };
  }

  it('defaults to the projector estimate', async () => {
    const settings = (await makeHost(scriptedFacade()).client.call('info', [])).settings;
    expect(settings.manifold).toEqual({ estimate: 'projector' });
  });

  it('passes the knn estimate, reference and k from the settings to analyseCase', async () => {
    const { req } = await analyse({ method: 'manifold', manifold: { estimate: 'knn', reference: 'Real photos', k: 4 } });
    expect(req.method).toBe('manifold');
    expect(req.manifold).toEqual({ estimate: 'knn', reference: 'Real photos', k: 4 });
  });

  it('keeps a knn reference in the settings but sends only the estimate for projector', async () => {
    const { req } = await analyse({ method: 'manifold', manifold: { estimate: 'projector', reference: 'Real photos', k: 4 } });
    expect(req.manifold).toEqual({ estimate: 'projector' });
  });

  it('sends no manifold options for the other methods', async () => {
    const { req } = await analyse({ method: 'dsf', manifold: { estimate: 'knn', reference: 'Real photos' } });
    expect(req.method).toBe('dsf');
    expect(req).not.toHaveProperty('manifold');
  });

  it('passes the classifier evidence from the settings (default: all blocks)', async () => {
    const settings = (await makeHost(scriptedFacade()).client.call('info', [])).settings;
    expect(settings.classifierEvidence).toBe('all');
    expect((await analyse({ method: 'dsf' })).req.classifierEvidence).toBe('all');
    expect((await analyse({ method: 'dsf', classifierEvidence: 'phi' })).req.classifierEvidence).toBe('phi');
  });

  it('lets one analysis override the settings', async () => {
    const { req } = await analyse({ method: 'residual' }, { method: 'manifold', manifold: { estimate: 'knn', k: 3 } });
    expect(req.method).toBe('manifold');
    expect(req.manifold).toEqual({ estimate: 'knn', k: 3 });
  });

  it('reports the engine’s ManifoldUnavailable message as it is', async () => {
    const { end } = await analyse({ method: 'manifold', manifold: { estimate: 'knn' } });
    expect(end).toMatchObject({
      kind: 'failed',
      error: {
        code: 'engine',
        engineCode: 'manifold-unavailable',
        message: 'the manifold method (knn) needs a real reference set: enrol real images with family "real"',
      },
    });
  });
});

describe('job runner', () => {
  it('streams progress with rate and ETA, then done', async () => {
    const facade = scriptedFacade(30, 3);
    const { client, events } = makeHost(facade);
    const { jobId, type } = await client.call('startEnrol', [{ name: 'Alpha', folders: ['/refs/a'] }]);
    expect(type).toBe('enrol');
    const end = await waitFor(events, isEnd(jobId));
    expect(end.kind).toBe('done');
    const mine = events.filter((e) => e.jobId === jobId);
    expect(mine[0]!.kind).toBe('started');
    const progress = mine.flatMap((e) => (e.kind === 'progress' ? [e.progress] : []));
    expect(progress.length).toBeGreaterThan(5);
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b));
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ done: 30, total: 30, phase: 'ingest' });
    expect(last.rate).toBeGreaterThan(0);
    expect(progress[3]!.etaSeconds).toBeGreaterThan(0);
    expect(last.etaSeconds).toBe(0);
    expect(facade.entries).toEqual(['Alpha']);
  });

  it('refuses a second job while one runs, and cancels mid-job without writing', async () => {
    const facade = scriptedFacade(400, 5);
    const { client, events } = makeHost(facade);
    const { jobId } = await client.call('startEnrol', [{ name: 'Beta', folders: ['/refs/b'] }]);
    await expect(client.call('startEnrol', [{ name: 'Gamma', folders: ['/refs/c'] }])).rejects.toMatchObject({ code: 'busy' });
    await waitFor(events, (e) => e.jobId === jobId && e.kind === 'progress' && e.progress.done >= 3);
    expect(await client.call('cancelJob', ['no-such-job'])).toBe(false);
    expect(await client.call('cancelJob', [jobId])).toBe(true);
    const end = await waitFor(events, isEnd(jobId));
    expect(end.kind).toBe('cancelled');
    expect(facade.entries).toEqual([]);
    // The host is free again.
    const next = await client.call('startEnrol', [{ name: 'Gamma', folders: ['/refs/c'] }]);
    await client.call('cancelJob', [next.jobId]);
    expect((await waitFor(events, isEnd(next.jobId))).kind).toBe('cancelled');
  });

  it('works the same across a message port (the utility-process link)', async () => {
    const facade = scriptedFacade(10, 2);
    const host = new EngineHost({ facade, libraryPath: path.join(tmp, 'port.db'), host: 'electron', nativeDialogs: true, emit: () => {} });
    // Two in-memory ends that clone every message, as Electron's ports do.
    const toHost = new Set<(m: HostRequest) => void>();
    const toMain = new Set<(m: HostMessage) => void>();
    const client = portClient({ post: (m) => queueMicrotask(() => toHost.forEach((l) => l(structuredClone(m)))), onMessage: (l) => toMain.add(l) });
    (host as unknown as { opts: { emit: (e: JobEvent) => void } }).opts.emit = (event) =>
      queueMicrotask(() => toMain.forEach((l) => l(structuredClone({ type: 'job', event }))));
    serveHost(host, { post: (m) => queueMicrotask(() => toMain.forEach((l) => l(structuredClone(m)))), onMessage: (l) => toHost.add(l) });
    const events: JobEvent[] = [];
    client.onJobEvent((e) => events.push(e));
    const { jobId } = await client.call('startEnrol', [{ name: 'Delta', folders: ['/refs/d'] }]);
    expect((await waitFor(events, isEnd(jobId))).kind).toBe('done');
    await expect(client.call('renameEntry', ['nope', 'x'])).rejects.toMatchObject({
      code: 'engine',
      engineCode: 'no-such-entry',
      message: 'no such entry nope',
    });
  });
});

/** A host behind an in-memory message port (as in the utility process), a dispatcher and the IPC handlers in front of it. */
function linkedApp(facade: EngineFacade) {
  const events: JobEvent[] = [];
  const toHost = new Set<(m: HostRequest) => void>();
  const toMain = new Set<(m: HostMessage) => void>();
  const host = new EngineHost({
    facade,
    libraryPath: path.join(tmp, `linked-${Math.random()}.db`),
    host: 'electron',
    nativeDialogs: true,
    progressIntervalMs: 0,
    emit: (event) => queueMicrotask(() => toMain.forEach((l) => l(structuredClone({ type: 'job', event })))),
  });
  const client = portClient({ post: (m) => queueMicrotask(() => toHost.forEach((l) => l(structuredClone(m)))), onMessage: (l) => toMain.add(l) });
  serveHost(host, { post: (m) => queueMicrotask(() => toMain.forEach((l) => l(structuredClone(m)))), onMessage: (l) => toHost.add(l) });
  client.onJobEvent((e) => events.push(e));
  const { ipc, invoke } = fakeIpcMain();
  registerIpcHandlers(ipc, createDispatcher(client), appUrlChecker(APP_URL));
  return { events, invoke: (method: string, ...args: unknown[]) => invoke(APP_URL, ipcChannel(method as never), ...args) };
}

describe('engine error codes reach the UI', () => {
  /** A facade whose every library call and analysis fails with the given engine error. */
  function failingFacade(code: EngineErrorCode) {
    const facade = scriptedFacade();
    const fail = async () => {
      throw new EngineError(code, `the engine says ${code}`);
    };
    Object.assign(facade, { renameEntry: fail, analyseCase: fail });
    return facade;
  }

  it.each(ENGINE_ERROR_CODES.filter((c) => c !== 'cancelled'))(
    '%s: in the reply of a call and in a failed job, across the utility-process port',
    async (code) => {
      const { events, invoke } = linkedApp(failingFacade(code));
      expect(await invoke('renameEntry', 'a', 'b')).toEqual({ ok: false, error: { code: 'engine', engineCode: code, message: `the engine says ${code}` } });
      const started = (await invoke('startAnalyse', { caseRoot: '/evidence' })) as { ok: true; value: { jobId: string } };
      const end = await waitFor(events, isEnd(started.value.jobId));
      expect(end).toMatchObject({ kind: 'failed', error: { code: 'engine', engineCode: code, message: `the engine says ${code}` } });
    },
  );

  it('cancelled: a job the engine reports as cancelled ends as cancelled, not failed', async () => {
    const { events, invoke } = linkedApp(failingFacade('cancelled'));
    const started = (await invoke('startAnalyse', { caseRoot: '/evidence' })) as { ok: true; value: { jobId: string } };
    expect((await waitFor(events, isEnd(started.value.jobId))).kind).toBe('cancelled');
  });

  it('an unexpected failure is an internal engine error with its message', async () => {
    const facade = scriptedFacade();
    facade.renameEntry = async () => {
      throw new TypeError('x is undefined');
    };
    const { invoke } = linkedApp(facade);
    expect(await invoke('renameEntry', 'a', 'b')).toEqual({ ok: false, error: { code: 'engine', engineCode: 'internal', message: 'x is undefined' } });
  });

  it('errors of the host itself keep their code and carry no engine code', async () => {
    const { invoke } = linkedApp(scriptedFacade());
    const r = await invoke('thumbnail', '/case', 'a.png');
    expect(r).toEqual({ ok: false, error: { code: 'forbidden', message: expect.any(String) } });
  });
});

describe('defaults', () => {
  it('a new session starts from the defaults the engine and the CLI use (bags of 10, 20 bags, seed 1, dsf)', async () => {
    const engine = await import('../src/engine/index.js');
    const host = new EngineHost({ facade: engine, libraryPath: path.join(tmp, 'defaults.db'), host: 'serve', nativeDialogs: false, emit: () => {} });
    const { settings } = await host.call('info', []);
    const { defaults } = await engine.engineInfo();
    for (const key of ['method', 'bagSize', 'bags', 'seed'] as const) expect(settings[key], key).toBe(defaults[key]);
    expect(settings).toMatchObject({ method: 'dsf', bagSize: 10, bags: 20, seed: 1, threads: 0 });
    // docs/method.md promises the same: "default 20 × 10".
    expect(readFileSync(path.join(__dirname, '..', 'docs', 'method.md'), 'utf8')).toMatch(/seeded; default 20 × 10\)/);
  });
});

describe('settings file', () => {
  function hostWith(settingsFile: string) {
    const { facade, requests } = (() => {
      const requests: Parameters<EngineFacade['analyseCase']>[0][] = [];
      const f = scriptedFacade();
      f.analyseCase = async (req) => {
        requests.push(req);
        throw new EngineError('no-usable-images', 'recorded');
      };
      return { facade: f, requests };
    })();
    const hub = jobEventHub();
    const events: JobEvent[] = [];
    hub.subscribe((e) => events.push(e));
    const host = new EngineHost({
      facade,
      libraryPath: path.join(tmp, `settings-${Math.random()}.db`),
      host: 'serve',
      nativeDialogs: false,
      settingsFile,
      emit: hub.emit,
    });
    return { host, client: inProcessClient(host, hub), events, requests };
  }

  it('uses the defaults for invalid and unknown fields, keeps the valid ones, says which, and sends only valid values to the engine', async () => {
    const file = path.join(tmp, 'bad-settings.json');
    writeFileSync(file, JSON.stringify({ method: 'nonsense', bagSize: -3, bags: 7, seed: 5, colour: 'red', manifold: { estimate: 'knn', k: 0 } }));
    const { host, client, events, requests } = hostWith(file);
    const info = await client.call('info', []);
    expect(info.settings).toMatchObject({ method: 'dsf', bagSize: 10, bags: 7, seed: 5, manifold: { estimate: 'projector' } });
    expect(info.settingsFileProblems).toHaveLength(4);
    const problems = info.settingsFileProblems!.join('\n');
    for (const field of ['method', 'bagSize', 'colour', 'manifold.k']) expect(problems).toContain(field);
    expect(problems).toContain(file);
    expect(problems).toMatch(/bagSize must be an integer in \[1, 10000\]; using the default, 10/);
    expect(await host.settingsFileProblems()).toEqual(info.settingsFileProblems);

    const { jobId } = await client.call('startAnalyse', [{ caseRoot: '/evidence' }]);
    await waitFor(events, isEnd(jobId));
    expect(requests[0]).toMatchObject({ method: 'dsf', bagSize: 10, bags: 7, seed: 5 });

    // The file is left as it was until the examiner saves; saving writes valid settings and ends the notice.
    expect(JSON.parse(readFileSync(file, 'utf8')).bagSize).toBe(-3);
    await client.call('updateSettings', [{ bagSize: 12 }]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ method: 'dsf', bagSize: 12, bags: 7 });
    expect((await client.call('info', [])).settingsFileProblems).toBeUndefined();
    // The file records the bank grid its reference-bank list was chosen from, and reads back as saved.
    expect(JSON.parse(readFileSync(file, 'utf8')).referenceBankGrid).toEqual(PROCESSING_IDS);
    const reread = await hostWith(file).client.call('info', []);
    expect(reread.settings).toEqual((await client.call('info', [])).settings);
    expect(reread.settingsFileProblems).toBeUndefined();
  });

  it('starts with every default when the file is not JSON or not an object, and says so', async () => {
    for (const [name, text] of [
      ['garbled.json', '{"method": "dsf",'],
      ['list.json', '[1, 2]'],
    ]) {
      const file = path.join(tmp, name);
      writeFileSync(file, text);
      const info = await hostWith(file).client.call('info', []);
      expect(info.settings).toEqual({
        method: 'dsf',
        bagSize: 10,
        bags: 20,
        seed: 1,
        provider: 'auto',
        threads: 0,
        manifold: { estimate: 'projector' },
        classifierEvidence: 'all',
        falseUnknownRate: 0.05,
        falseSplitRate: 0.01,
        maxCrops: 1,
        referenceBanks: ['jpeg-q90', 'jpeg-q75', 'jpeg-q50', 'webp-q75', 'jpeg-q90-444', 'jpeg-q95', 'jpeg-q85', 'webp-q90'],
      });
      expect(info.settingsFileProblems).toEqual([
        expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*every setting is at its default`)),
      ]);
    }
  });

  it('a good file gives no notice', async () => {
    const file = path.join(tmp, 'good-settings.json');
    writeFileSync(file, JSON.stringify({ method: 'residual', bagSize: 5 }));
    const info = await hostWith(file).client.call('info', []);
    expect(info.settings).toMatchObject({ method: 'residual', bagSize: 5, bags: 20 });
    expect(info).not.toHaveProperty('settingsFileProblems');
  });
});

describe('serve bridge', () => {
  let server: RunningServer;
  beforeAll(async () => {
    // The scripted engine enrols '/refs/…' (no such folder needed): allowed like a real --allow.
    server = await startServe({ facade: scriptedFacade(100, 5), libraryPath: path.join(tmp, 'serve.db'), allowedRoots: ['/refs'] });
  });
  afterAll(() => server.close());

  function request(opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }) {
    return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  }
  const api = (method: string, args: unknown[], headers: Record<string, string> = {}) =>
    request({
      method: 'POST',
      path: `/api/${method}`,
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: server.token, ...headers },
      body: JSON.stringify({ args }),
    });

  it('listens on 127.0.0.1 with a long random token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
    expect(server.openUrl).toContain(encodeURIComponent(server.token));
  });

  it('answers with the token', async () => {
    const r = await api('listLibrary', []);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, value: { entries: [] } });
  });

  it('rejects a missing or wrong token with 401', async () => {
    expect((await api('listLibrary', [], { [TOKEN_HEADER]: '' })).status).toBe(401);
    // The last character changed to a different one (a fixed 'A' equals the token one time in 64).
    const wrong = server.token.slice(0, -1) + (server.token.endsWith('A') ? 'B' : 'A');
    expect((await api('listLibrary', [], { [TOKEN_HEADER]: wrong })).status).toBe(401);
    expect((await request({ method: 'POST', path: '/api/listLibrary', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    expect((await request({ path: '/api/events' })).status).toBe(401);
  });

  it('rejects a foreign Origin or Host with 403, even with the token', async () => {
    expect((await api('listLibrary', [], { origin: 'https://evil.example' })).status).toBe(403);
    expect((await api('listLibrary', [], { origin: `http://127.0.0.1:${server.port + 1}` })).status).toBe(403);
    expect((await api('listLibrary', [], { host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await request({ path: '/', headers: { host: 'rebind.example' } })).status).toBe(403);
    expect((await api('listLibrary', [], { origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
  });

  it('maps validation errors to 400 and unknown methods to 404', async () => {
    expect((await api('startEnrol', [{ name: 'x', folders: ['rel'] }])).status).toBe(400);
    expect((await api('nope', [])).status).toBe(404);
    expect((await request({ method: 'POST', path: '/api/info', headers: { [TOKEN_HEADER]: server.token }, body: '{}' })).status).toBe(415);
  });

  it('sends CSP on pages and never serves files outside the web root', async () => {
    const r = await request({ path: '/' });
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await request({ path: '/../../etc/passwd' })).status).not.toBe(200);
    expect((await request({ path: '/%2e%2e/%2e%2e/etc/passwd' })).status).not.toBe(200);
  });

  it('streams job events over SSE, and cancels', async () => {
    const got: JobEvent[] = [];
    const sse = http.get({ host: '127.0.0.1', port: server.port, path: '/api/events', headers: { [TOKEN_HEADER]: server.token } });
    const connected = new Promise<void>((resolve) =>
      sse.on('response', (res) => {
        expect(res.headers['content-type']).toContain('text/event-stream');
        let buf = '';
        res.on('data', (c) => {
          buf += c;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            if (block.startsWith('data: ')) got.push(JSON.parse(block.slice(6)));
          }
        });
        resolve();
      }),
    );
    await connected;
    const start = JSON.parse((await api('startEnrol', [{ name: 'Served', folders: ['/refs/s'] }])).body);
    expect(start.ok).toBe(true);
    const { jobId } = start.value;
    await waitFor(got, (e) => e.jobId === jobId && e.kind === 'progress');
    expect(JSON.parse((await api('cancelJob', [jobId])).body)).toEqual({ ok: true, value: true });
    expect((await waitFor(got, isEnd(jobId))).kind).toBe('cancelled');
    sse.destroy();
  });
});

describe('with the real engine', () => {
  const refs = path.join(tmp, 'refs');
  let engine: EngineFacade;
  beforeAll(async () => {
    engine = await import('../src/engine/index.js');
    // Noise images with a fixed additive pattern: enough for the engine to enrol, made on the spot.
    await mkdir(refs, { recursive: true });
    const w = 64;
    const pattern = Buffer.alloc(w * w * 3);
    for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 2654435761) % 17;
    for (let k = 0; k < 60; k++) {
      const px = Buffer.alloc(w * w * 3);
      for (let i = 0; i < px.length; i++) px[i] = Math.min(255, 100 + ((i * 7 + k * 131) % 60) + pattern[i]!);
      await sharp(px, { raw: { width: w, height: w, channels: 3 } })
        .png()
        .toFile(path.join(refs, `${String(k).padStart(3, '0')}.png`));
    }
  });

  it('cancelling an enrolment mid-job reports cancelled and leaves the library file as it was', async () => {
    const libraryPath = path.join(tmp, 'real.db');
    const { client, events } = makeHost(engine, libraryPath);
    // No reference banks: this tests the job, and each bank would be one more pass over the references.
    await client.call('updateSettings', [{ referenceBanks: [] }]);
    const before = await client.call('listLibrary', []);
    const digest = () => createHash('sha256').update(readFileSync(libraryPath)).digest('hex');
    const bytesBefore = digest();
    const { jobId } = await client.call('startEnrol', [{ name: 'Noise', family: 'test', folders: [refs] }]);
    await waitFor(events, (e) => e.jobId === jobId && e.kind === 'progress' && e.progress.done >= 1);
    expect(await client.call('cancelJob', [jobId])).toBe(true);
    const end = await waitFor(events, isEnd(jobId));
    expect(end.kind).toBe('cancelled');
    expect(digest()).toBe(bytesBefore);
    expect((await client.call('listLibrary', [])).entries).toEqual(before.entries);

    // The same request, not cancelled, does write the entry: the test above could have failed.
    const again = await client.call('startEnrol', [{ name: 'Noise', family: 'test', folders: [refs] }]);
    const done = await waitFor(events, isEnd(again.jobId), 120_000);
    expect(done).toMatchObject({ kind: 'done', result: { entry: { name: 'Noise', family: 'test' } } });
    expect((await client.call('listLibrary', [])).entries.map((e) => e.name)).toEqual(['Noise']);
    expect(digest()).not.toBe(bytesBefore);
  });

  it('enrols with the reference banks the settings name, and says when an entry narrows the banks attribution can use', async () => {
    // A few references: each bank costs one more pass over them.
    const few = path.join(tmp, 'refs-few');
    await mkdir(few, { recursive: true });
    for (let k = 0; k < 16; k++) copyFileSync(path.join(refs, `${String(k).padStart(3, '0')}.png`), path.join(few, `${k}.png`));
    const libraryPath = path.join(tmp, 'banks.db');
    const { client, events } = makeHost(engine, libraryPath);
    const { showEntry } = await import('../src/engine/index.js');
    // The library lists an entry's banks by id.
    const storedBanks = async (name: string) => (await showEntry(libraryPath, name)).stored.referenceBanks.map((line) => line.split(':')[0]).sort();
    const enrolWith = async (name: string, referenceBanks: string[]) => {
      await client.call('updateSettings', [{ referenceBanks }]);
      const { jobId } = await client.call('startEnrol', [{ name, family: 'test', folders: [few] }]);
      const end = await waitFor(events, isEnd(jobId), 300_000);
      expect(end.kind, JSON.stringify(end)).toBe('done');
      return (end as Extract<JobEvent, { type: 'enrol'; kind: 'done' }>).result;
    };

    const first = await enrolWith('Two banks', ['jpeg-q75', 'jpeg-q50']);
    expect(first.banks).toEqual(['jpeg-q75', 'jpeg-q50']);
    expect(first).not.toHaveProperty('sharedBanks'); // the first entry: its banks are the library's
    expect(await storedBanks('Two banks')).toEqual(['jpeg-q50', 'jpeg-q75']);

    // An entry with one of them makes the other unusable, and the outcome says so.
    const second = await enrolWith('One bank', ['jpeg-q75']);
    expect(second.banks).toEqual(['jpeg-q75']);
    expect(second.sharedBanks).toEqual({ before: ['jpeg-q75', 'jpeg-q50'], after: ['jpeg-q75'] });
    expect(await storedBanks('One bank')).toEqual(['jpeg-q75']);
    expect(JSON.parse(JSON.stringify(second))).toEqual(second);

    // None: the outcome and the entry say so.
    const third = await enrolWith('No banks', []);
    expect(third.banks).toEqual([]);
    expect(third.sharedBanks).toEqual({ before: ['jpeg-q75'], after: [] });
    expect(await storedBanks('No banks')).toEqual([]);
  });

  it('the engine’s own errors reach the UI with their codes', async () => {
    const libraryPath = path.join(tmp, 'codes.db');
    const { client, events } = makeHost(engine, libraryPath);
    const failure = async (req: Parameters<EngineHost['startAnalyse']>[0]) => {
      const { jobId } = await client.call('startAnalyse', [req]);
      const end = await waitFor(events, isEnd(jobId), 120_000);
      expect(end.kind).toBe('failed');
      return (end as Extract<JobEvent, { kind: 'failed' }>).error;
    };
    await client.call('listLibrary', []); // creates the empty library
    await client.call('updateSettings', [{ referenceBanks: [] }]); // the enrolment below needs no banks

    // An empty library, a missing folder, a file where a folder belongs.
    expect(await failure({ caseRoot: refs, method: 'residual' })).toMatchObject({ code: 'engine', engineCode: 'empty-library' });
    expect(await failure({ caseRoot: path.join(tmp, 'no-such-case') })).toEqual({
      code: 'engine',
      engineCode: 'not-found',
      message: `no such folder: ${path.join(tmp, 'no-such-case')}`,
    });
    expect(await failure({ caseRoot: path.join(refs, '000.png') })).toMatchObject({ code: 'engine', engineCode: 'not-a-folder' });

    // An entry, then the same name again (refused before any image is read), and a folder without one usable image.
    const enrolled = await client.call('startEnrol', [{ name: 'Noise', family: 'test', folders: [refs] }]);
    expect(await waitFor(events, isEnd(enrolled.jobId), 120_000)).toMatchObject({ kind: 'done' });
    const again = await client.call('startEnrol', [{ name: 'Noise', folders: [refs] }]);
    expect(await waitFor(events, isEnd(again.jobId))).toMatchObject({ kind: 'failed', error: { code: 'engine', engineCode: 'name-taken' } });
    const junk = path.join(tmp, 'junk');
    await mkdir(junk, { recursive: true });
    writeFileSync(path.join(junk, 'a.png'), 'not an image');
    writeFileSync(path.join(junk, 'empty.jpg'), '');
    expect(await failure({ caseRoot: junk, method: 'residual' })).toMatchObject({ code: 'engine', engineCode: 'no-usable-images' });
    await expect(client.call('renameEntry', ['nope', 'x'])).rejects.toMatchObject({ code: 'engine', engineCode: 'no-such-entry' });

    // A damaged library file: refused with 'corrupt', and its bytes are left as they were.
    const bytes = readFileSync(libraryPath);
    writeFileSync(libraryPath, bytes.subarray(0, bytes.length - 100));
    const damaged = readFileSync(libraryPath);
    await expect(client.call('listLibrary', [])).rejects.toMatchObject({ code: 'engine', engineCode: 'corrupt' });
    expect(readFileSync(libraryPath).equals(damaged)).toBe(true);
  });
});
