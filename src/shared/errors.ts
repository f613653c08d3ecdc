// Why an engine operation failed, as a stable code. The engine throws EngineError with one of these
// (src/engine/errors.ts); the host passes it to the UI as ApiErrorInfo.engineCode and the CLI turns
// it into its documented exit status (src/cli/exit-codes.ts). Callers branch on the code, never on
// the message, so the wording can change without breaking either.
export const ENGINE_ERROR_CODES = [
  // The library file (the codes of docs/architecture.md, "Opening, and what is refused").
  /** A file or folder that was named does not exist (the library, an evidence or reference folder). */
  'not-found',
  'not-a-library',
  'corrupt',
  /** An entry or the stored classifier no longer matches the digest written with it (the message names it). */
  'damaged',
  'newer-schema',
  /** Another process is writing the library. */
  'locked',
  /** Creating or exporting onto a path that exists. */
  'exists',
  'read-only',
  'closed',
  // Library entries.
  'no-such-entry',
  'name-taken',
  'invalid-name',
  /** The library has no entries, so there is nothing to attribute to. */
  'empty-library',
  // What was asked of the engine.
  /** A path named as a folder is something else. */
  'not-a-folder',
  /** A folder held no image the engine could use (every file was skipped). */
  'no-usable-images',
  /** The manifold method cannot run as asked: models missing, no real reference entry, entries enrolled without it. */
  'manifold-unavailable',
  /** A file given as a case result (case.json or a report) is not one. */
  'invalid-case-file',
  /** The job was cancelled. */
  'cancelled',
  /** Anything else: an unexpected failure, the message says what. */
  'internal',
] as const;

export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number];

export function isEngineErrorCode(v: unknown): v is EngineErrorCode {
  return typeof v === 'string' && (ENGINE_ERROR_CODES as readonly string[]).includes(v);
}
