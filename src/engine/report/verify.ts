// verify-report: re-hash the evidence folder read-only and compare it with the manifest recorded in
// a report (the case.json embedded in the PDF, or a case/report JSON), and establish that the report
// itself is authentic: its Ed25519 signature and the key that made it, the embedded case.json
// against the digest the PDF prints, and the report file against its .sha256 sidecar when there is
// one. Each check is reported on its own, so the verifier can say exactly what was and was not
// established.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { scanFolder } from '../ingest/scan.js';
import type { Progress } from '../types.js';
import { readSidecar, sha256File } from './hash.js';
import { loadCase, type CaseSource } from './load.js';
import { extractEmbeddedFile, pageTextRuns } from './pdf-reader.js';
import { checkReportSignature, keyFingerprint, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, signingKeyDir, type SignatureStatus } from './signing.js';

export type FileStatus = 'match' | 'differs' | 'missing' | 'new';

export interface FileCheck {
  relPath: string;
  status: FileStatus;
  /** Whether the manifest listed the file as analysed or skipped (absent for new files). */
  recordedAs?: 'analysed' | 'skipped';
  expectedSha256?: string;
  actualSha256?: string;
  expectedSize?: number;
  actualSize?: number;
  note?: string;
}

export interface ReportIntegrity {
  /** no-checksum: there is no REPORT.sha256 beside the report, so nothing to compare with. */
  status: 'match' | 'differs' | 'no-checksum';
  sha256: string;
  expected: string | null;
  checksumPath: string | null;
}

/** PDF only: the embedded case.json against the SHA-256 printed in the report's Section 6. */
export interface EmbeddedCaseCheck {
  status: 'match' | 'differs' | 'not-printed';
  sha256: string;
  printed: string | null;
}

export interface SignatureResult {
  status: SignatureStatus;
  /** Fingerprint of the key the report names, when it names one. */
  fingerprint: string | null;
  /**
   * Whose key it is, as far as this verifier knows: this installation's own key, a key given with
   * `--key`, or a key this verifier has no reason to trust (the report could have been re-signed).
   */
  trust: 'this-installation' | 'given-key' | 'unknown-key' | null;
  reason: string | null;
}

/**
 * verified: every evidence file matches and the report is signed by a trusted key with nothing
 * contradicting it. unauthenticated: every evidence file matches and nothing contradicts the
 * report, but its origin could not be established (unsigned, or signed by a key this verifier
 * does not know). not-verified: something differs.
 */
export type VerifyOutcome = 'verified' | 'unauthenticated' | 'not-verified';

export interface VerifyResult {
  reportPath: string;
  source: CaseSource;
  caseId: string;
  evidenceFolder: string;
  report: ReportIntegrity;
  embedded: EmbeddedCaseCheck | null;
  signature: SignatureResult;
  files: FileCheck[];
  counts: Record<FileStatus, number>;
  outcome: VerifyOutcome;
  /** Why the outcome is not 'verified', one sentence each (empty when verified). */
  reasons: string[];
  /** outcome === 'verified'. */
  ok: boolean;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Files hashed at once. Default 4. */
  concurrency?: number;
  /** Public keys whose signatures are trusted (`verify-report --key`); when given, the installation's own key is not. */
  trustedKeys?: KeyObject[];
  /** Folder of this installation's signing key (its signatures are trusted); null: none. Default signingKeyDir(). */
  installationKeyDir?: string | null;
}

/** This installation's public key, if it has one; never creates a key. */
function installationPublicKey(dir: string | null): KeyObject | null {
  if (!dir) return null;
  try {
    const pub = path.join(dir, PUBLIC_KEY_FILE);
    if (existsSync(pub)) return createPublicKey(readFileSync(pub));
    const priv = path.join(dir, PRIVATE_KEY_FILE);
    if (existsSync(priv)) return createPublicKey(createPrivateKey(readFileSync(priv)));
  } catch {
    /* an unreadable key folder: no installation key to trust */
  }
  return null;
}

function checkSignature(bytes: Buffer, opts: VerifyOptions): SignatureResult {
  const sig = checkReportSignature(bytes);
  const fingerprint = sig.fingerprint ?? null;
  let trust: SignatureResult['trust'] = null;
  if (sig.status === 'valid' && fingerprint) {
    // Keys given explicitly replace the installation's own: a reviewer checking a report against
    // the examiner's key must not be satisfied by whatever key the reviewing machine holds.
    const given = (opts.trustedKeys ?? []).map(keyFingerprint);
    const own = given.length ? null : installationPublicKey(opts.installationKeyDir === undefined ? signingKeyDir() : opts.installationKeyDir);
    trust = given.includes(fingerprint) ? 'given-key' : own && keyFingerprint(own) === fingerprint ? 'this-installation' : 'unknown-key';
  }
  return { status: sig.status, fingerprint, trust, reason: sig.reason ?? null };
}

