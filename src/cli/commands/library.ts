import type { Command } from 'commander';
import {
  estimateLibraryErrorRates,
  exportLibrary,
  fitLibrary,
  importLibrary,
  initLibrary,
  listLibrary,
  removeEntry,
  renameEntry,
  showEntry,
  type FitSummary,
  type Progress,
} from '../../engine/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import { mapErrors } from '../common.js';
import { createProgressReporter } from '../progress.js';
import { withCancellation } from '../cancel.js';
import { cappingNote, confusionSizeIndex, mostConfusedText, type HeldBackErrorRate } from '../../shared/held-back-error.js';
import { formatRate } from '../../shared/numbers.js';
import { displayJson, displayProse, displayText } from '../../shared/display-text.js';

/** One line on what a library change fitted (the classifier is stored in the library so analyses never fit it). */
export function describeFit(fit: FitSummary): string {
  const parts = fit.fitted.map((f) => `${f.view} (${f.regressions} regression${f.regressions === 1 ? '' : 's'}, ${f.seconds.toFixed(1)} s)`);
  const classifier =
    parts.length > 0
      ? `fitted and stored the library classifier: ${parts.join('; ')}`
      : fit.kept.length > 0
        ? `the stored library classifier already matches the entries (${fit.kept.join(', ')})`
        : `no library classifier${fit.notes.length > 0 ? `: ${displayProse(fit.notes.join('; '))}` : ' (fewer than two entries with set-encoder features)'}`;
  const matrices = fit.matrices.map((m) => `${m.view} residuals, ${m.seconds.toFixed(1)} s`);
  const calibrations = fit.calibrations.map((c) => `${c.view}, ${c.seconds.toFixed(1)} s`);
  return (
    classifier +
    (matrices.length > 0 ? `; stored the library × library matrix (${matrices.join('; ')})` : '') +
    (calibrations.length > 0 ? `; stored the calibration of its unknown and split tests (${calibrations.join('; ')})` : '')
  );
}

/** A library change with its fit: progress on stderr (unless quiet), Ctrl-C cancels and leaves the library as it was. */
async function libraryJob<T>(quiet: boolean | undefined, job: (opts: { signal: AbortSignal; onProgress: (p: Progress) => void }) => Promise<T>): Promise<T> {
  const progress = createProgressReporter(process.stderr, quiet);
  try {
    return await withCancellation((signal) => mapErrors(() => job({ signal, onProgress: (p) => progress.update(p) })));
  } finally {
    progress.stop();
  }
}

