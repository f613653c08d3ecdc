// Symbolic links that leave the evidence folder. A link to /etc once put 1,217 of the examiner's own
// files (/etc/shadow's hash among them) into a case. Ingest now lists such a link as skipped
// ('outside-folder') unless asked to follow it, links inside the folder keep working, and
// verify-report walks the folder with the same rule, taken from the case: a link skipped at
// analysis is neither reported as new nor hashed outside the folder at verification.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFolder } from '../src/engine/ingest/index.js';
import { verifyReport } from '../src/engine/report/index.js';
import type { CaseResult, EvidenceFile, IngestEvent, SkippedFile } from '../src/engine/types.js';
import { buildSampleCase } from './fixtures/sample-case.js';
import { recordReliability } from './helpers/reliability.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'genprint-links-'));
const outside = path.join(root, 'outside');
const evidence = path.join(root, 'evidence');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let secretSha = '';

async function png(file: string, seed: number): Promise<void> {
  const px = Buffer.alloc(40 * 32 * 3);
  for (let k = 0; k < px.length; k++) px[k] = (k * 7 + seed * 131 + ((k * k) % 23)) & 0xff;
  await sharp(px, { raw: { width: 40, height: 32, channels: 3 } })
    .png()
    .toFile(file);
}

beforeAll(async () => {
  mkdirSync(outside, { recursive: true });
  mkdirSync(path.join(evidence, 'sub'), { recursive: true });
  await png(path.join(outside, 'secret.png'), 99);
  writeFileSync(path.join(outside, 'notes.txt'), "the examiner's own notes\n");
  secretSha = sha256(readFileSync(path.join(outside, 'secret.png')));
  await png(path.join(evidence, 'a.png'), 1);
  await png(path.join(evidence, 'sub', 'b.png'), 2);
  // Inside the folder: a file link and a folder link, both keep working.
  symlinkSync('a.png', path.join(evidence, 'inside-link.png'));
  symlinkSync('sub', path.join(evidence, 'sub-link'));
  // Leaving it: relative and absolute, to a file and to a folder.
  symlinkSync('../outside/secret.png', path.join(evidence, 'out-file.png'));
  symlinkSync(outside, path.join(evidence, 'out-dir'));
  // A link inside the folder whose target is a link out of it: the real target decides.
  symlinkSync('out-file.png', path.join(evidence, 'via-link.png'));
});

async function ingest(folder: string, followExternalLinks?: boolean): Promise<IngestEvent[]> {
  const events: IngestEvent[] = [];
  for await (const e of ingestFolder(folder, { followExternalLinks })) events.push(e);
  return events;
}

const summary = (events: IngestEvent[]) =>
  Object.fromEntries(events.map((e) => (e.kind === 'image' ? [e.image.file.relPath, 'image'] : [e.skipped.relPath, e.skipped.reason])));

/** A case whose manifest is what ingest found, recording how links were treated. */
function caseFrom(events: IngestEvent[], followExternalLinks: boolean | undefined): CaseResult {
  const manifest: EvidenceFile[] = events.flatMap((e) => (e.kind === 'image' ? [e.image.file] : []));
  const skipped: SkippedFile[] = events.flatMap((e) => (e.kind === 'skipped' ? [e.skipped] : []));
  const c = buildSampleCase({ manifest, skipped, caseId: 'LINKS-1', awkwardNames: false });
  if (followExternalLinks === undefined) delete c.params.followExternalLinks;
  else c.params.followExternalLinks = followExternalLinks;
  return c;
}

function writeCase(name: string, c: CaseResult): string {
  const file = path.join(root, name);
  writeFileSync(file, JSON.stringify(c));
  return file;
}

