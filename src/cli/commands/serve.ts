// `genprint serve`: the workstation's API and its browser build on 127.0.0.1 (see src/server/serve.ts).
import path from 'node:path';
import type { Command } from 'commander';
import { displayText } from '../../shared/display-text.js';
import { CliError, EXIT } from '../exit-codes.js';
import { parsePositiveInt, requireFolder } from '../common.js';
import { repoRoot } from '../../engine/version.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the workstation UI and API on 127.0.0.1 for a local browser (token-protected)')
    .requiredOption('-l, --library <file>', 'library file (created when missing)')
    .option('-p, --port <n>', 'port to listen on (default: a free one)', parsePositiveInt)
    .option('--models <dir>', 'folder with phi.onnx, rho.onnx, model-card.json')
    .option('--web <dir>', 'browser build of the renderer', path.join(repoRoot(), 'out', 'web'))
    .option('--settings <file>', 'where to keep the UI settings between runs')
    .option(
      '--allow <folder>',
      "a folder the browser may open cases and reference folders from and export or import libraries in (repeatable; default: the library's folder)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(async (o) => {
      (o.allow ?? []).forEach(requireFolder);
      const { realEngine: facade } = await import('../../host/engine-facade.js');
      const { startServe } = await import('../../server/serve.js');
      let server;
      try {
        server = await startServe({
          facade,
          libraryPath: path.resolve(o.library),
          allowedRoots: (o.allow ?? []).map((d: string) => path.resolve(d)),
          modelsDir: o.models,
          webRoot: o.web,
          settingsFile: o.settings ? path.resolve(o.settings) : undefined,
          port: o.port,
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') throw new CliError(`port ${o.port} is in use`, EXIT.usage);
        throw err;
      }
      // A settings file with unusable values does not stop the server: its defaults stand in, and the user is told.
      for (const problem of await server.host.settingsFileProblems()) process.stderr.write(`genprint: settings ${problem}\n`);
      process.stdout.write(`Genprint serving on ${server.openUrl}\n`);
      process.stdout.write(`Cases, reference folders and library exports are limited to: ${server.allowedRoots.map(displayText).join(', ')}\n`);
      process.stdout.write('Open that address in a browser on this machine; press Ctrl-C to stop.\n');
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
