// The `genprint` command line: a thin layer over the engine's public entry points.
// Each sub-command lives in ./commands/<name>.ts and registers itself on the program.
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { EXIT, CliError, toCliError } from './exit-codes.js';
import { softwareVersion } from '../engine/version.js';
import { displayProse } from '../shared/display-text.js';

export function buildProgram(): Command {
  const program = new Command('genprint')
    .description('Attribute sets of images to the generative model that made them (offline).')
    .version(softwareVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI and returns the process exit code (see ./exit-codes.ts and docs/cli.md). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    // Engine errors from commands that do not wrap their calls in mapErrors get the same exit codes.
    const mapped = toCliError(err);
    if (mapped instanceof CliError) {
      process.stderr.write(`genprint: ${displayProse(mapped.message)}\n`);
      return mapped.exitCode;
    }
    const e = err as Error;
    process.stderr.write(`genprint: ${displayProse(e?.message ?? String(err))}\n`);
    if (process.env.GENPRINT_DEBUG) process.stderr.write(`${e?.stack}\n`);
    return EXIT.failure;
  }
}
