// The API methods answered by the engine host; the dialog methods belong to the window side. Kept
// apart from engine-host.ts so the main process can know the list without loading the engine's
// native dependencies.
import { API_METHODS, type ApiMethod } from '../shared/api.js';

export type HostMethod = Exclude<ApiMethod, 'pickFolder' | 'pickLibraryFile' | 'pickReportFile'>;
const WINDOW_METHODS = ['pickFolder', 'pickLibraryFile', 'pickReportFile'] as const;
export const HOST_METHODS: readonly HostMethod[] = API_METHODS.filter((m): m is HostMethod => !(WINDOW_METHODS as readonly string[]).includes(m));
