// Engine errors as the API reports them: code 'engine' (the existing meaning: the engine refused or
// failed) plus the engine's own code, so the UI can tell a corrupt library from a missing folder
// without reading the message. Errors the host raises itself are ApiErrors already.
import { ApiError } from '../shared/api.js';
import { engineErrorCode } from '../engine/errors.js';

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return new ApiError('engine', message, engineErrorCode(err));
}
