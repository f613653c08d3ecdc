// Helpers shared by the sub-commands: option parsing, error mapping, output formatting.
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULTS } from '../engine/index.js';
import { MAX_CROPS_RANGE, METHOD_CHOICES, PROVIDER_CHOICES } from '../shared/api.js';
import { compressionSummary, referenceMatchText } from '../shared/compression.js';
import { processingHistorySummary } from '../shared/processing-history.js';
import { describeConsistency } from '../shared/consistency.js';
import { describeHeldBackError } from '../shared/held-back-error.js';
import { CALIBRATION_RATE_RANGE, describeNeighbourCheck, describeOpenSetCalibration, describeSplitTest, heterogeneousLabel } from '../shared/calibration.js';
import { displayText } from '../shared/display-text.js';
import { count, formatScore } from '../shared/numbers.js';
import { analysisVerdicts, scoreCaption, strengthLine, verdictWording } from '../shared/wording.js';
import { CliError, EXIT, toCliError } from './exit-codes.js';
import { CLASSIFIER_EVIDENCE, type ManifoldEstimate, type ManifoldOptions, type MethodId, type Verdict } from '../engine/types.js';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** A tiles-per-image limit (`--max-crops`), an integer in MAX_CROPS_RANGE. */
export function parseMaxCrops(value: string): number {
  const n = Number(value);
  const [lo, hi] = MAX_CROPS_RANGE;
  if (!Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgumentError(`expected an integer from ${lo} to ${hi}`);
  return n;
}

/** A calibration rate: a fraction from 0.001 to 0.5 (e.g. 0.05 for 5 %). */
export function parseRate(value: string): number {
  const n = Number(value);
  const [lo, hi] = CALIBRATION_RATE_RANGE;
  if (!Number.isFinite(n) || n < lo || n > hi) throw new InvalidArgumentError(`expected a fraction from ${lo} to ${hi} (e.g. 0.05 for 5 %)`);
  return n;
}

export function parseChoice<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!choices.includes(value as T)) throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}`);
    return value as T;
  };
}

export function requireFolder(folder: string): void {
  if (!existsSync(folder)) throw new CliError(`no such folder: ${folder}`, EXIT.input);
  if (!statSync(folder).isDirectory()) throw new CliError(`not a folder: ${folder}`, EXIT.input);
}

/** Runs an engine call; its errors leave as CliErrors with the documented exit codes (toCliError). */
export async function mapErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCliError(err);
  }
}

/** A verdict as text: the words and numbers come from the shared wording layer, as in the UI and the PDF. */
export function formatVerdict(v: Verdict, title: string): string {
  const wording = verdictWording(v);
  const heterogeneous = heterogeneousLabel(v.split);
  const lines = [
    `${title}: ${v.mixed ? 'MIXED' : v.unknown || v.label === null ? 'UNKNOWN GENERATOR' : displayText(v.label)}${heterogeneous ? ` (${heterogeneous})` : ''}`,
  ];
  lines.push(`  ${wording.statement}`);
  lines.push(`  ${strengthLine(wording)}`);
  lines.push(
    `  ${scoreCaption(v)} ${formatScore(v.method, v.score)}; runner-up ${v.runnerUp ? displayText(v.runnerUp) : '–'} (margin ${formatScore(v.method, v.margin)}); ` +
      `${count(v.evidenceCount, 'image')}; method ${v.method}; decided by ${v.decidedBy}`,
  );
  const parts = analysisVerdicts(v).map((a) => `${a.analysis} ${displayText(a.verdict)}`);
  lines.push(`  evidence: ${parts.join(', ')} → ${v.agreement.agree ? 'agree' : 'DISAGREE'}`);
  if (v.consistency && v.label) lines.push(`  consistency: ${describeConsistency(v.consistency, v.label)}`);
  if (v.errorRate && v.label) lines.push(`  error rate: ${describeHeldBackError(v.errorRate)}`);
  if (v.compression) lines.push(`  compression: ${compressionSummary(v.compression)}`);
  if (v.references) lines.push(`  references: ${referenceMatchText(v.references)}`);
  if (v.processingHistory) lines.push(`  processing history: ${processingHistorySummary(v.processingHistory)}`);
  if (v.openSet.calibration) lines.push(`  open set: ${describeOpenSetCalibration(v.openSet.calibration)}`);
  if (v.neighbour && v.label) lines.push(`  neighbour: ${describeNeighbourCheck(v.neighbour, v.label)}`);
  if (v.split) lines.push(`  split: ${v.split.groups.map((g) => `${g.images} → ${displayText(g.entry)}`).join('; ')}; ${describeSplitTest(v.split)}`);
  return lines.join('\n');
}

/** --method and the manifold method's options (estimate, real reference set, k). */
export function addMethodOptions(cmd: Command): Command {
  return cmd
    .option('-m, --method <method>', 'dsf (set-encoder), residual, or manifold (artifacts: deviation from real images)', parseChoice(METHOD_CHOICES), 'dsf')
    .option(
      '--estimate <estimate>',
      'manifold: projector (learned, any domain) or knn (needs a real reference entry)',
      parseChoice(['projector', 'knn'] as const),
      'projector',
    )
    .option('--reference <entry>', 'manifold --estimate knn: the library entry of family "real" to project onto (default: the only one)')
    .option('--k <n>', 'manifold --estimate knn: nearest real neighbours per projection', parsePositiveInt, 8)
    .option(
      '--evidence <blocks>',
      'dsf: what the library classifier reads: all (φ + residual spectrum + residual pixels) or phi (φ alone, for comparison)',
      parseChoice(CLASSIFIER_EVIDENCE),
      'all',
    );
}

export function manifoldOptionsFrom(o: { method: MethodId; estimate: ManifoldEstimate; reference?: string; k: number }): ManifoldOptions | undefined {
  return o.method === 'manifold' ? { estimate: o.estimate, reference: o.reference, k: o.k } : undefined;
}

/** The options every engine job takes: canvas, execution provider, threads, models folder. */
export function addEngineOptions(cmd: Command): Command {
  return cmd
    .option('--canvas <px>', 'canvas side; larger images are cut into canvas tiles (see --max-crops), never resampled', parsePositiveInt, DEFAULTS.canvas)
    .option('--provider <ep>', 'ONNX Runtime execution provider (auto tries GPU providers, then CPU)', parseChoice(PROVIDER_CHOICES), 'auto')
    .option('--threads <n>', 'inference threads', parsePositiveInt, DEFAULTS.threads)
    .option('--models <dir>', 'folder with phi.onnx, rho.onnx, model-card.json (default: models/)');
}
