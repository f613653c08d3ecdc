// `genprint eval` (= `npm run eval`): the evaluation of issue 4, written to docs/ (full run) or a
// temp folder (--quick, the CI smoke test) unless --out says otherwise.
import { InvalidArgumentError, type Command } from 'commander';
import { runEvaluation } from '../../eval/run.js';
import { runMultiCropComparison } from '../../eval/multicrop.js';
import { parseMaxCrops, parsePositiveInt, parseSeed } from '../common.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate attribution per domain on the corpus and the demo zoo (writes results.md/json and plots)')
    .option('--quick', 'smoke test: demo zoo + a small corpus subset, few draws, < 2 minutes')
    .option('--out <dir>', 'output folder (default: docs/ for the full run, a temp folder for --quick)')
    .option('--corpus <dir>', 'corpus folder (default: ../shared/corpus beside the repository)')
    .option('--domains <list>', 'comma-separated corpus domains to evaluate (default: all; --quick: fmnist28)')
    .option('--draws <n>', 'repeated bag draws per bag size', parsePositiveInt)
    .option('--seed <n>', 'seed of the bag draws', parseSeed, 1)
    .option('--skip-demo', 'leave the demo zoo out (evaluated by default)')
    .option(
      '--robustness-only',
      'held-out scopes only (all generators where a domain has fewer than two held out, e.g. t2i, t2i-modern), DSF+ and the baselines, robustness to re-compression with and without reference banks (no controls, open set or split studies)',
    )
    .option(
      '--calibration-only',
      'the calibrated verdicts only (issue #20): DSF+, the open set and the split test on the held-out scopes and the small "all" scopes',
    )
    .option('--random-split <seed>', 'seeded random enrolment/query halves instead of the sorted even/odd halves', parseSeed)
    .option('--baseline-models <dir>', 'also score this models folder (e.g. the previous φ) on the same bags: paired "DSF+ minus baseline" rows')
    .option(
      '--max-crops <n>',
      'instead of the evaluation: one crop per image against up to n canvas tiles (enrolment and evidence alike), top-1 at every bag size on the same bags with paired 95 % intervals, for --domains (writes multicrop.md/json to --out, default a temp folder)',
      parseMaxCrops,
    )
    .action(async (o) => {
      const domains = o.domains
        ? String(o.domains)
            .split(',')
            .map((s: string) => s.trim())
            .filter(Boolean)
        : undefined;
      if (o.maxCrops !== undefined) {
        if (!domains) throw new InvalidArgumentError('--max-crops needs --domains (e.g. --domains t2i-modern,t2i)');
        const { markdown, outDir } = await runMultiCropComparison({
          corpusDir: o.corpus,
          domains,
          maxCrops: o.maxCrops,
          draws: o.draws,
          seed: o.seed,
          out: o.out,
        });
        process.stdout.write(`${markdown}\n${JSON.stringify({ outDir })}\n`);
        return;
      }
      const { result, outDir } = await runEvaluation({
        quick: Boolean(o.quick),
        out: o.out,
        corpusDir: o.corpus,
        domains,
        draws: o.draws,
        seed: o.seed,
        baselineModels: o.baselineModels,
        skipDemo: Boolean(o.skipDemo),
        robustnessOnly: Boolean(o.robustnessOnly),
        calibrationOnly: Boolean(o.calibrationOnly),
        randomSplit: o.randomSplit,
      });
      process.stdout.write(`${JSON.stringify({ outDir, seconds: result.runtime.seconds, domains: result.domains.map((d) => d.domain) })}\n`);
    });
}