describe('links that leave the evidence folder', () => {
  it('are listed as skipped with the reason and target, and not followed; links inside keep working', async () => {
    const events = await ingest(evidence);
    expect(summary(events)).toEqual({
      'a.png': 'image',
      'inside-link.png': 'image',
      'out-dir': 'outside-folder',
      'out-file.png': 'outside-folder',
      'sub-link/b.png': 'image',
      'sub/b.png': 'image',
      'via-link.png': 'outside-folder',
    });
    const outFile = events.find((e) => e.kind === 'skipped' && e.skipped.relPath === 'out-file.png');
    expect(outFile?.kind === 'skipped' && outFile.skipped.message).toMatch(
      /symbolic link to a file outside the evidence folder \(".*outside\/secret\.png"\); not followed/,
    );
    const outDir = events.find((e) => e.kind === 'skipped' && e.skipped.relPath === 'out-dir');
    expect(outDir?.kind === 'skipped' && outDir.skipped.message).toMatch(/to a folder outside the evidence folder/);
    // Nothing from outside was read: no hash of the outside file anywhere.
    expect(JSON.stringify(events)).not.toContain(secretSha);
    recordReliability('bad-input', 'symbolic links leaving the evidence folder (file, folder, chained)', 'skipped: outside-folder');
  });

  it('a link to /etc is one skipped entry, not the examiner’s system files', async () => {
    const folder = path.join(root, 'etc-case');
    mkdirSync(folder);
    await png(path.join(folder, 'x.png'), 3);
    symlinkSync('/etc', path.join(folder, 'etc'));
    const events = await ingest(folder);
    expect(summary(events)).toEqual({ etc: 'outside-folder', 'x.png': 'image' });
    recordReliability('bad-input', 'a symbolic link to /etc in the evidence folder', 'skipped: outside-folder (no file of /etc read)');
  });

  it('are followed when asked', async () => {
    const events = await ingest(evidence, true);
    const s = summary(events);
    expect(s).toMatchObject({ 'out-file.png': 'image', 'via-link.png': 'image', 'out-dir/secret.png': 'image', 'out-dir/notes.txt': 'not-an-image' });
    const outFile = events.find((e) => e.kind === 'image' && e.image.file.relPath === 'out-file.png');
    expect(outFile?.kind === 'image' && outFile.image.file.sha256).toBe(secretSha);
  });
});

describe('verify-report walks the folder as the analysis did', () => {
  it('a link skipped at analysis is neither new nor hashed outside the folder', async () => {
    const c = caseFrom(await ingest(evidence), false);
    const r = await verifyReport(writeCase('case-default.json', c), evidence, { installationKeyDir: null });
    expect(r.counts).toEqual({ match: 7, differs: 0, missing: 0, new: 0 });
    for (const rel of ['out-file.png', 'out-dir', 'via-link.png']) {
      const f = r.files.find((x) => x.relPath === rel);
      expect(f, rel).toMatchObject({ status: 'match', recordedAs: 'skipped' });
      expect(f?.actualSha256, rel).toBeUndefined();
      expect(f?.note, rel).toMatch(/not opened: symbolic link to .* outside the evidence folder/);
    }
    expect(JSON.stringify(r)).not.toContain(secretSha);
    expect(r.files.some((f) => f.relPath.startsWith('out-dir/'))).toBe(false);
  });

  it('a case made with links followed is verified with them followed', async () => {
    const c = caseFrom(await ingest(evidence, true), true);
    const r = await verifyReport(writeCase('case-follow.json', c), evidence, { installationKeyDir: null });
    expect(r.counts.differs + r.counts.missing + r.counts.new).toBe(0);
    expect(r.files.find((f) => f.relPath === 'out-dir/secret.png')).toMatchObject({ status: 'match', actualSha256: secretSha });
  });

  it('a case that does not record it (written before) is verified without following: its outside files show as not verifiable', async () => {
    const c = caseFrom(await ingest(evidence, true), undefined);
    const r = await verifyReport(writeCase('case-old.json', c), evidence, { installationKeyDir: null });
    expect(r.outcome).toBe('not-verified');
    expect(r.files.find((f) => f.relPath === 'out-dir/secret.png')?.status).toBe('missing');
    expect(r.files.find((f) => f.relPath === 'out-file.png')).toMatchObject({ status: 'differs', note: expect.stringMatching(/outside the evidence folder/) });
    expect(r.files.every((f) => f.actualSha256 !== secretSha)).toBe(true);
  });

  it('an evidence file replaced by a link to an identical copy outside is caught', async () => {
    const folder = path.join(root, 'swap');
    mkdirSync(folder);
    await png(path.join(folder, 'a.png'), 99); // the same picture as outside/secret.png
    await png(path.join(folder, 'b.png'), 4);
    const c = caseFrom(await ingest(folder), false);
    const casePath = writeCase('case-swap.json', c);
    unlinkSync(path.join(folder, 'a.png'));
    symlinkSync(path.join(outside, 'secret.png'), path.join(folder, 'a.png'));
    const r = await verifyReport(casePath, folder, { installationKeyDir: null });
    expect(r.files.find((f) => f.relPath === 'a.png')).toMatchObject({ status: 'differs', note: expect.stringMatching(/outside the evidence folder/) });
    expect(r.outcome).toBe('not-verified');
    recordReliability('tampering', 'an evidence file replaced by a link to an identical copy outside the folder', 'caught: the file differs (not opened)');
  });
});
