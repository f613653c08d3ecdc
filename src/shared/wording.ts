// The wording policy, in one place. A verdict compares evidence with a finite library under a
// trained model; it cannot prove origin. So statements say "consistent with", never "proves", and
// every verdict gets a strength relative to the library with the reasons it is not stronger.
//
// The engine's judge computes the facts (scores, margin, the consistency test, the held-back error
// rate, the compression check); this module turns them into words, and the CLI, the UI and the PDF
// report print what it returns, with the numbers written by numbers.ts. The words for each check
// live beside its type (compression.ts, consistency.ts, held-back-error.ts); the thresholds and the
// list of cautions live here.
//
// Adding a caution is one entry in CAUTIONS below, reading a fact the engine puts on the Verdict
// (as 'decoded-with-warnings' reads Verdict.decodedWithWarnings): the strength, the strength line,
// the statement's "Caution:" or "Note:" sentence and every display follow from that list.
import { compressionCaveat, compressionMismatchIsMajor } from './compression.js';
import { consistencyCaveat } from './consistency.js';
import { heldBackErrorCaveat } from './held-back-error.js';
import {
  absorptionCaveat,
  detectionCaveat,
  describeOpenSetCalibration,
  describeSplitTest,
  heterogeneityCaveat,
  missedGeneratorClause,
  neighbourCaveat,
  type SplitTest,
} from './calibration.js';
import { displayProse, displayText } from './display-text.js';
import { earlierJpegCaveat, processingIsMajor, resamplingCaveat } from './processing-history.js';
import { count, formatScore, probabilityInWords, scoreName } from './numbers.js';
import { scoreIsProbability, type Verdict } from './types.js';

export type EvidenceStrength = 'weak' | 'moderate' | 'strong';

/** Below these, the evidence is weak whatever the score. */
export const WEAK_MIN_IMAGES = 5;
export const WEAK_MAX_MARGIN = 0.1;
/** A classifier probability (dsf, manifold) below this is weak whatever the margin. */
export const WEAK_MAX_PROBABILITY = 0.6;
/** Below these (but above the weak limits), moderate. */
export const MODERATE_MIN_IMAGES = 30;
export const MODERATE_MAX_MARGIN = 0.3;
// The other limits are facts the engine records with each check: the consistency test's level
// (ConsistencyTest.level), the error-rate limit (HeldBackErrorRate.limit) and "more than half of the
// evidence saved differently" (compressionMismatchIsMajor).

/** What the wording reads from a verdict. */
export type VerdictFacts = Pick<
  Verdict,
  | 'label'
  | 'family'
  | 'unknown'
  | 'score'
  | 'margin'
  | 'runnerUp'
  | 'evidenceCount'
  | 'method'
  | 'mixed'
  | 'compression'
  | 'consistency'
  | 'errorRate'
  | 'decodedWithWarnings'
  | 'agreement'
  | 'neighbour'
  | 'split'
  | 'processingHistory'
  | 'references'
> & { openSet?: Pick<Verdict['openSet'], 'calibration'> };

/** One reason the evidence is weaker than its score alone suggests. */
export interface Caution {
  /** Which rule raised it. */
  id:
    | 'few-images'
    | 'small-margin'
    | 'low-probability'
    | 'mixed'
    | 'heterogeneous'
    | 'compression'
    | 'inconsistent'
    | 'error-rate'
    | 'near-neighbour'
    | 'missing-generator'
    | 'open-set-power'
    | 'decoded-with-warnings'
    | 'disagreement'
    | 'resampled'
    | 'earlier-jpeg'
    | 'matched-references';
  /**
   * The strongest wording the verdict may keep with this caution; null for a note that leaves the
   * strength alone (what an unknown verdict's statement notes about its images).
   */
  caps: Exclude<EvidenceStrength, 'strong'> | null;
  /** The reason in plain words, a clause that fits after "Caution:" or in the strength line. */
  text: string;
  /**
   * Named in the statement too ("Caution:", or "Note:" for an unknown verdict). The statement
   * already gives the image count, the probability and the margin, so the cautions about those are
   * left to the strength line.
   */
  inStatement: boolean;
}

type CautionRule = (v: VerdictFacts) => Caution | null;