export function registerLibrary(program: Command): void {
  const lib = program.command('library').description('create and manage a local fingerprint library (one SQLite file)');

  lib
    .command('init')
    .description('create a new, empty library file')
    .argument('<file>', 'library file to create (refuses to overwrite)')
    .action(async (file: string) => {
      const info = await mapErrors(() => initLibrary(file));
      process.stdout.write(`created library ${displayText(info.path)} (schema v${info.schemaVersion})\n`);
    });

  lib
    .command('list')
    .description('list the entries of a library')
    .argument('<file>', 'library file')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = await mapErrors(() => listLibrary(file));
      if (opts.json) return void process.stdout.write(`${displayJson(info)}\n`);
      process.stdout.write(`${displayText(info.path)}  (SHA-256 ${info.sha256}, ${info.entries.length} entries)\n`);
      if (info.entries.length > 1)
        process.stdout.write(
          info.classifiers.length > 0
            ? `  library classifier stored (${info.classifiers.map((c) => `${displayText(c.view)}, fitted ${displayText(c.fittedAt)}`).join('; ')})\n`
            : `  no library classifier stored: an analysis fits one for itself; 'genprint library fit ${displayText(info.path)}' stores it in the library\n`,
        );
      if (info.unverifiedEntries.length > 0)
        process.stdout.write(
          `  ${info.unverifiedEntries.length} entries have no integrity digest (written before schema v5); 'genprint library fit ${displayText(info.path)}' adds it\n`,
        );
      for (const e of info.entries)
        process.stdout.write(
          `  ${displayText(e.name).padEnd(32)} ${displayText(e.family).padEnd(12)} ${String(e.provenance.fileCount).padStart(5)} images  ${displayText(e.method)}  ${displayText(e.createdAt)}\n`,
        );
    });

  lib
    .command('show')
    .description('show one entry with its provenance and calibration')
    .argument('<file>', 'library file')
    .argument('<entry>', 'entry name or id')
    .action(async (file: string, entry: string) => {
      const details = await mapErrors(() => showEntry(file, entry));
      process.stdout.write(`${displayJson(details)}\n`);
    });

  lib
    .command('error-rates')
    .description("how reliably the library tells its entries apart: each entry's error rate on held-back reference sets of each size")
    .argument('<file>', 'library file')
    .option('--sizes <list>', 'comma-separated numbers of images per set', '1,10,50')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { sizes: string; json?: boolean }) => {
      const sizes = opts.sizes.split(',').map((x) => Number(x.trim()));
      if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1))
        throw new CliError(`--sizes must be positive whole numbers separated by commas, got "${opts.sizes}"`, EXIT.usage);
      const r = await mapErrors(() => estimateLibraryErrorRates(file, { sizes }));
      if (opts.json) return void process.stdout.write(`${displayJson(r)}\n`);
      if (r.note) return void process.stdout.write(`no error rates: ${displayProse(r.note)}\n`);
      process.stdout.write(
        'error rate of a verdict for each entry: the share of held-back reference sets attributed to it that came from other entries\n' +
          `(weak at ${Math.round(100 * r.rates[0][0].limit)} % or more; estimated on the library's own images, so it can understate the error for evidence chosen or saved differently)\n`,
      );
      const width = Math.max(5, ...r.rates[0].map((e) => displayText(e.entry).length));
      const capped = (row: HeldBackErrorRate[]) => cappingNote(row[0]) !== null;
      process.stdout.write(
        `  ${'entry'.padEnd(width)} ${r.rates.map((row) => `n=${row[0].n}${capped(row) ? '*' : ''}`.padStart(8)).join(' ')}  most often confused with (n=${r.sizes[confusionSizeIndex(r.rates)]})\n`,
      );
      const confusedAt = r.rates[confusionSizeIndex(r.rates)];
      r.rates[0].forEach((e, i) => {
        process.stdout.write(
          `  ${displayText(e.entry).padEnd(width)} ${r.rates.map((row) => formatRate(row[i].errorRate).padStart(8)).join(' ')}  ${mostConfusedText(confusedAt[i]) ?? '-'}\n`,
        );
      });
      const cappedRow = r.rates.find(capped);
      if (cappedRow) process.stdout.write(`* ${cappingNote(cappedRow[0])}\n`);
    });

  lib
    .command('fit')
    .description(
      "fit the library classifier, compute the library × library matrix and the classifier's calibration, and store them in the file (libraries from older versions; changes do it themselves)",
    )
    .argument('<file>', 'library file')
    .option('-q, --quiet', 'no progress output')
    .action(async (file: string, opts: { quiet?: boolean }) => {
      const fit = await libraryJob(opts.quiet, (o) => fitLibrary(file, o));
      process.stdout.write(`${describeFit(fit)}\n`);
    });

  lib
    .command('rename')
    .description('rename an entry (the library classifier is fitted again)')
    .argument('<file>', 'library file')
    .argument('<entry>', 'entry name or id')
    .argument('<new-name>', 'new name')
    .option('-q, --quiet', 'no progress output')
    .action(async (file: string, entry: string, newName: string, opts: { quiet?: boolean }) => {
      const fit = await libraryJob(opts.quiet, (o) => renameEntry(file, entry, newName, o));
      process.stdout.write(`renamed ${displayText(entry)} → ${displayText(newName)}\n${describeFit(fit)}\n`);
    });

  lib
    .command('remove')
    .description('remove an entry (the library classifier is fitted again)')
    .argument('<file>', 'library file')
    .argument('<entry>', 'entry name or id')
    .option('-q, --quiet', 'no progress output')
    .action(async (file: string, entry: string, opts: { quiet?: boolean }) => {
      const fit = await libraryJob(opts.quiet, (o) => removeEntry(file, entry, o));
      process.stdout.write(`removed ${displayText(entry)}\n${describeFit(fit)}\n`);
    });

  lib
    .command('export')
    .description('write entries into a new single-file library to share with another lab')
    .argument('<file>', 'library file')
    .argument('<dest>', 'new library file to write (refuses to overwrite)')
    .argument('[entries...]', 'entry names (default: all)')
    .option('-q, --quiet', 'no progress output')
    .action(async (file: string, dest: string, entries: string[], opts: { quiet?: boolean }) => {
      const info = await libraryJob(opts.quiet, (o) => exportLibrary(file, dest, entries, o));
      process.stdout.write(`exported ${info.entries.length} entries to ${displayText(info.path)} (SHA-256 ${info.sha256})\n`);
    });

  lib
    .command('import')
    .description('merge the entries of another library file (name clashes get a suffix; the classifier is fitted again)')
    .argument('<file>', 'library file')
    .argument('<source>', 'library file to import from')
    .option('-q, --quiet', 'no progress output')
    .action(async (file: string, source: string, opts: { quiet?: boolean }) => {
      const info = await libraryJob(opts.quiet, (o) => importLibrary(file, source, o));
      process.stdout.write(`${displayText(info.path)} now has ${info.entries.length} entries\n`);
    });
}
