import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile, ingestFolder } from '../src/engine/ingest/index.js';
import type { IngestEvent } from '../src/engine/types.js';
import { caseRelPath, isRoot, writeBadFolder, type BadFolder } from './helpers/bad-files.js';
import { recordReliability } from './helpers/reliability.js';

let folder: BadFolder;
let events: IngestEvent[];
let before: Map<string, { sha256: string; mtimeMs: number }>;
let listingBefore: string[];

function listing(root: string): string[] {
  // Buffer names: the non-UTF-8 file must be listed (and hashed) by its real bytes.
  const out: string[] = [];
  const walk = (dir: Buffer, rel: string) => {
    for (const name of fs.readdirSync(dir, { encoding: 'buffer' })) {
      const abs = Buffer.concat([dir, Buffer.from('/'), name]);
      const r = rel + name.toString('hex') + '/';
      out.push(r);
      const st = fs.lstatSync(abs);
      if (st.isDirectory()) walk(abs, r);
    }
  };
  walk(Buffer.from(root), '');
  return out.sort();
}

async function fileStates(root: string): Promise<Map<string, { sha256: string; mtimeMs: number }>> {
  const out = new Map<string, { sha256: string; mtimeMs: number }>();
  for (const c of folder.cases) {
    const abs = typeof c.name === 'string' ? path.join(root, c.name) : Buffer.concat([Buffer.from(root + '/'), c.name]);
    const st = fs.lstatSync(abs);
    if (!st.isFile()) continue;
    out.set(caseRelPath(c), { sha256: st.mode & 0o444 ? await hashFile(abs) : '', mtimeMs: st.mtimeMs });
  }
  return out;
}

beforeAll(async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genprint-bad-input-'));
  folder = await writeBadFolder(root);
  before = await fileStates(root);
  listingBefore = listing(root);
  events = [];
  for await (const e of ingestFolder(root)) events.push(e);
});

afterAll(() => {
  if (!folder) return;
  try {
    fs.chmodSync(path.join(folder.root, 'locked.png'), 0o644);
  } catch {
    /* only exists when not root */
  }
  fs.rmSync(folder.root, { recursive: true, force: true });
});

const relOf = (e: IngestEvent) => (e.kind === 'image' ? e.image.file.relPath : e.skipped.relPath);

