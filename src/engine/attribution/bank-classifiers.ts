// One library classifier per reference bank (banks.ts), planned like the clean one: fitted on the
// entries' re-saved references when the library changes, stored in the same `classifiers` table
// under the digest of what it was fitted on (which names the bank through its view), with its own
// held-back error rates and bag temperature. Never one classifier on several banks: a set of images
// is judged by one bank's classifier only when every image was matched to that bank.
import type { SetEncoder } from '../features/set-encoder.js';
import type { ClassifierEvidence, LibraryEntry, MethodId, Verdict } from '../types.js';
import { countCompression } from '../ingest/compression.js';
import { describeCompression, type ReferenceMatch } from '../../shared/compression.js';
import { statementFor } from '../../shared/wording.js';
import { bankView, chromaMismatchReason, commonBanks, describeProcessing, entriesForBank, processingById } from './banks.js';
import { judge, type ImageEvidence } from './judge.js';
import { planClassifier, prepareLibrary, type ClassifierPlan, type PreparedLibrary, type PrepareOptions } from './prepared-library.js';

/** The plans of the bank classifiers of every bank all entries have (none where the clean classifier has no model). */
export function bankClassifierPlans(
  entries: LibraryEntry[],
  modelHash: string | null,
  opts: { classifierEvidence?: ClassifierEvidence } = {},
): ClassifierPlan[] {
  const plans: ClassifierPlan[] = [];
  for (const id of commonBanks(entries, modelHash)) {
    const { plan } = planClassifier(entriesForBank(entries, id), modelHash, bankView(id), opts);
    if (plan) plans.push(plan);
  }
  return plans;
}

/**
 * The entries as each bank's classifier sees them, with the bank's classifier (from memory or the
 * store, fitted now where none was stored), by bank id; banks without a classifier are left out.
 */
export async function prepareBankLibraries(entries: LibraryEntry[], modelHash: string | null, opts: PrepareOptions): Promise<Map<string, PreparedLibrary>> {
  const out = new Map<string, PreparedLibrary>();
  for (const id of commonBanks(entries, modelHash)) {
    const prepared = await prepareLibrary(entriesForBank(entries, id), modelHash, bankView(id), opts);
    if (prepared.classifier) out.set(id, prepared);
  }
  return out;
}

const isLossy = (key: string | undefined) => key !== undefined && (key.startsWith('jpeg') || key === 'webp-lossy' || key === 'heif');

/**
 * The verdict for `items`: by bank B's classifier, statistics and calibration when every image was
 * matched to B; otherwise by the references as enrolled, exactly as without banks. Verdicts on
 * lossy evidence say which (Verdict.references); verdicts on lossless evidence are unchanged.
 */
export async function judgeWithBanks(
  clean: PreparedLibrary,
  banks: ReadonlyMap<string, PreparedLibrary>,
  items: ImageEvidence[],
  method: MethodId,
  encoder: SetEncoder | null,
  useBanks = true,
): Promise<Verdict> {
  const lossy = items.some((i) => isLossy(i.compression));
  const ids = new Set(items.map((i) => i.matched?.bank ?? null));
  const only = ids.size === 1 ? [...ids][0] : null;
  const evidence = countCompression(items.map((i) => i.compression ?? 'unknown'));
  if (useBanks && only && banks.has(only) && items.every((i) => i.matched?.logProba)) {
    const lib = banks.get(only)!;
    const v = await judge(
      lib,
      items.map((i) => ({ ...i, logProba: i.matched!.logProba, novelty: i.matched!.novelty })),
      method,
      encoder,
    );
    const processing = describeProcessing(processingById(only)!);
    v.references = { bank: only, processing, evidence };
    v.explanation +=
      ` References matched to the evidence's processing: every image was compared with the library's reference images re-saved as ${processing} ` +
      `(evidence: ${Object.keys(evidence).map(describeCompression).join(', ')}); the classifier, its error rate and the open-set calibration were fitted on those re-saved references.`;
    // The statement was written before the verdict knew its references; the bank's caution belongs in it.
    v.statement = statementFor(v, v.candidates[0]?.name ?? null);
    return v;
  }
  const v = await judge(clean, items, method, encoder);
  if (lossy && v.decidedBy === 'classifier') {
    const reason = !useBanks
      ? 'reference banks not used for this verdict'
      : banks.size === 0
        ? 'the library has no reference banks (entries enrolled without them, or before Genprint computed them)'
        : ids.size > 1
          ? 'the images were saved in ways matched to different reference banks, or to none; banks are never pooled'
          : (items.map((i) => chromaMismatchReason(i.compression, [...banks.keys()])).find((r) => r !== null) ?? 'no reference bank matches this compression');
    const references: ReferenceMatch = { bank: null, processing: null, evidence, reason };
    v.references = references;
  }
  return v;
}
