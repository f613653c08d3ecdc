import { engineErrorCode, type EngineErrorCode } from '../engine/errors.js';

/** Exit codes of `genprint`, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** The command failed for a reason not listed below. */
  failure: 1,
  /** Wrong arguments or options. */
  usage: 2,
  /** A file or folder named on the command line is missing or unreadable. */
  input: 3,
  /** The library file is corrupt, damaged (an entry or the classifier fails its digest), foreign, locked or of a newer schema. */
  library: 4,
  /** verify-report: an evidence file differs, is missing or is new, or the report contradicts itself (signature, printed digest, .sha256). */
  mismatch: 5,
  /**
   * verify-report: every evidence file matches and nothing contradicts the report, but the report's
   * origin is not established (unsigned, or signed by a key this verifier was not given).
   */
  unauthenticated: 6,
  /** Interrupted (SIGINT) or cancelled. */
  cancelled: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The exit status for each reason the engine gives (src/shared/errors.ts), as docs/cli.md promises.
 * A Record, so a new engine code does not compile until it has an exit status here.
 */
export const EXIT_FOR_ENGINE_ERROR: Record<EngineErrorCode, ExitCode> = {
  'not-found': EXIT.input,
  'not-a-folder': EXIT.input,
  'invalid-case-file': EXIT.input,
  'not-a-library': EXIT.library,
  corrupt: EXIT.library,
  damaged: EXIT.library,
  'newer-schema': EXIT.library,
  locked: EXIT.library,
  'manifold-unavailable': EXIT.library,
  exists: EXIT.usage,
  'no-such-entry': EXIT.usage,
  'name-taken': EXIT.usage,
  'invalid-name': EXIT.usage,
  'read-only': EXIT.failure,
  closed: EXIT.failure,
  'empty-library': EXIT.failure,
  'no-usable-images': EXIT.failure,
  internal: EXIT.failure,
  cancelled: EXIT.cancelled,
};

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Maps an error that left the engine to a CliError with the documented exit code, by the engine's
 * error code (EXIT_FOR_ENGINE_ERROR), never by its message. Unexpected failures ('internal') pass
 * through unchanged, so `main` can print their stack under GENPRINT_DEBUG.
 */
export function toCliError(err: unknown): unknown {
  if (err instanceof CliError) return err;
  const code = engineErrorCode(err);
  if (code === 'internal') return err;
  return new CliError(code === 'cancelled' ? 'cancelled' : (err as Error).message, EXIT_FOR_ENGINE_ERROR[code]);
}
