import type { Command } from 'commander';
import { DEFAULTS, enrol } from '../../engine/index.js';
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
      '--no-banks',
      'skip the reference banks (the references re-saved as JPEG q95/q90/q75/q50 4:2:0, JPEG q90 4:4:4 and WebP q75, matched to re-compressed evidence); each bank costs about one more pass over the references',
    )
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
      const { entry, skipped, fit, banks } = await withCancellation((signal) =>
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
          (fit ? `  ${describeFit(fit)}\n` : '') +
          (o.fit === false ? '  library classifiers not fitted (--no-fit): run `genprint library fit` before analysing\n' : ''),
      );
      for (const s of skipped) process.stdout.write(`  skipped ${displayText(s.relPath)}: ${s.reason} — ${displayProse(s.message)}\n`);
    } finally {
      progress.stop();
    }
  });
}
