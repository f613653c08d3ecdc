import type { Command } from 'commander';

/** Adds every sub-command to the program. New commands register here. */
export function registerCommands(_program: Command): void {}
