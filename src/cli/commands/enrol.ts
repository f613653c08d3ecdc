import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULTS, enrol, PROCESSING_IDS } from '../../engine/index.js';
import { addEngineOptions, mapErrors, parseMaxCrops } from '../common.js';
import { createProgressReporter } from '../progress.js';
import { withCancellation } from '../cancel.js';
import { describeCompressionCounts } from '../../shared/compression.js';
import { displayProse, displayText, quotedText } from '../../shared/display-text.js';
import { describeFit } from './library.js';
import { tileLimitText } from '../../shared/wording.js';

export function registerEnrol(program: Command): void {
  const cmd = program
    .command('enrol')
    .description('enrol reference images of one generator into the library')
    .requiredOption('-l, --library <file>', 'library file')
    .requiredOption('-n, --name <name>', 'entry name (unique in the library)')
    .option('-f, --family <family>', 'model family (gan, vae, flow, diffusion, t2i, real, …)', 'unknown')
    .option('--notes <text>', 'free-text notes stored with the entry', '')
    .option(
      '--no-manifold',
      "skip the manifold method's projector parts (about halves enrolment time; the entry then cannot be used with --method manifold --estimate projector)",
    )
    .option(
      '--banks <ids>',
      `reference banks to compute, comma-separated (default: all of ${PROCESSING_IDS.join(', ')}): the references re-saved that way, matched to evidence saved alike; each bank costs about one more pass over the references and one more classifier per fit, and attribution uses the banks every entry has`,
      parseBankIds,
    )
    .option('--no-banks', 'no reference banks (re-compressed evidence is then compared with the references as enrolled)')
    .option(
      '--max-crops <n>',
      'canvas tiles per reference image at most: every non-overlapping tile of an image at least twice the canvas both ways, a seeded choice above the limit; recorded with the entry, and attribution takes the evidence alike',
      parseMaxCrops,
      DEFAULTS.maxCrops,
    )
    .option(
      '--no-fit',
      'do not fit the library classifiers after enrolling (to enrol several generators in a row: run `genprint library fit` after the last; an analysis before that fits what it needs itself)',
    )
    .option('--follow-external-links', 'follow symbolic links whose target is outside the reference folders (default: list them as skipped)')
    .option('-q, --quiet', 'no progress output')
    .argument('<folders...>', 'reference folders (read-only)');
  addEngineOptions(cmd).action(async (folders: string[], o) => {
    const progress = createProgressReporter(process.stderr, o.quiet);
    try {
      const { entry, skipped, fit, banks, sharedBanks } = await withCancellation((signal) =>
        mapErrors(() =>
          enrol({
            libraryPath: o.library,
            name: o.name,
            family: o.family,
            notes: o.notes,
            folders,
            canvas: o.canvas,
            maxCrops: o.maxCrops,
            provider: o.provider,
            threads: o.threads,
            modelsDir: o.models,
            manifoldParts: o.manifold,
            banks: o.banks,
            fit: o.fit,
            followExternalLinks: o.followExternalLinks === true,
            signal,
            onProgress: (p) => progress.update(p),
          }),
        ),
      );
      progress.stop();
      process.stdout.write(
        `enrolled ${quotedText(entry.name)} (${displayText(entry.family)}): ${entry.provenance.fileCount} images, ${skipped.length} skipped; ` +
          `methods ${entry.method}; ${tileLimitText(entry.provenance.maxCrops)}; SHA-256 list digest ${entry.provenance.sha256ListDigest}\n` +
          (entry.provenance.compression ? `  saved as: ${describeCompressionCounts(entry.provenance.compression)}\n` : '') +
          (banks && banks.ids.length > 0
            ? `  reference banks: ${banks.ids.join(', ')} (${banks.images} images each; ${banks.seconds.map((b) => `${b.bank} ${b.seconds.toFixed(1)} s`).join(', ')})\n`
            : '') +
          sharedBanksLine(banks?.ids ?? [], sharedBanks) +
          (fit ? `  ${describeFit(fit)}\n` : '') +
          (o.fit === false ? '  library classifiers not fitted (--no-fit): run `genprint library fit` before analysing\n' : ''),
      );
      for (const s of skipped) process.stdout.write(`  skipped ${displayText(s.relPath)}: ${s.reason} — ${displayProse(s.message)}\n`);
    } finally {
      progress.stop();
    }
  });
}

/** `--banks jpeg-q75,webp-q75`: ids of the processing grid, at least one, each once. */
export function parseBankIds(value: string): string[] {
  const ids = value.split(',').map((s) => s.trim());
  const unknown = ids.filter((id) => !PROCESSING_IDS.includes(id));
  if (ids.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(`expected ids of the reference banks, comma-separated, from ${PROCESSING_IDS.join(', ')} (or --no-banks for none)`);
  return [...new Set(ids)];
}

/**
 * Attribution matches evidence only to banks every entry has: a line when this entry's banks are not
 * exactly those (it has more than some other entry, or fewer, so another entry's banks stop counting).
 */
function sharedBanksLine(own: string[], shared: { before: string[]; after: string[] }): string {
  const lost = shared.before.filter((id) => !shared.after.includes(id));
  if (own.join() === shared.after.join() && lost.length === 0) return '';
  return (
    `  banks attribution can use (those every entry has): ${shared.after.length > 0 ? shared.after.join(', ') : 'none'}` +
    (lost.length > 0 ? `; no longer usable: ${lost.join(', ')} (this entry was enrolled without them)` : '') +
    '\n'
  );
}
