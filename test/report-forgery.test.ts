// verify-report against forged reports, as a forger with a hex editor and pdfkit would make them.
// The case: one evidence file is swapped for another image, and the report is edited to match the
// swapped file. Before reports were signed and the printed digest was checked, the first forgery
// (edited embedded case.json, sidecar deleted) verified with exit 0.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractEmbeddedFile, installationSigningKey, verifyReport, writeReport } from '../src/engine/report/index.js';
import { EXIT } from '../src/cli/exit-codes.js';
import type { CaseResult, EvidenceFile } from '../src/engine/types.js';
import { buildSampleCase } from './fixtures/sample-case.js';
import { recordReliability } from './helpers/reliability.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '..');
const root = mkdtempSync(path.join(os.tmpdir(), 'genprint-forgery-'));
const evidence = path.join(root, 'evidence');
const out = path.join(root, 'out');
const examinerKeys = path.join(root, 'examiner-key');
const forgerKeys = path.join(root, 'forger-key');
const examinerKey = installationSigningKey(examinerKeys);
const examinerPub = path.join(root, 'examiner.pub.pem');
const original = path.join(out, 'report.pdf');
let caseResult: CaseResult;
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function png(file: string, seed: number): Promise<void> {
  const px = Buffer.alloc(32 * 32 * 3);
  for (let k = 0; k < px.length; k++) px[k] = (k * 13 + seed * 101 + ((k * k * seed) % 17)) & 0xff;
  await sharp(px, { raw: { width: 32, height: 32, channels: 3 } })
    .png()
    .toFile(file);
}