/**
 * Every caution, in the order they are listed. Rules about the named entry return null for an
 * unknown verdict; rules about the images themselves return a note (caps null) for it.
 */
const CAUTIONS: CautionRule[] = [
  (v) => {
    const n = v.evidenceCount;
    if (n < WEAK_MIN_IMAGES)
      return {
        id: 'few-images',
        caps: 'weak',
        inStatement: false,
        text: `only ${count(n, 'image')} ${n === 1 ? 'was' : 'were'} analysed; set-based fingerprints need many images to be stable`,
      };
    if (n < MODERATE_MIN_IMAGES)
      return { id: 'few-images', caps: 'moderate', inStatement: false, text: `${n} images were analysed; the method's scores stabilise with larger sets` };
    return null;
  },
  (v) => {
    if (v.unknown || !(v.margin < MODERATE_MAX_MARGIN)) return null;
    const weak = v.margin < WEAK_MAX_MARGIN;
    return {
      id: 'small-margin',
      caps: weak ? 'weak' : 'moderate',
      inStatement: false,
      text: `the margin over the runner-up${v.runnerUp ? ` (${displayText(v.runnerUp)})` : ''} is ${weak ? 'only ' : ''}${formatScore(v.method, v.margin)}`,
    };
  },
  (v) =>
    !v.unknown && scoreIsProbability(v.method) && v.score < WEAK_MAX_PROBABILITY
      ? { id: 'low-probability', caps: 'weak', inStatement: false, text: `the probability of the nearest entry is only ${formatScore(v.method, v.score)}` }
      : null,
  (v) =>
    v.mixed
      ? { id: 'mixed', caps: 'weak', inStatement: false, text: 'the images split into groups with different results, so the folder is treated as mixed' }
      : null,
  (v) => {
    // Groups the split test does not support (or that name fewer than two entries): one source,
    // heterogeneous. The verdict still names one entry, but its images lean to others in groups.
    const text = heterogeneityCaveat(v.split);
    if (!text || v.mixed) return null;
    return { id: 'heterogeneous', caps: v.unknown ? null : v.split!.significant ? 'weak' : 'moderate', inStatement: true, text };
  },
  (v) => {
    const text = compressionCaveat(v.compression);
    if (!text) return null;
    return { id: 'compression', caps: v.unknown ? null : compressionMismatchIsMajor(v.compression) ? 'weak' : 'moderate', inStatement: true, text };
  },
  (v) => {
    const text = v.unknown ? null : consistencyCaveat(v.consistency, v.label);
    return text ? { id: 'inconsistent', caps: 'weak', inStatement: true, text } : null;
  },
  (v) => {
    const text = v.unknown ? null : heldBackErrorCaveat(v.errorRate, v.label);
    return text ? { id: 'error-rate', caps: 'weak', inStatement: true, text } : null;
  },
  (v) => {
    const text = v.unknown ? null : neighbourCaveat(v.neighbour, v.label);
    return text ? { id: 'near-neighbour', caps: 'weak', inStatement: true, text } : null;
  },
  (v) => {
    const text = v.unknown ? null : absorptionCaveat(v.openSet?.calibration, v.label);
    return text ? { id: 'missing-generator', caps: 'weak', inStatement: true, text } : null;
  },
  (v) => {
    // Only where no entry-specific reason was given: the library-wide rate says less than the entry's own.
    if (v.unknown || absorptionCaveat(v.openSet?.calibration, v.label)) return null;
    const text = detectionCaveat(v.openSet?.calibration, v.label);
    return text ? { id: 'open-set-power', caps: 'weak', inStatement: true, text } : null;
  },
  (v) => {
    const k = v.decodedWithWarnings ?? 0;
    if (k <= 0) return null;
    return {
      id: 'decoded-with-warnings',
      caps: v.unknown ? null : 'moderate',
      inStatement: true,
      text: `${k} of the ${v.evidenceCount} images decoded only with warnings (damaged data the decoder concealed; see the manifest)`,
    };
  },
  (v) =>
    !v.unknown && !v.agreement.agree
      ? {
          id: 'disagreement',
          caps: 'moderate',
          inStatement: false,
          text: 'the independent analyses (classifier, embedding distance, residual correlation) do not all agree',
        }
      : null,
  // Resized evidence: attribution on it is not measured, so a verdict on mostly resized images is
  // weak, and one with some resized images at most moderate (a lone image may be a false positive:
  // 0.3 % of clean corpus images, docs/robustness-detection.md).
  (v) => {
    const text = resamplingCaveat(v.processingHistory);
    if (!text) return null;
    const h = v.processingHistory!;
    return { id: 'resampled', caps: v.unknown ? null : processingIsMajor(h.resampled, h.total) ? 'weak' : 'moderate', inStatement: true, text };
  },
  // A JPEG saved later as PNG: a re-compression the compression check cannot see, worded as it is.
  (v) => {
    const text = earlierJpegCaveat(v.processingHistory, (v.references?.assumed ?? 0) > 0);
    if (!text) return null;
    const h = v.processingHistory!;
    return { id: 'earlier-jpeg', caps: v.unknown ? null : processingIsMajor(h.earlierJpeg, h.total) ? 'weak' : 'moderate', inStatement: true, text };
  },
  // Verdicts judged against a reference bank (the references re-saved like the evidence): in the
  // evaluation one of them named a wrong entry with moderate wording (fmnist28, JPEG q90;
  // docs/robustness.md), so they stay weak until an evaluation shows none.
  (v) =>
    v.references?.bank && !v.unknown
      ? {
          id: 'matched-references',
          caps: 'weak',
          inStatement: true,
          text: `the evidence was compared with the references re-saved as ${v.references.processing}, and verdicts matched to such a reference bank have named a wrong entry in the evaluation`,
        }
      : null,
];

