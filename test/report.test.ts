// The report writer end to end: real pdfkit output read back with poppler's pdftotext/pdfdetach,
// the embedded case.json parsed back with our own reader, JSON and CSV round trips.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkReportSignature,
  formatFingerprint,
  installationSigningKey,
  extractEmbeddedFile,
  listEmbeddedFiles,
  loadCase,
  overstates,
  verdictWording,
  writeReport,
} from '../src/engine/report/index.js';
import type { CaseResult, Verdict } from '../src/engine/types.js';
import { buildSampleCase } from './fixtures/sample-case.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'genprint-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const generatedAt = new Date('2024-03-15T09:30:00Z');

const hasPoppler =
  existsSync('/usr/bin/pdftotext') ||
  (() => {
    try {
      execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
if (!hasPoppler) console.warn('report.test: pdftotext (poppler-utils) not found; PDF text checks are skipped');

function pdfText(file: string): string {
  return execFileSync('pdftotext', ['-layout', file, '-'], { maxBuffer: 256 << 20 }).toString('utf8');
}
/** Collapses whitespace so wrapped sentences compare as one line. */
const flat = (s: string) => s.replace(/\s+/g, ' ');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('PDF report', () => {
  const c = buildSampleCase();
  const file = path.join(dir, 'report.pdf');
  let pages = 0;

  it('writes the PDF and a sha256sum sidecar that matches it', async () => {
    const r = await writeReport(c, file, { generatedAt });
    pages = r.pages!;
    expect(r.format).toBe('pdf');
    expect(pages).toBeGreaterThanOrEqual(4);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(r.sha256).toBe(sha256(bytes));
    expect(readFileSync(`${file}.sha256`, 'utf8')).toBe(`${r.sha256}  report.pdf\n`);
    if (hasPoppler) execFileSync('sha256sum', ['-c', 'report.pdf.sha256'], { cwd: dir, stdio: 'ignore' });
  });

  it.skipIf(!hasPoppler)('contains the case, verdict statement, hashes, header and page numbers', () => {
    const text = pdfText(file);
    const f = flat(text);
    expect(f).toContain('Case CASE-2024-0173');
    expect(f).toContain('J. Smith, Digital Forensics Unit');
    expect(f).toContain('2024-03-14 10:42:17 (UTC+01:00)');
    expect(f).toContain(flat(c.verdicts.folder.statement));
    expect(f).toContain('Strength of evidence relative to the library: strong');
    expect(f).toContain(c.library.sha256);
    expect(f).toContain(
      "Library classifier the set-encoder's per-image phi features (weight 0.69) + the residual log power spectrum (weight 0.43) + the centred 32×32 residual pixels (weight 0.46), combined by stacking weights",
    );
    expect(f).toContain('out-of-fold per-image accuracy on the enrolment images 0.93');
    expect(f).toContain("A set's summed log-probabilities are divided by n^alpha with alpha = 0.26, fitted on sets of held-back enrolment images");
    const saved = c.verdicts.folder.compression!;
    expect(f).toContain(
      flat(
        `Compression evidence lossless (${saved.evidence.lossless}), JPEG q92 (${saved.evidence['jpeg-q92']}); StyleGAN2 (FFHQ)'s references lossless (150), JPEG q92 (50) — alike`,
      ),
    );
    const k = c.verdicts.folder.consistency!;
    // (pdftotext may break "per-image" at the hyphen, so the line is checked in two parts.)
    expect(f).toContain(`Consistency across images ${k.favouring} of ${k.images} images favour StyleGAN2 (FFHQ) over ${k.versus} (mean per-`);
    expect(f).toContain('log-probability ratio 1.84, t = 7.31, one-sided p = below 0.001; consistent if p < 0.05)');
    const e = c.verdicts.folder.errorRate!;
    expect(f).toContain(`Error rate on held-back references 1.2 % of held-back reference sets of ${e.n} images`);
    expect(f).toContain(`most often from ${e.mostConfused!.entry}, whose sets go to StyleGAN2 (FFHQ) in 1.0 % of draws`);
    // Section 4: every entry's error rate at the bag size, with the entry its errors come from.
    expect(f).toContain(`Error rate of a verdict for each entry on held-back reference sets of ${c.params.bagSize} images (the bag size)`);
    expect(f).toMatch(/4 DDPM \(CelebA\) diffusion 13\.5 % Stable Diffusion 1\.5 \(14\.0 % of its sets\)/);
    expect(f).toMatch(/5 Glow \(CelebA\) flow 0\.0 % -/);
    expect(f).toContain(c.model.phiSha256!);
    expect(f).toContain(c.model.rhoSha256!);
    for (const i of [0, 1, 17, c.manifest.length - 1]) expect(f).toContain(c.manifest[i]!.sha256);
    for (const s of c.skipped) if (s.sha256) expect(f).toContain(s.sha256);
    expect(f).toContain('truncated');
    // Header on every page, "Page X of N" on every page.
    expect(text.match(/Case CASE-2024-0173/g)!.length).toBeGreaterThanOrEqual(pages);
    for (let p = 1; p <= pages; p++) expect(f).toContain(`Page ${p} of ${pages}`);
    // Sections a court reader needs.
    for (const heading of [
      'Findings',
      'Figures',
      'Method and parameters',
      'Limitations',
      'Integrity and verification',
      'Appendix A. Evidence manifest',
      'Appendix B. Files not analysed',
    ])
      expect(f).toContain(heading);
    for (const param of ['Bag size', 'Number of bags', 'Random seed', 'Canvas', 'Execution provider', 'Threads']) expect(f).toContain(param);
    // Chart text is real (vector) text: axis labels and entry names.
    expect(f).toContain('Images per bag (bag size)');
    expect(f).toContain('Merge distance (average linkage)');
    // Never overstates.
    expect(f).not.toMatch(/\bprove[sdn]?\b|\bcertain(ly)?\b|\bconclusive/i);
  });

  it.skipIf(!hasPoppler)('shows unsupported characters as "?" and shortens long names, keeping them exact in the JSON', () => {
    const f = flat(pdfText(file));
    const cjk = c.manifest.find((m) => m.relPath.includes('写真'))!;
    expect(f).toContain('messenger/received/??_5_?mega.png');
    expect(f).toContain('_série_été_Müller_3.png'); // Latin-1 survives (the long path is shortened in the middle)
    const long = c.manifest.find((m) => m.relPath.includes('a_very_long_file_name'))!;
    expect(f).not.toContain(long.relPath);
    expect(f).toContain(long.sha256);
    const embedded = JSON.parse(extractEmbeddedFile(readFileSync(file), 'case.json')!.toString('utf8')) as CaseResult;
    expect(embedded.manifest.map((m) => m.relPath)).toContain(cjk.relPath);
    expect(embedded.manifest.map((m) => m.relPath)).toContain(long.relPath);
  });

  it('embeds the case as case.json, readable by our reader and by poppler', async () => {
    const bytes = readFileSync(file);
    expect(listEmbeddedFiles(bytes)).toEqual(['case.json']);
    const json = JSON.parse(extractEmbeddedFile(bytes, 'case.json')!.toString('utf8'));
    const { report, ...rest } = json;
    expect(rest).toEqual(JSON.parse(JSON.stringify(c)));
    expect(report.format).toBe('genprint.report/1');
    expect(report.software.name).toBe('genprint');
    const loaded = await loadCase(file);
    expect(loaded.source).toBe('pdf');
    expect(loaded.caseResult.caseId).toBe(c.caseId);
    if (hasPoppler) {
      const out = path.join(dir, 'detached.json');
      execFileSync('pdfdetach', ['-save', '1', '-o', out, file]);
      expect(readFileSync(out)).toEqual(extractEmbeddedFile(bytes, 'case.json'));
    }
  });

  it.skipIf(!hasPoppler)('words a mixed folder as mixed and shows each group', async () => {
    const mixed = buildSampleCase({ mixed: true });
    const out = path.join(dir, 'mixed.pdf');
    await writeReport(mixed, out, { generatedAt });
    const f = flat(pdfText(out));
    expect(f).toContain('do not form one consistent set');
    expect(f).toContain('Folder verdict: mixed (2 groups)');
    expect(f).toContain('Nearest entry none for the folder as a whole (mixed: see the group verdicts)');
    expect(f).toContain('Consistency across images not applicable (mixed: see the group verdicts)');
    expect(f).toContain(flat(mixed.verdicts.groups[1]!.statement));
    expect(f).toContain('Strength of evidence relative to the library: weak');
  });

  it.skipIf(!hasPoppler)('a signed PDF prints its key fingerprint, stays readable by poppler, and its signature checks', async () => {
    const keyDir = path.join(dir, 'signing-key');
    const key = installationSigningKey(keyDir);
    const out = path.join(dir, 'signed.pdf');
    const r = await writeReport(c, out, { generatedAt, signingKey: key });
    expect(r.signedBy).toBe(key.fingerprint);
    const f = flat(pdfText(out));
    expect(f).toContain(`Signing key fingerprint ${formatFingerprint(key.fingerprint)}`);
    expect(f).toContain('This PDF is signed with the Ed25519 key');
    expect(execFileSync('pdfinfo', [out]).toString()).toMatch(/Pages: +\d+/);
    expect(checkReportSignature(readFileSync(out))).toMatchObject({ status: 'valid', fingerprint: key.fingerprint });
    // The unsigned report says so instead.
    expect(flat(pdfText(file))).toContain('This PDF is not signed.');
    expect(checkReportSignature(readFileSync(file)).status).toBe('unsigned');
  });

  it('handles a 3,000-file manifest, with the page count growing', async () => {
    const big = buildSampleCase({ files: 3000 });
    const out = path.join(dir, 'big.pdf');
    const r = await writeReport(big, out, { generatedAt });
    expect(r.pages!).toBeGreaterThan(pages + 3000 / 40);
    if (hasPoppler) {
      const f = flat(pdfText(out));
      expect(f).toContain(big.manifest[2999]!.sha256);
      expect(f).toContain(big.manifest[1500]!.sha256);
      expect(f).toContain(`Page ${r.pages} of ${r.pages}`);
    }
  });
});

describe('manifold method', () => {
  /** The sample case as if analysed with the manifold method: every verdict and the parameters say so. */
  function manifoldCase(manifold: NonNullable<CaseResult['params']['manifold']>): CaseResult {
    const c = buildSampleCase({ caseId: `CASE-MANIFOLD-${manifold.estimate}` });
    const asManifold = <T extends Verdict>(v: T): T => ({ ...v, method: 'manifold' });
    return {
      ...c,
      params: { ...c.params, method: 'manifold', manifold },
      verdicts: { folder: asManifold(c.verdicts.folder), groups: c.verdicts.groups.map(asManifold), bags: c.verdicts.bags.map(asManifold) },
    };
  }

  it.skipIf(!hasPoppler)('names the knn estimate, its definition and the real reference set in the parameters', async () => {
    const c = manifoldCase({
      estimate: 'knn',
      definition: 'artifact = φ(x) − Σ_k w_k φ(r_k): the 8 nearest images r_k of the real reference set in standardised φ space, weights ∝ 1/distance',
      reference: { id: 7, name: 'FFHQ real photographs', family: 'real', images: 412 },
      k: 8,
      featureSpace: 'set-encoder φ features (128-d, model 0123456789ab)',
      index: 'exact',
    });
    const out = path.join(dir, 'manifold-knn.pdf');
    await writeReport(c, out, { generatedAt });
    const f = flat(pdfText(out));
    expect(f).toContain('manifold: manifold artifacts (ManiFPT), knn estimate');
    expect(f).toContain('Real reference set FFHQ real photographs (library entry 7, family real, 412 images)');
    expect(f).toContain('artifact = phi(x) - Sum_k w_k phi(r_k)');
    expect(f).toContain('weights proportional to 1/distance');
    expect(f).toContain('Nearest neighbours (k) 8');
    expect(f).toContain('Neighbour search exact');
    expect(f).toContain('Manifold artifacts.');
    // The classifier's score is a probability, shown as such (never as a bare 1.000).
    expect(f).toContain(`probability ${c.verdicts.folder.score > 0.9995 ? '> 0.999' : c.verdicts.folder.score.toFixed(3)}`);
    expect(f).not.toMatch(/\bprove[sdn]?\b|\bcertain(ly)?\b|\bconclusive/i);
  });

  it.skipIf(!hasPoppler)('gives the projector SHA-256 for the projector estimate', async () => {
    const sha = 'ab'.repeat(32);
    const c = manifoldCase({ estimate: 'projector', definition: 'artifact = x − P(x), P = the learned projector', projectorSha256: sha });
    const out = path.join(dir, 'manifold-projector.pdf');
    await writeReport(c, out, { generatedAt });
    const f = flat(pdfText(out));
    expect(f).toContain('manifold: manifold artifacts (ManiFPT), projector estimate');
    expect(f).toContain('artifact = x - P(x)');
    expect(f).toContain(sha);
    expect(f).not.toContain('Real reference set');
  });
});

describe('JSON and CSV exports', () => {
  it('JSON is the case plus a report block, and loads back', async () => {
    const c = buildSampleCase();
    const out = path.join(dir, 'case.report.json');
    const r = await writeReport(c, out, { generatedAt });
    expect(r.format).toBe('json');
    const parsed = JSON.parse(readFileSync(out, 'utf8'));
    const { report, ...rest } = parsed;
    expect(rest).toEqual(JSON.parse(JSON.stringify(c)));
    expect(report.generatedAt).toMatch(/^2024-03-15T\d\d:30:00[+-]\d\d:\d\d$/);
    expect(report.timeZone).toBeTruthy();
    // Re-exporting a JSON report replaces the block rather than nesting it.
    const again = path.join(dir, 'again.json');
    await writeReport((await loadCase(out)).caseResult, again, { generatedAt: new Date('2025-01-01T00:00:00Z') });
    const twice = JSON.parse(readFileSync(again, 'utf8'));
    expect(twice.report.generatedAt).toMatch(/^202[45]-/);
    expect(twice.report.report).toBeUndefined();
    expect(readFileSync(`${out}.sha256`, 'utf8').split(' ')[0]).toBe(sha256(readFileSync(out)));
  });

  /** A strict RFC 4180 parser, independent of the writer. */
  function parseCsv(text: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let field = '';
    let i = 0;
    let quoted = false;
    while (i < text.length) {
      const ch = text[i]!;
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (ch === '"') {
          quoted = false;
          i++;
        } else {
          field += ch;
          i++;
        }
      } else if (ch === '"' && field === '') {
        quoted = true;
        i++;
      } else if (ch === ',') {
        row.push(field);
        field = '';
        i++;
      } else if (ch === '\r' && text[i + 1] === '\n') {
        row.push(field);
        rows.push(row);
        row = [];
        field = '';
        i += 2;
      } else {
        if (ch === '\n' || ch === '"') throw new Error(`bare ${JSON.stringify(ch)} at ${i}`);
        field += ch;
        i++;
      }
    }
    if (field || row.length) throw new Error('last record not terminated by CRLF');
    return rows;
  }

  it('CSV has one RFC 4180 row per file, skipped included, names exact', async () => {
    const c = buildSampleCase();
    const odd = 'messenger/received/odd, "quoted"\nname .png';
    c.manifest[1]!.relPath = odd;
    c.images[1]!.relPath = odd;
    const out = path.join(dir, 'case.csv');
    await writeReport(c, out, { format: 'csv', generatedAt });
    const rows = parseCsv(readFileSync(out, 'utf8'));
    const header = rows[0]!;
    expect(header.slice(0, 3)).toEqual(['relPath', 'rawNameHex', 'status']);
    expect(rows).toHaveLength(1 + c.manifest.length + c.skipped.length);
    expect(rows.every((r) => r.length === header.length)).toBe(true);
    const col = (name: string) => header.indexOf(name);
    const byPath = new Map(rows.slice(1).map((r) => [r[0]!, r]));
    expect(byPath.get(odd)![col('sha256')]).toBe(c.manifest[1]!.sha256);
    const cjk = c.manifest.find((m) => m.relPath.includes('写真'))!;
    expect(byPath.get(cjk.relPath)![col('sizeBytes')]).toBe(String(cjk.sizeBytes));
    for (const s of c.skipped) {
      const r = byPath.get(s.relPath)!;
      expect(r[col('status')]).toBe('skipped');
      expect(r[col('skipReason')]).toBe(s.reason);
      expect(r[col('sha256')]).toBe(s.sha256 ?? '');
    }
    const img = c.images[0]!;
    const r0 = byPath.get(img.relPath)!;
    expect(Number(r0[col('score')])).toBe(img.score);
    expect(r0[col('topCandidate')]).toBe(img.topCandidate ?? '');
    expect(c.manifest.map((m) => byPath.get(m.relPath)![col('compression')])).toEqual(c.manifest.map((m) => m.compression));
    expect(Number(r0[col('residualCorr:StyleGAN2 (FFHQ)')])).toBe(img.residualCorr['StyleGAN2 (FFHQ)']);
  });
});

describe('wording policy', () => {
  const base = buildSampleCase().verdicts.folder;
  const v = (patch: Partial<Verdict>): Verdict => ({ ...base, ...patch });

  it('flags small sets and small margins as weak', () => {
    expect(verdictWording(v({ evidenceCount: 3 })).strength).toBe('weak');
    expect(verdictWording(v({ margin: 0.05 })).strength).toBe('weak');
    expect(verdictWording(v({ evidenceCount: 12 })).strength).toBe('moderate');
    expect(verdictWording(v({})).strength).toBe('strong');
    expect(verdictWording(v({ evidenceCount: 3 })).caveats.join(' ')).toContain('only 3 images');
  });

  it("replaces a statement that overstates with the engine's own statement, written from the verdict's facts", () => {
    const w = verdictWording(v({ statement: 'This proves that StyleGAN2 (FFHQ) made the images.' }));
    expect(w.statement).toBe(
      `The 48 images are consistent with the library entry StyleGAN2 (FFHQ) (family: GAN), with probability 0.870 and a margin of 0.790 over ${base.runnerUp}. ` +
        'This does not exclude generators that are not in the library.',
    );
    expect(overstates(w.statement)).toBe(false);
    const u = verdictWording(v({ unknown: true, label: null, statement: 'Definitely an unknown generator.' }));
    expect(u.statement).toBe(
      `The 48 images are not consistent with any generator in the library (closest entry: ${base.candidates[0].name}, outside its calibrated range). ` +
        'They may come from a generator that is not enrolled, or be too heavily processed to compare.',
    );
  });

  it('keeps careful engine statements', () => {
    expect(overstates(base.statement)).toBe(false);
    expect(verdictWording(base).statement).toBe(base.statement);
  });
});
