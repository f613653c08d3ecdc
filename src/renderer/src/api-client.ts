// The renderer's single way to the host: the preload's `window.genprint` in Electron, or the HTTP
// shim (same interface) when the page is served by `genprint serve`.
import type { GenprintApi } from '../../shared/api.js';
import { createHttpApi } from './http-api.js';

let api: GenprintApi | undefined;

export function getApi(): GenprintApi {
  api ??= window.genprint ?? createHttpApi();
  return api;
}