function checkEmbedded(pdf: Buffer): EmbeddedCaseCheck | null {
  const json = extractEmbeddedFile(pdf, 'case.json');
  if (!json) return null;
  const sha256 = createHash('sha256').update(json).digest('hex');
  let runs: string[] = [];
  try {
    runs = pageTextRuns(pdf);
  } catch {
    /* pages that cannot be read: the printed digest is reported as not found */
  }
  const at = runs.findIndex((r) => r.trim() === 'case.json, SHA-256');
  const value = at >= 0 ? runs[at + 1]?.trim() : undefined;
  const printed = value && /^[0-9a-f]{64}$/.test(value) ? value : null;
  return { status: printed === null ? 'not-printed' : printed === sha256 ? 'match' : 'differs', sha256, printed };
}

interface Found {
  relPath: string;
  rawHex?: string;
  /** Absolute path of a regular file to hash; null for an entry the scan did not take as a file. */
  abs: Buffer | null;
  /** Why the entry is not hashed (the scan's skip message), for entries with abs null. */
  note?: string;
}

/**
 * The evidence folder as analysis saw it: ingest's own scan (scan.ts), with the same rule for
 * symbolic links that leave the folder, so a link skipped at analysis is neither hashed outside the
 * folder nor reported as new here. A report saved inside the folder is not evidence.
 */
async function walk(root: string, exclude: Set<string>, followExternalLinks: boolean, signal?: AbortSignal): Promise<Found[]> {
  const scan = await scanFolder(root, { signal, followExternalLinks });
  const out: Found[] = [];
  for (const item of scan.items) {
    if (item.kind === 'file') {
      if (exclude.has(path.resolve(item.absPath.toString()))) continue;
      out.push({ relPath: item.relPath, rawHex: item.rawNameHex, abs: item.absPath });
    } else {
      out.push({ relPath: item.skipped.relPath, rawHex: item.skipped.rawNameHex, abs: null, note: item.skipped.message });
    }
  }
  return out;
}