/** The strength of a verdict's evidence and the cautions behind it (notes that leave the strength alone included). */
export function assessVerdict(v: VerdictFacts): { strength: EvidenceStrength; cautions: Caution[] } {
  const cautions = CAUTIONS.map((rule) => rule(v)).filter((c): c is Caution => c !== null);
  const strength: EvidenceStrength = cautions.some((c) => c.caps === 'weak') ? 'weak' : cautions.some((c) => c.caps === 'moderate') ? 'moderate' : 'strong';
  return { strength, cautions };
}

/**
 * The statement for a verdict, as the engine stores it in `Verdict.statement`: "consistent with",
 * qualified when the evidence is weak, with the cautions its numbers do not show; never "proves".
 * `closest` names the nearest entry of an unknown verdict.
 */
export function statementFor(v: VerdictFacts, closest: string | null): string {
  const imgs = count(v.evidenceCount, 'image');
  if (v.mixed) return `The ${imgs} do not form one consistent set: they split into groups attributed separately (see the group verdicts).`;
  const { strength, cautions } = assessVerdict(v);
  const named = cautions.filter((c) => c.inStatement).map((c) => c.text);
  if (v.unknown) {
    const rates = v.openSet?.calibration ? ` The test's setting: ${describeOpenSetCalibration(v.openSet.calibration)}.` : '';
    return (
      `The ${imgs} are not consistent with any generator in the library${closest ? ` (closest entry: ${displayText(closest)}, outside its calibrated range)` : ''}. ` +
      `They may come from a generator that is not enrolled, or be too heavily processed to compare.${rates}${named.length ? ` Note: ${named.join('; ')}.` : ''}`
    );
  }
  const weak = strength === 'weak';
  const fam = v.family ? ` (family: ${displayText(v.family)})` : '';
  const base = `The ${imgs} are ${weak ? 'weakly ' : ''}consistent with the library entry ${displayText(v.label ?? '')}${fam}`;
  const over = v.runnerUp ? displayText(v.runnerUp) : 'no other entry';
  const how = scoreIsProbability(v.method)
    ? `, with probability ${probabilityInWords(v.score)} and a margin of ${probabilityInWords(v.margin)} over ${over}`
    : `, with mean residual correlation ${formatScore(v.method, v.score)} and a margin of ${formatScore(v.method, v.margin)} over ${over}`;
  const caveat = named.length
    ? `. Caution: ${named.join('; ')}${weak ? ', so this is no firm attribution' : ''}`
    : weak
      ? '. The evidence is too thin or too close between entries for a firm attribution'
      : '';
  return `${base}${how}${caveat}. ${missedGeneratorClause(v.openSet?.calibration)}`;
}

