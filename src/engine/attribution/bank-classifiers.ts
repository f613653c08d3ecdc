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

const isLossy = (key: string | undefined) => key !== undefined && (key.startsWith('jpeg') || key.startsWith('webp-lossy') || key === 'heif');

/**
 * The verdict for `items`: by bank B's classifier, statistics and calibration when every image was
 * matched to B; otherwise by the references as enrolled, exactly as without banks. Verdicts on
 * lossy evidence say which (Verdict.references); verdicts on lossless evidence are unchanged, except
 * files whose pixels show an earlier JPEG (banks.ts bankMatchKey), judged as that JPEG.
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
    // A lossless file matched by the earlier JPEG its pixels show is judged as that JPEG (the
    // compression check then compares it with the bank's processing, not with "lossless").
    const asMatched = items.map((i) => ({
      ...i,
      logProba: i.matched!.logProba,
      novelty: i.matched!.novelty,
      compression: i.matched!.assumed ?? i.compression,
    }));
    const v = await judge(lib, asMatched, method, encoder);
    const processing = describeProcessing(processingById(only)!);
    const assumed = items.filter((i) => i.matched!.assumed).length;
    const matchedEvidence = countCompression(asMatched.map((i) => i.compression ?? 'unknown'));
    v.references = { bank: only, processing, evidence: matchedEvidence, ...(assumed > 0 ? { assumed } : {}) };
    v.explanation +=
      ` References matched to the evidence's processing: every image was compared with the library's reference images re-saved as ${processing} ` +
      `(evidence: ${Object.keys(matchedEvidence).map(describeCompression).join(', ')}); the classifier, its error rate and the open-set calibration were fitted on those re-saved references.` +
      (assumed > 0
        ? ` ${assumed} of the ${items.length} images are saved losslessly: their JPEG quality was read from the block traces of an earlier JPEG on the image's own 8×8 grid, and 4:2:0 chroma subsampling was assumed (the pixels do not show it).`
        : '');
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
