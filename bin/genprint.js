#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run through tsx, so `genprint` executes exactly the engine
// sources the app and the tests use, with no separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