describe('bad input in an evidence folder', () => {
  it('covers at least 12 kinds of bad file', () => {
    const bad = folder.cases.filter((c) => c.expect !== 'accepted');
    expect(bad.length).toBeGreaterThanOrEqual(12);
    expect(new Set(bad.map((c) => c.expect)).size).toBeGreaterThanOrEqual(9);
  });

  it('finishes with exactly one event per entry, in byte-wise order', () => {
    expect(events.map(relOf).sort()).toEqual(folder.cases.map(caseRelPath).sort());
    const raw = events.map((e) => {
      const hex = e.kind === 'image' ? e.image.file.rawNameHex : e.skipped.rawNameHex;
      return hex ? Buffer.from(hex, 'hex') : Buffer.from(relOf(e));
    });
    for (let i = 1; i < raw.length; i++) expect(Buffer.compare(raw[i - 1], raw[i])).toBe(-1);
  });

  it('gives each bad file its exact reason code and a message', () => {
    const byRel = new Map(events.map((e) => [relOf(e), e]));
    const wrong: string[] = [];
    for (const c of folder.cases.filter((x) => x.expect !== 'accepted')) {
      const e = byRel.get(caseRelPath(c));
      const got = e?.kind === 'skipped' ? e.skipped.reason : e ? 'accepted' : 'missing';
      if (got !== c.expect) wrong.push(`${c.what} (${caseRelPath(c)}): expected ${c.expect}, got ${got}`);
      else if (e?.kind === 'skipped') {
        expect(e.skipped.message.length, c.what).toBeGreaterThan(5);
        if (c.message) expect(e.skipped.message, c.what).toMatch(c.message);
      }
    }
    expect(wrong).toEqual([]);
    for (const c of folder.cases.filter((x) => x.expect !== 'accepted')) recordReliability('bad-input', c.what, `skipped: ${c.expect}`);
  });

  it('accepts and canonicalises every good file in the same folder', () => {
    const byRel = new Map(events.map((e) => [relOf(e), e]));
    const good = folder.cases.filter((c) => c.expect === 'accepted');
    expect(good.length).toBeGreaterThanOrEqual(14);
    for (const c of good) {
      const e = byRel.get(caseRelPath(c));
      expect(e?.kind, `${c.what}: ${e?.kind === 'skipped' ? e.skipped.message : ''}`).toBe('image');
      if (e?.kind !== 'image') continue;
      const { file, crops } = e.image;
      expect(crops).toHaveLength(1);
      const [crop] = crops;
      expect([crop.width, crop.height]).toEqual([Math.min(file.width, 256), Math.min(file.height, 256)]);
      expect(crop.data).toHaveLength(3 * crop.width * crop.height);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of crop.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(hi - lo, `${c.what} is not flat`).toBeGreaterThan(0.2);
    }
    const formats = new Set(good.map((c) => (byRel.get(caseRelPath(c)) as { image: { file: { format: string } } }).image.file.format));
    expect([...formats].sort()).toEqual(['bmp', 'gif', 'heif', 'jpeg', 'png', 'tiff', 'webp']);
    const deep = byRel.get('good/deep16.png') as Extract<IngestEvent, { kind: 'image' }>;
    expect(deep.image.file.bitDepth).toBe(16);
    const ga = byRel.get('good/grey-alpha.png') as Extract<IngestEvent, { kind: 'image' }>;
    expect(ga.image.file.channels).toBe(2);
    const grey = ga.image.crops[0];
    const plane = grey.width * grey.height;
    for (let i = 0; i < plane; i += 97) {
      expect(grey.data[plane + i]).toBe(grey.data[i]);
      expect(grey.data[2 * plane + i]).toBe(grey.data[i]);
    }
  });

  it('keeps the raw bytes of a name that is not UTF-8', () => {
    const c = folder.cases.find((x) => Buffer.isBuffer(x.name))!;
    const e = events.find((x) => relOf(x) === caseRelPath(c));
    expect(e?.kind).toBe('image');
    if (e?.kind !== 'image') return;
    expect(e.image.file.rawNameHex).toBe((c.name as Buffer).toString('hex'));
    expect(e.image.file.relPath).toContain('\uFFFD');
    const utf8Names = events.filter((x) => x !== e).map((x) => (x.kind === 'image' ? x.image.file.rawNameHex : x.skipped.rawNameHex));
    expect(utf8Names.every((h) => h === undefined)).toBe(true);
  });

  it('leaves the folder untouched: same bytes, mtimes and listing', async () => {
    expect(await fileStates(folder.root)).toEqual(before);
    expect(listing(folder.root)).toEqual(listingBefore);
  });

  it.skipIf(isRoot)('reports an unreadable file as permission-denied', () => {
    // (Skipped as root: root reads files regardless of chmod 000, so the case cannot be built.)
    const e = events.find((x) => relOf(x) === 'locked.png');
    expect(e).toMatchObject({ kind: 'skipped', skipped: { reason: 'permission-denied' } });
    recordReliability('bad-input', 'unreadable file (chmod 000)', 'skipped: permission-denied');
  });

  // Root ignores file modes, so there the same check runs in a child process that drops to 'nobody'.
  // The child loads the engine while still root and only then gives up its rights: as 'nobody' it
  // could not read a checkout that sits in a private folder (a clone in `mktemp -d`, mode 0700).
  it.runIf(isRoot)('reports an unreadable file as permission-denied (as nobody, spawned from root)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genprint-perm-'));
    try {
      fs.chmodSync(dir, 0o755);
      fs.writeFileSync(path.join(dir, 'locked.png'), 'x');
      fs.chmodSync(path.join(dir, 'locked.png'), 0o000);
      fs.writeFileSync(path.join(dir, 'open.txt'), 'readable');
      const script = `const { ingestFolder } = await import(process.argv[1]);
        process.setgroups([]); process.setgid(65534); process.setuid(65534);
        const out = []; for await (const e of ingestFolder(process.argv[2])) out.push(e.skipped ?? e.image.file);
        console.log(JSON.stringify({ uid: process.getuid(), out }));`;
      const entry = path.resolve(__dirname, '../src/engine/ingest/index.ts');
      const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, entry, dir], {
        cwd: path.resolve(__dirname, '..'),
        env: { ...process.env, HOME: os.tmpdir() },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const { uid, out } = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(uid).toBe(65534);
      expect(out).toEqual([
        expect.objectContaining({ relPath: 'locked.png', reason: 'permission-denied' }),
        expect.objectContaining({ relPath: 'open.txt', reason: 'not-an-image' }),
      ]);
      recordReliability('bad-input', 'unreadable file (chmod 000, read as nobody)', 'skipped: permission-denied');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists what could not be built here', () => {
    if (isRoot) expect(folder.notCreated.map((n) => n.what)).toContain('unreadable file (chmod 000)');
    for (const n of folder.notCreated) console.log(`bad-input: not built: ${n.what} (${n.why})`);
  });
});
