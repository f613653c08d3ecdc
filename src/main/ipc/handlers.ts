// Electron IPC handlers: one invoke channel per API method, each refusing any sender that is not a
// frame of our own renderer. Written against a structural subset of ipcMain so the unit tests run
// under plain Node with the real dispatcher behind it.
import { API_METHODS, ApiError, ipcChannel, toErrorInfo, type Envelope } from '../../shared/api.js';
import type { Dispatch } from '../../host/dispatch.js';

export interface IpcEventLike {
  /** Electron sets this to null when the frame has navigated away or been destroyed. */
  senderFrame: { url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown> | unknown): void;
  removeHandler(channel: string): void;
}

/**
 * Trust test for the app's own pages: the exact file:// URL of the built renderer, or the origin of
 * the electron-vite dev server. Query strings and fragments are ignored, nothing else is.
 */
export function appUrlChecker(rendererUrl: string): (url: string) => boolean {
  const expected = new URL(rendererUrl);
  return (url) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (expected.protocol === 'file:') return u.protocol === 'file:' && u.host === '' && u.pathname === expected.pathname;
    return u.origin === expected.origin && (u.protocol === 'http:' || u.protocol === 'https:');
  };
}

export function registerIpcHandlers(ipc: IpcMainLike, dispatch: Dispatch, isTrustedUrl: (url: string) => boolean): () => void {
  for (const method of API_METHODS) {
    ipc.handle(ipcChannel(method), async (event, ...args): Promise<Envelope<unknown>> => {
      const url = event?.senderFrame?.url;
      if (typeof url !== 'string' || !isTrustedUrl(url)) {
        return { ok: false, error: toErrorInfo(new ApiError('forbidden', 'IPC from an untrusted frame')) };
      }
      return dispatch(method, args);
    });
  }
  return () => {
    for (const method of API_METHODS) ipc.removeHandler(ipcChannel(method));
  };
}
