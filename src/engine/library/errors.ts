// Library failures carry a stable code: the CLI maps codes to exit statuses and the app to messages,
// so the wording can change without breaking either.
export type LibraryErrorCode =
  | 'not-found'
  | 'not-a-library'
  | 'corrupt'
  /** An entry or the stored classifier no longer matches the digest written with it (the message names it). */
  | 'damaged'
  | 'newer-schema'
  | 'locked'
  | 'exists'
  | 'no-such-entry'
  | 'name-taken'
  | 'invalid-name'
  | 'read-only'
  | 'closed';

export class LibraryError extends Error {
  override readonly name = 'LibraryError';
  constructor(
    readonly code: LibraryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
