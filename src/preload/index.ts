// Preload (sandboxed, context-isolated): exposes exactly the typed API of src/shared/api.ts as
// `window.genprint`, one invoke channel per method. Nothing else from Electron reaches the page.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { API_METHODS, ipcChannel, JOB_EVENT_CHANNEL, unwrap, type ApiMethods, type Envelope, type GenprintApi, type JobEvent } from '../shared/api.js';

const methods = Object.fromEntries(
  API_METHODS.map((m) => [m, async (...args: unknown[]) => unwrap((await ipcRenderer.invoke(ipcChannel(m), ...args)) as Envelope<unknown>)]),
) as unknown as ApiMethods;

const api: GenprintApi = {
  ...methods,
  platform: 'electron',
  onJobEvent(listener) {
    const wrapped = (_e: IpcRendererEvent, event: JobEvent) => listener(event);
    ipcRenderer.on(JOB_EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(JOB_EVENT_CHANNEL, wrapped);
    };
  },
  pathForFile(file) {
    try {
      return webUtils.getPathForFile(file) || null;
    } catch {
      return null;
    }
  },
};

contextBridge.exposeInMainWorld('genprint', api);
