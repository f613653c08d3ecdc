// verify-report against a real evidence folder (PNG files written with sharp): all match, then one
// file altered by one byte, one deleted and one added must be named exactly, by the function and
// by the CLI (exit code 5). Reports are signed with a key made for this test; the forgeries of
// test/report-forgery.test.ts build on the same folder layout.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installationSigningKey, verifyReport, writeReport } from '../src/engine/report/index.js';
import type { EvidenceFile, SkippedFile } from '../src/engine/types.js';
import { EXIT } from '../src/cli/exit-codes.js';
import { buildSampleCase } from './fixtures/sample-case.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '..');
const root = mkdtempSync(path.join(os.tmpdir(), 'genprint-verify-'));
const evidence = path.join(root, 'evidence');
const reportPdf = path.join(root, 'out', 'report.pdf');
const reportJson = path.join(root, 'out', 'case.report.json');
const keyDir = path.join(root, 'key');
const signingKey = installationSigningKey(keyDir);
const trusted = { installationKeyDir: keyDir };
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const env = { ...process.env, GENPRINT_CONFIG_DIR: keyDir };
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/genprint.js'), ...args], { cwd: repoRoot, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  mkdirSync(path.join(evidence, 'sub dir'), { recursive: true });
  mkdirSync(path.dirname(reportPdf), { recursive: true });
  const manifest: EvidenceFile[] = [];
  for (let i = 0; i < 6; i++) {
    const rel = i < 3 ? `img_${i}.png` : `sub dir/ümlaut_${i}.png`;
    const noise = Buffer.alloc(48 * 40 * 3);
    for (let k = 0; k < noise.length; k++) noise[k] = (k * 31 + i * 97 + ((k * k) % 13)) & 0xff;
    const file = path.join(evidence, rel);
    await sharp(noise, { raw: { width: 48, height: 40, channels: 3 } })
      .png()
      .toFile(file);
    const bytes = readFileSync(file);
    const meta = await sharp(bytes).metadata();
    manifest.push({
      relPath: rel,
      sha256: sha256(bytes),
      sizeBytes: bytes.length,
      mtimeMs: statSync(file).mtimeMs,
      format: meta.format!,
      width: meta.width!,
      height: meta.height!,
      channels: meta.channels!,
      bitDepth: 8,
      hasExif: false,
      crops: 1,
    });
  }
  writeFileSync(path.join(evidence, 'notes.txt'), 'not an image\n');
  const skipped: SkippedFile[] = [
    {
      relPath: 'notes.txt',
      reason: 'not-an-image',
      message: 'no image signature',
      sha256: sha256(readFileSync(path.join(evidence, 'notes.txt'))),
      sizeBytes: 13,
    },
  ];
  const c = buildSampleCase({ manifest, skipped, caseId: 'VERIFY-1', awkwardNames: false });
  await writeReport(c, reportPdf, { signingKey });
  await writeReport(c, reportJson, { signingKey });
});

describe('verify-report', () => {
  it('finds every file matching an untouched folder', async () => {
    const r = await verifyReport(reportPdf, evidence, trusted);
    expect(r.source).toBe('pdf');
    expect(r.caseId).toBe('VERIFY-1');
    expect(r.report.status).toBe('match');
    expect(r.signature).toMatchObject({ status: 'valid', trust: 'this-installation', fingerprint: signingKey.fingerprint });
    expect(r.embedded?.status).toBe('match');
    expect(r.counts).toEqual({ match: 7, differs: 0, missing: 0, new: 0 });
    expect(r.outcome).toBe('verified');
    expect(r.ok).toBe(true);
    const viaJson = await verifyReport(reportJson, evidence, trusted);
    expect(viaJson.source).toBe('json');
    expect(viaJson.signature.status).toBe('valid');
    expect(viaJson.ok).toBe(true);
    const { code, stdout } = await cli('verify-report', reportPdf, evidence);
    expect(stdout).toContain('7 match, 0 differ, 0 missing, 0 new');
    expect(code).toBe(EXIT.ok);
  });

  it('names exactly the altered, deleted and added files', async () => {
    // Change one byte in the middle of one file, delete another, add a new one.
    const altered = path.join(evidence, 'img_1.png');
    const bytes = readFileSync(altered);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(altered, bytes);
    unlinkSync(path.join(evidence, 'sub dir/ümlaut_4.png'));
    writeFileSync(path.join(evidence, 'sub dir/extra.png'), 'planted');

    const r = await verifyReport(reportPdf, evidence, trusted);
    const by = (s: string) => r.files.filter((f) => f.status === s).map((f) => f.relPath);
    expect(by('differs')).toEqual(['img_1.png']);
    expect(by('missing')).toEqual(['sub dir/ümlaut_4.png']);
    expect(by('new')).toEqual(['sub dir/extra.png']);
    expect(r.counts).toEqual({ match: 5, differs: 1, missing: 1, new: 1 });
    expect(r.ok).toBe(false);
    const differ = r.files.find((f) => f.status === 'differs')!;
    expect(differ.actualSha256).toBe(sha256(bytes));
    expect(differ.expectedSha256).not.toBe(differ.actualSha256);

    const { code, stdout, stderr } = await cli('verify-report', reportPdf, evidence);
    expect(code).toBe(EXIT.mismatch);
    expect(stdout).toMatch(/DIFFERS img_1\.png/);
    expect(stdout).toMatch(/MISSING sub dir\/ümlaut_4\.png/);
    expect(stdout).toMatch(/NEW +sub dir\/extra\.png/);
    expect(stdout).not.toMatch(/img_0\.png/); // matches are not listed without --all
    expect(stderr).toContain('verification failed');

    const json = await cli('verify-report', '--json', reportJson, evidence);
    expect(json.code).toBe(EXIT.mismatch);
    expect(JSON.parse(json.stdout).counts).toEqual({ match: 5, differs: 1, missing: 1, new: 1 });
  });

  it('notices a report that no longer matches its .sha256', async () => {
    const copy = path.join(root, 'out', 'copy.pdf');
    writeFileSync(copy, readFileSync(reportPdf));
    writeFileSync(`${copy}.sha256`, readFileSync(`${reportPdf}.sha256`, 'utf8').replace('report.pdf', 'copy.pdf'));
    expect((await verifyReport(copy, evidence, trusted)).report.status).toBe('match');
    appendFileSync(copy, '\n% appended\n');
    const r = await verifyReport(copy, evidence, trusted);
    expect(r.report.status).toBe('differs');
    // Bytes appended after signing break the signature too.
    expect(r.signature.status).toBe('invalid');
    expect(r.ok).toBe(false);
  });

  it('rejects a file that is not a report', async () => {
    const bogus = path.join(root, 'out', 'bogus.json');
    writeFileSync(bogus, '{"schema":"something-else"}');
    await expect(verifyReport(bogus, evidence)).rejects.toThrow(/schema/);
    const { code } = await cli('verify-report', bogus, evidence);
    expect(code).toBe(EXIT.input);
  });
});
