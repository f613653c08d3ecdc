// verify-report: re-hash the evidence folder read-only and compare it with the manifest recorded in
// a report (the case.json embedded in the PDF, or a case/report JSON), and check the report file
// against its .sha256 sidecar.
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Progress } from '../types.js';
import { readSidecar, sha256File } from './hash.js';
import { loadCase, type CaseSource } from './load.js';

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

export interface VerifyResult {
  reportPath: string;
  source: CaseSource;
  caseId: string;
  evidenceFolder: string;
  report: ReportIntegrity;
  files: FileCheck[];
  counts: Record<FileStatus, number>;
  /** True when every file matches and the report does not contradict its .sha256. */
  ok: boolean;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Files hashed at once. Default 4. */
  concurrency?: number;
}

interface Found {
  relPath: string;
  rawHex?: string;
  abs: Buffer;
  regular: boolean;
}

function isValidUtf8(buf: Buffer): boolean {
  return Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

/** Every entry under `root` that is not a directory, following directory links once (loop-safe). */
async function walk(root: string, exclude: Set<string>): Promise<Found[]> {
  const out: Found[] = [];
  const seen = new Set<string>();
  const visit = async (absDir: Buffer, relParts: Buffer[]): Promise<void> => {
    const real = await realpath(absDir).catch(() => null);
    if (real === null || seen.has(real.toString())) return;
    seen.add(real.toString());
    const dir = await opendir(absDir as unknown as string, { encoding: 'buffer' } as never);
    for await (const ent of dir as AsyncIterable<{ name: Buffer | string }>) {
      const nameBuf = Buffer.isBuffer(ent.name) ? ent.name : Buffer.from(ent.name);
      const abs = Buffer.concat([absDir, Buffer.from(path.sep), nameBuf]);
      const parts = [...relParts, nameBuf];
      const relBuf = Buffer.concat(parts.flatMap((p, i) => (i ? [Buffer.from('/'), p] : [p])));
      const relPath = relBuf.toString('utf8');
      const st = await stat(abs).catch(() => null); // follows links; null for dangling ones
      if (st?.isDirectory()) {
        await visit(abs, parts);
        continue;
      }
      if (exclude.has(path.resolve(abs.toString()))) continue;
      const isLink = st === null && (await lstat(abs).catch(() => null)) !== null;
      if (st === null && !isLink) continue;
      out.push({ relPath, rawHex: isValidUtf8(relBuf) ? undefined : relBuf.toString('hex'), abs, regular: !!st?.isFile() });
    }
  };
  await visit(Buffer.from(path.resolve(root)), []);
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

  // The report's own integrity.
  const sidecar = await readSidecar(reportPath);
  const reportSha = await sha256File(reportPath, opts.signal);
  const report: ReportIntegrity = {
    status: !sidecar || !sidecar.sha256 ? 'no-checksum' : sidecar.sha256 === reportSha ? 'match' : 'differs',
    sha256: reportSha,
    expected: sidecar?.sha256 ?? null,
    checksumPath: sidecar?.path ?? null,
  };

  const expected: Expected[] = [
    ...caseResult.manifest.map((f) => ({ relPath: f.relPath, rawNameHex: f.rawNameHex, sha256: f.sha256, sizeBytes: f.sizeBytes, recordedAs: 'analysed' as const })),
    ...caseResult.skipped.map((s) => ({ relPath: s.relPath, rawNameHex: s.rawNameHex, sha256: s.sha256, sizeBytes: s.sizeBytes, recordedAs: 'skipped' as const })),
  ];
  const byPath = new Map<string, Expected[]>();
  for (const e of expected) for (const key of new Set([e.relPath, e.relPath.normalize('NFC')])) byPath.set(key, [...(byPath.get(key) ?? []), e]);

  // A report saved inside the evidence folder is not evidence.
  const resolvedReport = path.resolve(reportPath);
  const found = await walk(evidenceFolder, new Set([resolvedReport, `${resolvedReport}.sha256`]));
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
    if (f.regular) {
      try {
        check.actualSize = (await stat(f.abs)).size;
        check.actualSha256 = await sha256File(f.abs as unknown as string, opts.signal);
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        check.note = `could not be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      }
    } else check.note = 'not a regular file (not opened)';
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
  return {
    reportPath,
    source,
    caseId: caseResult.caseId,
    evidenceFolder,
    report,
    files,
    counts,
    ok: counts.differs + counts.missing + counts.new === 0 && report.status !== 'differs',
  };
}
