import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { analyseCase, DEFAULTS, type CaseResult } from '../../engine/index.js';
import {
  addEngineOptions,
  addMethodOptions,
  formatVerdict,
  manifoldOptionsFrom,
  mapErrors,
  parseMaxCrops,
  parsePositiveInt,
  parseRate,
  parseSeed,
} from '../common.js';
import { createProgressReporter } from '../progress.js';
import { summariseLibraryErrorRates } from '../../shared/held-back-error.js';
import { formatScore } from '../../shared/numbers.js';
import { earlierJpegLine, resamplingLine } from '../../shared/processing-history.js';
import { displayJson, displayProse, displayText, quotedText } from '../../shared/display-text.js';
import { withCancellation } from '../cancel.js';

export function formatCase(result: CaseResult): string {
  const out: string[] = [];
  const { params, verdicts } = result;
  out.push(
    `case ${displayText(result.caseId)} · ${result.manifest.length} images analysed, ${result.skipped.length} skipped · ` +
      `method ${params.method} · provider ${params.provider} · model ${result.model.phiSha256?.slice(0, 12) ?? 'none'}`,
  );
  const m = params.manifold;
  if (m)
    out.push(
      `manifold estimate ${m.estimate}: ${m.definition}` +
        (m.reference ? ` · real reference ${quotedText(m.reference.name)} (${m.reference.images} images) · search ${m.index}` : '') +
        (m.projectorSha256 ? ` · projector ${m.projectorSha256.slice(0, 12)}` : ''),
    );
  if (params.cropLimitCaution) out.push(`Caution: ${displayProse(params.cropLimitCaution)}`);
  out.push(formatVerdict(verdicts.folder, 'Folder'));
  if (verdicts.groups.length > 1) for (const g of verdicts.groups) out.push(formatVerdict(g, `Group ${g.groupIndex + 1} (${g.files.length} files)`));
  if (verdicts.bags.length > 0) {
    const counts = new Map<string, number>();
    for (const b of verdicts.bags) {
      const label = b.label === null ? 'unknown' : displayText(b.label);
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    out.push(`Bags of ${params.bagSize} (seed ${params.seed}): ` + [...counts].map(([k, v]) => `${k} ${v}/${verdicts.bags.length}`).join(', '));
  }
  const classifier = result.library.classifier;
  if (classifier?.origin && classifier.origin !== 'library') {
    // The views a library change fits: dsf with every evidence block (or φ alone for entries without
    // residual statistics, caveat set) and the manifold projector; --evidence phi and knn are always fitted on demand.
    const storable =
      (params.method === 'dsf' && (classifier.blocks.length > 1 || classifier.caveat !== null)) ||
      (params.method === 'manifold' && m?.estimate === 'projector');
    out.push(
      `Library classifier: none stored in the library for these settings; ${classifier.origin === 'fitted' ? `fitted for this analysis (${classifier.fitSeconds?.toFixed(1)} s)` : 'fitted by an earlier analysis (kept in the feature cache)'}` +
        (storable ? `; 'genprint library fit ${result.library.path}' stores it in the library` : ''),
    );
  }
  const calibrationOrigin = classifier?.calibration?.origin;
  // Only the classifier a library change fits keeps held-back data, so a calibration can always be stored.
  if (calibrationOrigin && calibrationOrigin !== 'library')
    out.push(
      `Calibration: none stored in the library for this classifier; ${calibrationOrigin === 'computed' ? `computed for this analysis (${classifier!.calibration!.seconds?.toFixed(1)} s)` : 'computed by an earlier analysis (kept in the feature cache)'}; ` +
        `'genprint library fit ${displayText(result.library.path)}' stores it in the library`,
    );
  const matrixOrigin = result.correlation.libraryVsLibraryOrigin;
  if (matrixOrigin && matrixOrigin !== 'library')
    out.push(
      `Library × library matrix: none stored in the library; ${matrixOrigin === 'computed' ? 'computed for this analysis' : 'computed by an earlier analysis (kept in the feature cache)'}; ` +
        `'genprint library fit ${displayText(result.library.path)}' stores it in the library`,
    );
  if (result.library.unverifiedEntries?.length)
    out.push(
      `Library integrity: ${result.library.unverifiedEntries.length} entries were written before schema v5 and carry no digest, so damage to them cannot be detected; 'genprint library fit ${result.library.path}' adds it`,
    );
  const rates = result.library.classifier?.errorRates;
  if (rates?.length) out.push(`Library error rates (a verdict for the entry is wrong this often): ${summariseLibraryErrorRates(rates, true)}`);
  if (result.stability.length > 0)
    out.push(
      'Stability (images per bag → mean score ± std, agreement with the verdict): ' +
        result.stability
          .map((s) => `${s.bagSize}: ${formatScore(verdicts.folder.method, s.meanScore)}±${s.stdScore.toFixed(3)} (${Math.round(100 * s.agreement)} %)`)
          .join(' · '),
    );
  for (const f of result.manifest) if (f.decodeWarning) out.push(`decoded with warnings ${displayText(f.relPath)}: ${displayProse(f.decodeWarning)}`);
  for (const f of result.manifest) {
    const found = [resamplingLine(f.resampling), earlierJpegLine(f.earlierJpeg)].filter((l): l is string => l !== null);
    if (found.length) out.push(`processing history ${displayText(f.relPath)}: ${displayProse(found.join('; '))}`);
  }
  for (const s of result.skipped) out.push(`skipped ${displayText(s.relPath)}: ${s.reason} — ${displayProse(s.message)}`);
  return out.join('\n');
}

export function registerAttribute(program: Command): void {
  const cmd = program
    .command('attribute')
    .description('attribute a folder of suspect images to the library entries (or to none)')
    .requiredOption('-l, --library <file>', 'library file')
    .option('-b, --bag-size <n>', 'images per bag', parsePositiveInt, DEFAULTS.bagSize)
    .option('--bags <n>', 'number of bags drawn', parsePositiveInt, DEFAULTS.bags)
    .option('-s, --seed <n>', 'seed for drawing bags', parseSeed, DEFAULTS.seed)
    .option(
      '--false-unknown-rate <rate>',
      "share of an enrolled generator's held-back reference sets the unknown test may call unknown; the library's thresholds are set for it",
      parseRate,
      DEFAULTS.falseUnknownRate,
    )
    .option(
      '--false-split-rate <rate>',
      "share of single-source held-back sets of the folder's size the split test may call mixed",
      parseRate,
      DEFAULTS.falseSplitRate,
    )
    .option(
      '--max-crops <n>',
      "canvas tiles per image at most: every non-overlapping tile of an image at least twice the canvas both ways, a seeded choice above the limit (default: the limit the library's references were enrolled with; another value is stated in the result)",
      parseMaxCrops,
    )
    .addOption(new Option('--crops <n>', 'old name of --max-crops').argParser(parseMaxCrops).hideHelp())
    .option(
      '--follow-external-links',
      'follow symbolic links whose target is outside the folder (default: list them as skipped); recorded in the case, so verify-report reads those targets too',
    )
    .option('--case-id <id>', 'case identifier for the report')
    .option('--examiner <name>', 'examiner name for the report')
    .option('--notes <text>', 'case notes for the report')
    .option('-j, --json <file>', "write the full result as JSON ('-' for stdout; schema in docs/cli.md)")
    .option('-q, --quiet', 'no progress output')
    .argument('<folder>', 'suspect folder (read-only)');
  addEngineOptions(addMethodOptions(cmd)).action(async (folder: string, o) => {
    const progress = createProgressReporter(process.stderr, o.quiet);
    let result: CaseResult;
    try {
      result = await withCancellation((signal) =>
        mapErrors(() =>
          analyseCase({
            libraryPath: o.library,
            caseRoot: folder,
            method: o.method,
            manifold: manifoldOptionsFrom(o),
            classifierEvidence: o.evidence,
            falseUnknownRate: o.falseUnknownRate,
            falseSplitRate: o.falseSplitRate,
            bagSize: o.bagSize,
            bags: o.bags,
            seed: o.seed,
            canvas: o.canvas,
            maxCrops: o.maxCrops ?? o.crops,
            followExternalLinks: o.followExternalLinks === true,
            provider: o.provider,
            threads: o.threads,
            modelsDir: o.models,
            caseId: o.caseId,
            examiner: o.examiner,
            notes: o.notes,
            signal,
            onProgress: (p) => progress.update(p),
          }),
        ),
      );
    } finally {
      progress.stop();
    }
    if (o.json === '-') process.stdout.write(`${displayJson(result)}\n`);
    else {
      if (o.json) writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`${formatCase(result)}\n`);
    }
  });
}
