// Library failures carry a stable code: the CLI maps codes to exit statuses and the app to messages,
// so the wording can change without breaking either. A LibraryError is an EngineError whose code is
// one of the library's.
import { EngineError, type EngineErrorCode } from '../errors.js';

export type LibraryErrorCode = Extract<
  EngineErrorCode,
  | 'not-found'
  | 'not-a-library'
  | 'corrupt'
  | 'damaged'
  | 'newer-schema'
  | 'locked'
  | 'exists'
  | 'no-such-entry'
  | 'name-taken'
  | 'invalid-name'
  | 'read-only'
  | 'closed'
>;

export class LibraryError extends EngineError {
  override name = 'LibraryError';
  declare readonly code: LibraryErrorCode;
  constructor(code: LibraryErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