/** The statement of a folder whose images split into groups, each attributed on its own. */
export function mixedStatement(images: number, groups: { images: number; label: string | null }[], closest: string, split?: SplitTest): string {
  const test = split ? ` Split test: ${describeSplitTest(split)}.` : '';
  return (
    `The ${count(images, 'image')} do not form one consistent set: they split into ${groups.length} groups ` +
    `(${groups.map((g) => `${g.images} → ${g.label === null ? 'unknown' : displayText(g.label)}`).join('; ')}), attributed separately below.${test} ` +
    `Taken together they are closest to ${displayText(closest)}.`
  );
}

const OVERSTATEMENT =
  /\b(prove[sdn]?|proof|proving|certain(ly|ty)?|definite(ly)?|conclusive(ly)?|beyond (reasonable )?doubt|undoubted(ly)?|without (any )?doubt|unequivocal(ly)?|confirm(s|ed)?|establish(es|ed)?|identif(y|ies|ied) as|must have|was (made|generated|created|produced) by|is from|came from)\b/i;

/** True when a sentence claims more than a similarity score can support. */
export function overstates(text: string): boolean {
  return OVERSTATEMENT.test(text);
}

export interface VerdictWording {
  /** One sentence for the reader; never overstates. */
  statement: string;
  strength: EvidenceStrength;
  /** The cautions' texts: why the evidence is weaker than the score alone suggests. */
  caveats: string[];
  cautions: Caution[];
}

/**
 * Everything a display prints about a verdict in words. The statement is the one the engine
 * stored, so every display and the case JSON say the same thing; a stored statement that
 * overstates (a case file not written by this engine) is replaced by the statement this module
 * writes from the verdict's facts. Names in the words are shown through displayText, so a name
 * cannot forge a line (src/shared/display-text.ts).
 */
export function verdictWording(v: Verdict): VerdictWording {
  const { strength, cautions } = assessVerdict(v);
  const stored = v.statement?.trim();
  const statement = stored && !overstates(stored) ? displayProse(stored) : statementFor(v, v.candidates[0]?.name ?? null);
  // The strength line gives the reasons for the strength; notes that leave it alone are in the statement.
  return { statement, strength, caveats: cautions.filter((c) => c.caps !== null).map((c) => c.text), cautions };
}

/** The strength with its reasons: "moderate (12 images were analysed; …)". */
export function strengthText(w: Pick<VerdictWording, 'strength' | 'caveats'>): string {
  return w.caveats.length ? `${w.strength} (${w.caveats.join('; ')})` : w.strength;
}

/**
 * What a verdict's score is, in words. For an unknown verdict the score is the nearest entry's
 * probability under a classifier that only knows the library's entries: it says nothing about
 * whether that entry made the images, so its caption must say so wherever it is printed.
 */
export function scoreCaption(v: Pick<Verdict, 'method' | 'unknown' | 'mixed' | 'label'>): string {
  const name = scoreName(v.method);
  return !v.mixed && (v.unknown || v.label === null) ? `${name} of the nearest entry, among the library's entries only` : name;
}

/** "Strength of evidence relative to the library: moderate (…).", as every display prints it. */
export function strengthLine(w: Pick<VerdictWording, 'strength' | 'caveats'>): string {
  return `Strength of evidence relative to the library: ${strengthText(w)}.`;
}

/** What each independent analysis that ran concluded: the entry it points to, or "unknown". */
export function analysisVerdicts(v: Pick<Verdict, 'agreement'>): { analysis: 'classifier' | 'embedding' | 'residual'; verdict: string }[] {
  return (['classifier', 'embedding', 'residual'] as const)
    .filter((analysis) => v.agreement[analysis] !== undefined)
    .map((analysis) => ({ analysis, verdict: v.agreement[analysis] ?? 'unknown' }));
}

/** The tile limit as the case screen and the CLI state it ("centre tile" for the default of one). */
export function tileLimitText(maxCrops: number | undefined): string {
  const n = maxCrops ?? 1;
  return n <= 1 ? 'centre tile only' : `up to ${n} tiles per image`;
}
