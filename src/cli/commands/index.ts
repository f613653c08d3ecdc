import type { Command } from 'commander';
import { registerLibrary } from './library.js';
import { registerEnrol } from './enrol.js';
import { registerAttribute } from './attribute.js';
import { registerAnalysis } from './analysis.js';
import { registerDemo } from './demo.js';
import { registerServe } from './serve.js';
import { registerReport } from './report.js';
import { registerVerifyReport } from './verify-report.js';
import { registerEval } from './eval.js';
import { registerKey } from './key.js';

/** Adds every sub-command to the program. New commands register here. */
export function registerCommands(program: Command): void {
  registerLibrary(program);
  registerEnrol(program);
  registerAttribute(program);
  registerAnalysis(program);
  registerDemo(program);
  registerServe(program);
  registerReport(program);
  registerVerifyReport(program);
  registerKey(program);
  registerEval(program);
}
