// Stability (paper Sec. 4.3): how the verdict behaves as the number of images per bag grows. For
// each bag size, bags are drawn from the evidence with the case seed and judged; the curve records
// the mean and spread of the reference entry's score, how often a bag agrees with the verdict, and
// an Eq. 6 analogue for evidence (each bag's Eq. 4 row against a one-hot target at the entry).
import { drawBags } from '../util/random.js';
import type { StabilityPoint, Verdict } from '../types.js';
import type { ImageEvidence } from './judge.js';

/** Bag sizes of the curve; sizes larger than the evidence are left out. */
export const STABILITY_BAG_SIZES = [1, 2, 5, 10, 25, 50, 100];
/** Bags drawn per size (one when the size is the whole evidence: every draw would be the same set). */
export const STABILITY_DRAWS = 20;

export interface StabilityRequest {
  /** The images the curve is drawn from: a mixed folder's first group, otherwise all of them. */
  evidence: ImageEvidence[];
  /** Library entry names, in the order of each image's `corr`. */
  entryNames: string[];
  /** The verdict's label (null: unknown); a bag agrees when it gets the same label. */
  verdictLabel: string | null;
  /** The entry whose score is followed: the verdict's label, or its top candidate when unknown. */
  referenceLabel: string;
  seed: number;
  /** Judges one bag (without the embedding evidence: the curve is about the classifier's behaviour). */
  judge(members: ImageEvidence[]): Promise<Verdict>;
}

export async function stabilityCurve(req: StabilityRequest): Promise<StabilityPoint[]> {
  const { evidence, entryNames: names, seed } = req;
  const refIndex = names.indexOf(req.referenceLabel);
  const stability: StabilityPoint[] = [];
  for (const size of STABILITY_BAG_SIZES.filter((s) => s <= evidence.length)) {
    const draws = drawBags(evidence.length, size, size === evidence.length ? 1 : STABILITY_DRAWS, seed + size);
    const scores: number[] = [];
    let agree = 0;
    const rows: number[][] = [];
    for (const d of draws) {
      const members = d.map((i) => evidence[i]);
      const v = await req.judge(members);
      scores.push(v.candidates.find((c) => c.name === req.referenceLabel)?.score ?? 0);
      if (v.label === req.verdictLabel) agree++;
      const row = new Array(names.length).fill(0);
      for (const m of members) for (let k = 0; k < names.length; k++) row[k] += m.corr[k] / members.length;
      rows.push(row);
    }
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, scores.length - 1));
    const target = rows.map(() => names.map((_, k) => (k === refIndex ? 1 : 0)));
    let fro = 0;
    rows.forEach((r, i) => r.forEach((v, k) => (fro += (v - target[i][k]) ** 2)));
    stability.push({
      bagSize: size,
      bags: draws.length,
      meanScore: mean,
      stdScore: std,
      agreement: agree / draws.length,
      decorrelation: Math.sqrt(fro) / (rows.length * names.length),
    });
  }
  return stability;
}
