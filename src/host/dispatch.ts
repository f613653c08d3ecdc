// Routes one API call, whatever door it came through (Electron IPC or the HTTP bridge): checks the
// method name, validates the arguments, then hands it to the engine host or to the window's dialogs.
// Always resolves to an Envelope so error codes survive the trip.
import { ApiError, isApiMethod, toErrorInfo, type ApiMethods, type Envelope } from '../shared/api.js';
import { validateArgs } from '../shared/validate.js';
import type { EngineClient } from './protocol.js';

export type Dialogs = Pick<ApiMethods, 'pickFolder' | 'pickLibraryFile' | 'pickReportFile'>;

/** Hosts without native dialogs (the browser build) answer null, and the UI asks for a typed path. */
export const NO_DIALOGS: Dialogs = {
  pickFolder: async () => null,
  pickLibraryFile: async () => null,
  pickReportFile: async () => null,
};

export type Dispatch = (method: string, args: unknown) => Promise<Envelope<unknown>>;

export function createDispatcher(client: EngineClient, dialogs: Dialogs = NO_DIALOGS): Dispatch {
  return async (method, rawArgs) => {
    try {
      if (!isApiMethod(method)) throw new ApiError('not-found', `unknown method ${JSON.stringify(String(method).slice(0, 60))}`);
      const args = validateArgs(method, rawArgs);
      let value: unknown;
      if (method === 'pickFolder') value = await dialogs.pickFolder(...(args as Parameters<Dialogs['pickFolder']>));
      else if (method === 'pickLibraryFile') value = await dialogs.pickLibraryFile(...(args as Parameters<Dialogs['pickLibraryFile']>));
      else if (method === 'pickReportFile') value = await dialogs.pickReportFile(...(args as Parameters<Dialogs['pickReportFile']>));
      else value = await client.call(method, args as never);
      return { ok: true, value };
    } catch (err) {
      return { ok: false, error: toErrorInfo(err) };
    }
  };
}
