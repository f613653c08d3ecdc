// Entry of the engine's Electron utility process: one long-lived process for decoding, inference and
// enrolment, because onnxruntime-node's run() blocks its event loop and native addons have misbehaved
// inside Electron with many worker threads or forked children. All logic lives in src/host/engine-host.ts.
import { EngineHost } from '../../host/engine-host.js';
import { realEngine } from '../../host/engine-facade.js';
import { serveHost, type HostMessage, type HostRequest } from '../../host/protocol.js';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

export interface UtilityConfig {
  libraryPath: string;
  modelsDir?: string;
  settingsFile?: string;
  signingKeyDir?: string;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) throw new Error('this module must run in an Electron utility process');

const config = JSON.parse(process.argv[2] ?? '{}') as UtilityConfig;
const post = (m: HostMessage) => parentPort.postMessage(m);

const host = new EngineHost({
  facade: realEngine,
  libraryPath: config.libraryPath,
  modelsDir: config.modelsDir,
  settingsFile: config.settingsFile,
  signingKeyDir: config.signingKeyDir,
  host: 'electron',
  nativeDialogs: true,
  emit: (event) => post({ type: 'job', event }),
});

serveHost(host, {
  post,
  onMessage: (listener) => parentPort.on('message', (e) => listener(e.data as HostRequest)),
});
