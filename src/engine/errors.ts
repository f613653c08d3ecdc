// The engine's one error type. Every failure the engine means to report carries a code from
// src/shared/errors.ts; the host hands the code to the UI and the CLI maps it to an exit status.
// A public entry of the engine (eslint.config.js) so the host and the CLI can classify errors
// without loading the rest of the engine. Plain Node, no imports besides the shared codes.
import type { EngineErrorCode } from '../shared/errors.js';

export type { EngineErrorCode } from '../shared/errors.js';
export { ENGINE_ERROR_CODES, isEngineErrorCode } from '../shared/errors.js';

export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Thrown when a job's AbortSignal fires. Named 'AbortError' like the DOM's, which is what hosts and
 * the CLI have always recognised a cancellation by.
 */
export class CancelledError extends EngineError {
  override name = 'AbortError';
  constructor(message = 'cancelled') {
    super('cancelled', message);
  }
}

/**
 * The code of any error that left the engine: an EngineError's own; 'cancelled' for an AbortError
 * from outside the engine's own classes (ingest, a DOM AbortSignal); 'not-found' for a file-system
 * error that says a path does not exist; 'internal' for everything else.
 */
export function engineErrorCode(err: unknown): EngineErrorCode {
  if (err instanceof EngineError) return err.code;
  const e = err as { name?: unknown; code?: unknown; syscall?: unknown } | null;
  if (e?.name === 'AbortError') return 'cancelled';
  // Node's system errors: a code from errno and the call that failed.
  if (typeof e?.syscall === 'string' && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return 'not-found';
  return 'internal';
}