async function cli(args: string[], configDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const env = { ...process.env, GENPRINT_CONFIG_DIR: configDir, FORCE_COLOR: '0' };
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/genprint.js'), ...args], { cwd: repoRoot, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** What a forger does to a PDF: replaces the embedded case.json stream, fixing /Length and /CheckSum. */
function replaceEmbeddedCase(pdf: Buffer, json: Buffer): Buffer {
  const text = pdf.toString('latin1');
  const typeAt = text.indexOf('/Type /EmbeddedFile');
  const dictStart = text.lastIndexOf('<<', typeAt);
  const streamKw = text.indexOf('stream\n', typeAt);
  const dataStart = streamKw + 'stream\n'.length;
  const dataEnd = text.indexOf('\nendstream', dataStart);
  const packed = deflateSync(json);
  const dict = text
    .slice(dictStart, dataStart)
    .replace(/\/Length \d+/, `/Length ${packed.length}`)
    .replace(/\/Size \d+/, `/Size ${json.length}`)
    .replace(/\/CheckSum \([0-9a-f]{32}\)/, `/CheckSum (${createHash('md5').update(json).digest('hex')})`);
  return Buffer.concat([pdf.subarray(0, dictStart), Buffer.from(dict, 'latin1'), packed, pdf.subarray(dataEnd)]);
}

/** The swapped file's manifest entry, as the forger would write it. */
function forgedCase(c: CaseResult, swapped: EvidenceFile): CaseResult {
  return { ...c, manifest: c.manifest.map((f) => (f.relPath === swapped.relPath ? swapped : f)) };
}

beforeAll(async () => {
  mkdirSync(evidence, { recursive: true });
  mkdirSync(out, { recursive: true });
  const manifest: EvidenceFile[] = [];
  for (let i = 0; i < 4; i++) {
    const rel = `img_${i}.png`;
    const file = path.join(evidence, rel);
    await png(file, i + 1);
    const bytes = readFileSync(file);
    manifest.push({
      relPath: rel,
      sha256: sha256(bytes),
      sizeBytes: bytes.length,
      mtimeMs: statSync(file).mtimeMs,
      format: 'png',
      width: 32,
      height: 32,
      channels: 3,
      bitDepth: 8,
      hasExif: false,
      crops: 1,
    });
  }
  caseResult = buildSampleCase({ manifest, skipped: [], caseId: 'FORGERY-1', awkwardNames: false });
  await writeReport(caseResult, original, { signingKey: examinerKey });
  writeFileSync(examinerPub, examinerKey.publicKeyPem);
  // The evidence is swapped after the report: img_2.png is now another picture.
  await png(path.join(evidence, 'img_2.png'), 99);
});

function swappedEntry(): EvidenceFile {
  const bytes = readFileSync(path.join(evidence, 'img_2.png'));
  return { ...caseResult.manifest[2]!, sha256: sha256(bytes), sizeBytes: bytes.length };
}

describe('forged reports', () => {
  it('the untouched report names the swapped file (exit 5)', async () => {
    const r = await verifyReport(original, evidence, { installationKeyDir: examinerKeys });
    expect(r.files.filter((f) => f.status === 'differs').map((f) => f.relPath)).toEqual(['img_2.png']);
    expect(r.outcome).toBe('not-verified');
    recordReliability('tampering', 'an evidence file swapped after the report', 'caught: the file is named as differing (not verified)');
  });

  it('an edited embedded case.json with the sidecar deleted: caught by the printed digest and the signature (exit 5)', async () => {
    const forged = path.join(out, 'edited.pdf');
    const json = Buffer.from(JSON.stringify(forgedCase(caseResult, swappedEntry()), null, 2) + '\n');
    writeFileSync(forged, replaceEmbeddedCase(readFileSync(original), json));
    // The forgery is well made: the embedded file reads back as the edited manifest.
    expect(extractEmbeddedFile(readFileSync(forged), 'case.json')).toEqual(json);

    const r = await verifyReport(forged, evidence, { installationKeyDir: examinerKeys });
    expect(r.counts).toEqual({ match: 4, differs: 0, missing: 0, new: 0 }); // the manifest now agrees with the swap...
    expect(r.report.status).toBe('no-checksum');
    expect(r.embedded?.status).toBe('differs'); // ...but not with the digest the report prints
    expect(r.signature.status).toBe('invalid');
    expect(r.outcome).toBe('not-verified');

    const c = await cli(['verify-report', forged, evidence], examinerKeys);
    expect(c.code).toBe(EXIT.mismatch);
    expect(c.stdout).toMatch(/embedded case\.json: DIFFERS from the SHA-256 printed in the report/);
    expect(c.stdout).toMatch(/signature: INVALID/);
    expect(c.stdout).toMatch(/NOT VERIFIED/);
    recordReliability(
      'tampering',
      "the PDF's embedded case.json edited to match the swap, .sha256 deleted",
      `caught: printed digest and signature differ (exit ${c.code})`,
    );
  });

  it('a report re-rendered from the edited case without the key: not authenticated (exit 6), never verified', async () => {
    const forged = path.join(out, 'rerendered.pdf');
    await writeReport(forgedCase(caseResult, swappedEntry()), forged);
    unlinkSync(`${forged}.sha256`);
    const r = await verifyReport(forged, evidence, { installationKeyDir: examinerKeys });
    expect(r.counts.match).toBe(4);
    expect(r.embedded?.status).toBe('match');
    expect(r.signature.status).toBe('unsigned');
    expect(r.outcome).toBe('unauthenticated');
    const c = await cli(['verify-report', forged, evidence], examinerKeys);
    expect(c.code).toBe(EXIT.unauthenticated);
    expect(c.stdout).toMatch(/signature: none/);
    expect(c.stdout).toMatch(/report file: no \.sha256 beside it/);
    expect(c.stdout).toMatch(/EVIDENCE MATCHES THE REPORT, BUT THE REPORT IS NOT AUTHENTICATED\n {2}because the report is not signed/);
    recordReliability(
      'tampering',
      'a report re-rendered from the edited case without the key, .sha256 deleted',
      `caught: not authenticated, never verified (exit ${c.code})`,
    );
  });

  it('a report re-signed with the forger’s own key: not authenticated without --key, refused with the examiner’s key', async () => {
    const forged = path.join(out, 'resigned.pdf');
    const forgerKey = installationSigningKey(forgerKeys);
    await writeReport(forgedCase(caseResult, swappedEntry()), forged, { signingKey: forgerKey });
    const r = await verifyReport(forged, evidence, { installationKeyDir: examinerKeys });
    expect(r.signature).toMatchObject({ status: 'valid', trust: 'unknown-key', fingerprint: forgerKey.fingerprint });
    expect(r.outcome).toBe('unauthenticated');
    expect((await cli(['verify-report', forged, evidence], examinerKeys)).code).toBe(EXIT.unauthenticated);
    const withKey = await cli(['verify-report', '--key', examinerPub, forged, evidence], forgerKeys);
    expect(withKey.code).toBe(EXIT.mismatch);
    expect(withKey.stdout).toMatch(/signed by a key other than the one given with --key/);
    recordReliability(
      'tampering',
      "a report re-signed with the forger's own key",
      `caught: not authenticated without --key, refused with the examiner's key (exit ${withKey.code})`,
    );
  });

  it('the examiner’s genuine report verifies on another machine only with the examiner’s public key', async () => {
    const genuine = path.join(out, 'genuine.pdf');
    await writeReport(caseResult, genuine, { signingKey: examinerKey });
    await png(path.join(evidence, 'img_2.png'), 3); // the original picture back in place
    const elsewhere = path.join(root, 'reviewer-config');
    expect((await cli(['verify-report', genuine, evidence], elsewhere)).code).toBe(EXIT.unauthenticated);
    const ok = await cli(['verify-report', '--key', examinerPub, genuine, evidence], elsewhere);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.stdout).toMatch(/signature: valid, by the key given with --key/);
    expect(ok.stdout).toMatch(/VERIFIED: evidence unchanged, report signed by a trusted key/);
    // One byte changed anywhere in the signed PDF breaks the signature.
    const bytes = readFileSync(genuine);
    bytes[Math.floor(bytes.length / 3)] ^= 0x20;
    writeFileSync(genuine, bytes);
    const r = await verifyReport(genuine, evidence, { trustedKeys: [examinerKey.publicKey], installationKeyDir: null });
    expect(r.signature.status).toBe('invalid');
    expect(r.outcome).toBe('not-verified');
    recordReliability('tampering', 'one byte changed in a genuine signed PDF', 'caught: signature invalid (not verified)');
  });

  it('`genprint key export` writes the public key that verifies the installation’s reports', async () => {
    const dir = path.join(root, 'exported');
    mkdirSync(dir);
    const file = path.join(dir, 'me.pub.pem');
    const c = await cli(['key', 'export', file], examinerKeys);
    expect(c.code, c.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(examinerKey.publicKeyPem);
    expect((await cli(['key', 'export', file], examinerKeys)).code).toBe(EXIT.usage); // never overwrites
    // The private key is readable by its owner only.
    expect(statSync(path.join(examinerKeys, 'report-signing-key.pem')).mode & 0o077).toBe(0);
  });
});
