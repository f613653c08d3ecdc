// Cancellation: every long job takes an AbortSignal and stops with a CancelledError (named
// 'AbortError', code 'cancelled') at its next check.
import { CancelledError } from '../errors.js';

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}