interface Expected {
  relPath: string;
  rawNameHex?: string;
  sha256?: string;
  sizeBytes?: number;
  recordedAs: 'analysed' | 'skipped';
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

export async function verifyReport(reportPath: string, evidenceFolder: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const { caseResult, source } = await loadCase(reportPath);
  const folderStat = await stat(evidenceFolder);
  if (!folderStat.isDirectory()) throw new Error(`${evidenceFolder} is not a folder`);

  // The report's own integrity: signature, printed digest (PDF), sidecar.
  const reportBytes = await readFile(reportPath);
  const signature = checkSignature(reportBytes, opts);
  const embedded = source === 'pdf' ? checkEmbedded(reportBytes) : null;
  const sidecar = await readSidecar(reportPath);
  const reportSha = await sha256File(reportPath, opts.signal);
  const report: ReportIntegrity = {
    status: !sidecar || !sidecar.sha256 ? 'no-checksum' : sidecar.sha256 === reportSha ? 'match' : 'differs',
    sha256: reportSha,
    expected: sidecar?.sha256 ?? null,
    checksumPath: sidecar?.path ?? null,
  };

  const expected: Expected[] = [
    ...caseResult.manifest.map((f) => ({
      relPath: f.relPath,
      rawNameHex: f.rawNameHex,
      sha256: f.sha256,
      sizeBytes: f.sizeBytes,
      recordedAs: 'analysed' as const,
    })),
    ...caseResult.skipped.map((s) => ({
      relPath: s.relPath,
      rawNameHex: s.rawNameHex,
      sha256: s.sha256,
      sizeBytes: s.sizeBytes,
      recordedAs: 'skipped' as const,
    })),
  ];
  const byPath = new Map<string, Expected[]>();
  for (const e of expected) for (const key of new Set([e.relPath, e.relPath.normalize('NFC')])) byPath.set(key, [...(byPath.get(key) ?? []), e]);

  // A report saved inside the evidence folder is not evidence. Links leaving the folder are followed
  // only where the analysis followed them (cases before this was recorded: not followed).
  const resolvedReport = path.resolve(reportPath);
  const followExternalLinks = caseResult.params?.followExternalLinks === true;
  const found = await walk(evidenceFolder, new Set([resolvedReport, `${resolvedReport}.sha256`]), followExternalLinks, opts.signal);
  const claimed = new Set<Expected>();
  const pairs: { found: Found; exp: Expected | null }[] = [];
  for (const f of found) {
    const candidates = (byPath.get(f.relPath) ?? byPath.get(f.relPath.normalize('NFC')) ?? []).filter((e) => !claimed.has(e));
    const exp =
      candidates.length > 1 && f.rawHex
        ? (candidates.find((e) => e.rawNameHex && (e.rawNameHex === f.rawHex || f.rawHex!.endsWith(e.rawNameHex))) ?? candidates[0]!)
        : (candidates[0] ?? null);
    if (exp) claimed.add(exp);
    pairs.push({ found: f, exp });
  }

  const files: FileCheck[] = [];
  let done = 0;
  const total = pairs.length;
  const started = Date.now();
  await mapLimit(pairs, opts.concurrency ?? 4, async ({ found: f, exp }) => {
    opts.signal?.throwIfAborted();
    const check: FileCheck = { relPath: exp?.relPath ?? f.relPath, status: 'match', recordedAs: exp?.recordedAs };
    if (exp) {
      check.expectedSha256 = exp.sha256;
      check.expectedSize = exp.sizeBytes;
    }
    if (f.abs) {
      try {
        check.actualSize = (await stat(f.abs)).size;
        check.actualSha256 = await sha256File(f.abs as unknown as string, opts.signal);
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        check.note = `could not be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      }
    } else check.note = `not opened: ${f.note ?? 'not a regular file'}`;
    if (!exp) check.status = 'new';
    else if (exp.sha256) {
      if (check.actualSha256 === undefined) {
        check.status = 'differs';
        check.note ??= 'cannot be hashed';
      } else if (check.actualSha256 !== exp.sha256) check.status = 'differs';
    } else if (exp.sizeBytes !== undefined && check.actualSize !== undefined && check.actualSize !== exp.sizeBytes) {
      check.status = 'differs';
      check.note = 'size differs (no hash was recorded)';
    } else if (check.actualSha256 === undefined || exp.sizeBytes === undefined) {
      check.note ??= 'present; no hash was recorded for this skipped file';
    }
    files.push(check);
    done++;
    opts.onProgress?.({ phase: 'verify', done, total, rate: done / Math.max(0.001, (Date.now() - started) / 1000) });
  });
  for (const e of expected) {
    if (!claimed.has(e)) {
      files.push({ relPath: e.relPath, status: 'missing', recordedAs: e.recordedAs, expectedSha256: e.sha256, expectedSize: e.sizeBytes });
    }
  }
  files.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  const counts: Record<FileStatus, number> = { match: 0, differs: 0, missing: 0, new: 0 };
  for (const f of files) counts[f.status]++;
  const { outcome, reasons } = decide(counts, report, embedded, signature, (opts.trustedKeys ?? []).length > 0);
  return {
    reportPath,
    source,
    caseId: caseResult.caseId,
    evidenceFolder,
    report,
    embedded,
    signature,
    files,
    counts,
    outcome,
    reasons,
    ok: outcome === 'verified',
  };
}

function decide(
  counts: Record<FileStatus, number>,
  report: ReportIntegrity,
  embedded: EmbeddedCaseCheck | null,
  signature: SignatureResult,
  keyGiven: boolean,
): { outcome: VerifyOutcome; reasons: string[] } {
  const contradictions: string[] = [];
  const unestablished: string[] = [];
  if (counts.differs + counts.missing + counts.new > 0)
    contradictions.push(`the evidence folder does not match the report's manifest (${counts.differs} differ, ${counts.missing} missing, ${counts.new} new)`);
  if (signature.status === 'invalid') contradictions.push(`the report's signature is invalid: ${signature.reason}`);
  if (embedded?.status === 'differs') contradictions.push('the embedded case.json does not match the SHA-256 printed in the report: the manifest was replaced');
  if (report.status === 'differs') contradictions.push(`the report file does not match ${report.checksumPath}`);
  if (signature.status === 'valid' && signature.trust === 'unknown-key' && keyGiven)
    contradictions.push('the report is signed by a key other than the one given with --key');
  if (signature.status === 'unsigned') unestablished.push('the report is not signed, so who wrote it and whether it was edited cannot be established');
  if (signature.status === 'valid' && signature.trust === 'unknown-key' && !keyGiven)
    unestablished.push("the report is signed, but not by this installation's key; give the examiner's public key with --key to check whose it is");
  if (embedded?.status === 'not-printed') unestablished.push('the report does not print a readable SHA-256 of its embedded case.json to compare with');
  if (contradictions.length) return { outcome: 'not-verified', reasons: [...contradictions, ...unestablished] };
  if (unestablished.length) return { outcome: 'unauthenticated', reasons: unestablished };
  return { outcome: 'verified', reasons: [] };
}
