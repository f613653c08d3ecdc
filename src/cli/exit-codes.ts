/** Exit codes of `genprint`, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** The command failed for a reason not listed below. */
  failure: 1,
  /** Wrong arguments or options. */
  usage: 2,
  /** A file or folder named on the command line is missing or unreadable. */
  input: 3,
  /** The library file is corrupt, foreign, locked or of a newer schema. */
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

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
