// Electron main process: windows, security policy, native dialogs and the link to the engine's
// utility process. Deliberately thin; the logic it wires together (dispatcher, IPC handlers, engine
// host) is plain Node and unit-tested in test/ipc.test.ts.
import { app, BrowserWindow, dialog, ipcMain, session, utilityProcess, type UtilityProcess, type WebContents } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JOB_EVENT_CHANNEL, type JobEvent } from '../shared/api.js';
import { createDispatcher, type Dialogs } from '../host/dispatch.js';
import { appUrlChecker, registerIpcHandlers } from './ipc/handlers.js';
import { portClient, type EngineClient, type HostMessage } from '../host/protocol.js';
import type { UtilityConfig } from './utility/index.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // out/main
const RENDERER_URL = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(path.join(here, '../renderer/index.html')).href;
const isTrustedUrl = appUrlChecker(RENDERER_URL);

app.enableSandbox();

/** The engine's one utility process, restarted on the next call if it dies; running jobs are reported failed. */
class EngineProcess implements EngineClient {
  private child: UtilityProcess | undefined;
  private client: ReturnType<typeof portClient> | undefined;
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private readonly open = new Map<string, JobEvent['type']>();

  constructor(private readonly config: UtilityConfig) {}

  private ensure(): ReturnType<typeof portClient> {
    if (this.client) return this.client;
    const child = utilityProcess.fork(path.join(here, 'utility.js'), [JSON.stringify(this.config)], {
      serviceName: 'Genprint engine',
      stdio: 'inherit',
      // The engine also sets this itself before onnxruntime loads (engine/backend/no-telemetry.ts);
      // passing it here keeps the runtime's telemetry off even if that import order ever changed.
      env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
    });
    const messageListeners: ((m: HostMessage) => void)[] = [];
    child.on('message', (m: HostMessage) => messageListeners.forEach((l) => l(m)));
    const client = portClient({ post: (m) => child.postMessage(m), onMessage: (l) => messageListeners.push(l) });
    client.onJobEvent((e) => {
      if (e.kind === 'started') this.open.set(e.jobId, e.type);
      else if (e.kind !== 'progress') this.open.delete(e.jobId);
      this.listeners.forEach((l) => l(e));
    });
    child.on('exit', (code) => {
      client.failAll(`the engine process stopped (exit code ${code})`);
      for (const [jobId, type] of this.open) {
        const e: JobEvent = { jobId, type, kind: 'failed', error: { code: 'unavailable', message: `the engine process stopped (exit code ${code})` } };
        this.listeners.forEach((l) => l(e));
      }
      this.open.clear();
      if (this.child === child) {
        this.child = undefined;
        this.client = undefined;
      }
    });
    this.child = child;
    this.client = client;
    return client;
  }

  call: EngineClient['call'] = (method, args) => this.ensure().call(method, args);

  onJobEvent(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.child?.kill();
  }
}

function nativeDialogs(): Dialogs {
  const parent = () => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  return {
    async pickFolder(title) {
      const w = parent();
      const opts = { title, properties: ['openDirectory' as const] };
      const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async pickLibraryFile(mode) {
      const w = parent();
      const filters = [{ name: 'Genprint library', extensions: ['sqlite', 'db'] }];
      if (mode === 'open') {
        const opts = { title: 'Choose a library file to import', filters, properties: ['openFile' as const] };
        const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
        return r.canceled ? null : (r.filePaths[0] ?? null);
      }
      const opts = { title: 'Export the library to', filters, defaultPath: 'genprint-library.sqlite' };
      const r = w ? await dialog.showSaveDialog(w, opts) : await dialog.showSaveDialog(opts);
      return r.canceled ? null : (r.filePath ?? null);
    },
    async pickReportFile(defaultName, format) {
      const w = parent();
      const names = { pdf: 'PDF report', json: 'JSON report', csv: 'CSV table' } as const;
      const opts = { title: 'Save the report as', filters: [{ name: names[format], extensions: [format] }], defaultPath: defaultName };
      const r = w ? await dialog.showSaveDialog(w, opts) : await dialog.showSaveDialog(opts);
      return r.canceled ? null : (r.filePath ?? null);
    },
  };
}

/** No page may navigate, open windows, attach webviews or get any permission. */
function lockDown(): void {
  app.on('web-contents-created', (_e, contents: WebContents) => {
    contents.on('will-navigate', (e) => e.preventDefault());
    contents.on('will-redirect', (e) => e.preventDefault());
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  // The app is offline by design: anything but our own bundle (and the dev server in development) is cancelled.
  s.webRequest.onBeforeRequest((details, callback) => {
    const u = details.url;
    const ours = u.startsWith('file:') || u.startsWith('data:') || u.startsWith('devtools:') || isTrustedUrl(u);
    callback({ cancel: !ours });
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 680,
    show: false,
    title: 'Genprint',
    backgroundColor: '#f4f5f7',
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(RENDERER_URL);
  return win;
}

async function main(): Promise<void> {
  await app.whenReady();
  lockDown();
  const modelsDir = app.isPackaged ? path.join(process.resourcesPath, 'models') : path.join(here, '../../models');
  const engine = new EngineProcess({
    libraryPath: path.join(app.getPath('userData'), 'library.sqlite'),
    modelsDir,
    settingsFile: path.join(app.getPath('userData'), 'settings.json'),
    // The report-signing key lives with the app's own data (private key readable by the user only).
    signingKeyDir: path.join(app.getPath('userData'), 'keys'),
  });
  registerIpcHandlers(ipcMain, createDispatcher(engine, nativeDialogs()), isTrustedUrl);
  engine.onJobEvent((e) => {
    for (const w of BrowserWindow.getAllWindows()) {
      if (!w.isDestroyed() && isTrustedUrl(w.webContents.getURL())) w.webContents.send(JOB_EVENT_CHANNEL, e);
    }
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', () => engine.stop());
}

void main();
