// The API methods answered by the engine host; the dialog methods belong to the window side. Kept
// apart from engine-host.ts so the main process can know the list without loading the engine's
// native dependencies.
import type { ApiMethod } from '../../shared/api.js';

export type HostMethod = Exclude<ApiMethod, 'pickFolder' | 'pickLibraryFile'>;
export const HOST_METHODS: readonly HostMethod[] = [
  'info',
  'updateSettings',
  'listLibrary',
  'renameEntry',
  'removeEntry',
  'exportLibrary',
  'importLibrary',
  'startEnrol',
  'startAnalyse',
  'cancelJob',
  'thumbnail',
];
