// The report's wording policy: statements describe how the evidence relates to the library and
// never claim more. Scores compare the evidence with a finite library under a trained model; they
// cannot prove origin, so the words "proves", "certain", "identified as" and the like never appear.
import { scoreIsProbability, type Verdict } from '../types.js';
import { compressionCaveat, compressionMismatchIsMajor } from '../ingest/compression.js';
import { consistencyCaveat } from '../../shared/consistency.js';
import { heldBackErrorCaveat } from '../../shared/held-back-error.js';

export type EvidenceStrength = 'weak' | 'moderate' | 'strong';

export interface VerdictWording {
  /** One sentence for the reader; never overstates. */
  statement: string;
  strength: EvidenceStrength;
  /** Reasons the evidence is weaker than the score alone suggests, in plain language. */
  caveats: string[];
}

/** Below these, the evidence is called weak whatever the score. */
export const WEAK_MIN_IMAGES = 5;
export const WEAK_MAX_MARGIN = 0.1;
/** A classifier probability (dsf, manifold) below this is weak whatever the margin (as in the engine's own wording). */
export const WEAK_MAX_PROBABILITY = 0.6;
/** Below these (but above the weak limits), moderate. */
export const MODERATE_MIN_IMAGES = 30;
export const MODERATE_MAX_MARGIN = 0.3;

const OVERSTATEMENT =
  /\b(prove[sdn]?|proof|proving|certain(ly|ty)?|definite(ly)?|conclusive(ly)?|beyond (reasonable )?doubt|undoubted(ly)?|without (any )?doubt|unequivocal(ly)?|confirm(s|ed)?|establish(es|ed)?|identif(y|ies|ied) as|must have|was (made|generated|created|produced) by|is from|came from)\b/i;

/** True when a sentence claims more than a similarity score can support. */
export function overstates(text: string): boolean {
  return OVERSTATEMENT.test(text);
}

function strengthOf(v: Verdict, caveats: string[]): EvidenceStrength {
  let strength: EvidenceStrength = 'strong';
  const lower = (s: EvidenceStrength) => {
    if (s === 'weak' || (s === 'moderate' && strength === 'strong')) strength = s;
  };
  if (v.evidenceCount < WEAK_MIN_IMAGES) {
    caveats.push(`only ${v.evidenceCount} image${v.evidenceCount === 1 ? '' : 's'} were analysed; set-based fingerprints need many images to be stable`);
    lower('weak');
  } else if (v.evidenceCount < MODERATE_MIN_IMAGES) {
    caveats.push(`${v.evidenceCount} images were analysed; the method's scores stabilise with larger sets`);
    lower('moderate');
  }
  if (!v.unknown && v.margin < WEAK_MAX_MARGIN) {
    caveats.push(`the margin over the runner-up${v.runnerUp ? ` (${v.runnerUp})` : ''} is only ${v.margin.toFixed(2)}`);
    lower('weak');
  } else if (!v.unknown && v.margin < MODERATE_MAX_MARGIN) {
    caveats.push(`the margin over the runner-up${v.runnerUp ? ` (${v.runnerUp})` : ''} is ${v.margin.toFixed(2)}`);
    lower('moderate');
  }
  if (!v.unknown && scoreIsProbability(v.method) && v.score < WEAK_MAX_PROBABILITY) {
    caveats.push(`the probability of the nearest entry is only ${v.score.toFixed(2)}`);
    lower('weak');
  }
  if (v.mixed) {
    caveats.push('the images split into groups with different results, so the folder is treated as mixed');
    lower('weak');
  }
  const recompressed = compressionCaveat(v.compression);
  if (!v.unknown && recompressed) {
    caveats.push(recompressed);
    lower(compressionMismatchIsMajor(v.compression) ? 'weak' : 'moderate');
  }
  const inconsistent = v.unknown ? null : consistencyCaveat(v.consistency, v.label);
  if (inconsistent) {
    caveats.push(inconsistent);
    lower('weak');
  }
  const errorProne = v.unknown ? null : heldBackErrorCaveat(v.errorRate, v.label);
  if (errorProne) {
    caveats.push(errorProne);
    lower('weak');
  }
  if (!v.unknown && !v.agreement.agree) {
    caveats.push('the independent analyses (classifier, embedding distance, residual correlation) do not all agree');
    lower('moderate');
  }
  return strength;
}

/**
 * The report's statement for a verdict. The engine's own `statement` is used when it passes the
 * overstatement check (so the app and the report say the same thing); otherwise the report's own.
 * Either way the strength line and caveats come from here, so thin evidence is always flagged.
 */
export function verdictWording(v: Verdict, libraryEntries?: number): VerdictWording {
  const caveats: string[] = [];
  const strength = strengthOf(v, caveats);
  const among = libraryEntries ? ` among the ${libraryEntries} entries of the reference library` : ' among the entries of the reference library';
  let own: string;
  if (v.mixed) {
    own =
      'The images do not form one consistent set: they split into groups that were attributed separately (see the group verdicts). No single attribution is made for the folder as a whole.';
  } else if (v.unknown || v.label === null) {
    own =
      'The evidence does not support attribution to any library entry. The images may come from a generator that is not in the library, or may have been altered too much for comparison.';
  } else {
    const fam = v.family ? ` (${v.family})` : '';
    const qual = strength === 'weak' ? 'weakly ' : '';
    own = `The evidence is ${qual}consistent with images produced by ${v.label}${fam}${among}. This is a comparison with the library, not a proof of origin; a generator absent from the library could produce similar results.`;
  }
  const engine = v.statement?.trim();
  const statement = engine && !overstates(engine) ? engine : own;
  return { statement, strength, caveats };
}

/** One line summarising strength and caveats, e.g. "Strength of evidence: weak — only 3 images …". */
export function strengthLine(w: VerdictWording): string {
  const head = `Strength of evidence relative to the library: ${w.strength}`;
  return w.caveats.length ? `${head} (${w.caveats.join('; ')}).` : `${head}.`;
}
