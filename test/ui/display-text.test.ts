// Untrusted names must not forge human-readable output. Evidence files, entry names and families,
// case ids and notes holding newlines, carriage returns, ANSI escape sequences or bidi overrides
// are shown escaped (src/shared/display-text.ts) by the real CLI (child processes, real files with
// such names), in the real PDF (pdftotext) and by the app's real components (react-dom/server);
// JSON keeps the exact names.
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createElement } from 'react';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseResults } from '../../src/renderer/src/components/CaseResults.js';
import { LibraryTable } from '../../src/renderer/src/components/LibraryTable.js';
import { displayJson, displayProse, displayText, quotedText } from '../../src/shared/display-text.js';
import type { GenprintApi, LibraryView } from '../../src/shared/api.js';
import type { CaseResult } from '../../src/shared/types.js';
import { staticText } from './static-text.js';
import { recordReliability } from '../helpers/reliability.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const root = mkdtempSync(path.join(os.tmpdir(), 'genprint-names-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Reads a shown name back: the inverse of displayText, written from its documentation. */
function undisplay(shown: string): string {
  if (!shown.startsWith('"')) return shown;
  expect(shown.endsWith('"')).toBe(true);
  return shown
    .slice(1, -1)
    .replace(/\\(n|r|t|\\|"|x[0-9A-F]{2}|u\{[0-9A-F]+\}|u[0-9A-F]{4})/g, (_, e: string) =>
      e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === '\\' || e === '"' ? e : String.fromCodePoint(parseInt(e.replace(/^x|^u\{?|\}$/g, ''), 16)),
    );
}

// Anything a terminal, a PDF reader or a browser would act on or hide: controls, format characters
// (bidi overrides and isolates, zero-width), line and paragraph separators.
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/u;

describe('displayText', () => {
  it('leaves ordinary names alone, accents, other scripts and Windows paths included', () => {
    for (const s of ['IMG_0001.png', 'portrait_été_Müller.png', '写真_5_Ωmega.png', 'C:\\cases\\0412', 'a "quoted" word', '']) expect(displayText(s)).toBe(s);
  });

  it('quotes and escapes controls, escape sequences and bidi overrides', () => {
    expect(displayText('a.png\nFolder: /forged')).toBe('"a.png\\nFolder: /forged"');
    expect(displayText('b\r\x1b[2KVERIFIED')).toBe('"b\\r\\x1B[2KVERIFIED"');
    expect(displayText('photo\u202Egnp.exe')).toBe('"photo\\u202Egnp.exe"');
    expect(displayText('tab\there\u0085\u200b\u2028\u{e0041}')).toBe('"tab\\there\\x85\\u200B\\u2028\\u{E0041}"');
    expect(displayText('lone \ud800 surrogate')).toBe('"lone \\uD800 surrogate"');
    // Inside quotes a backslash and a quote are escaped too, and a name starting with a quote is always quoted.
    expect(displayText('C:\\x\n')).toBe('"C:\\\\x\\n"');
    expect(displayText('"a\\nb"')).toBe('"\\"a\\\\nb\\""');
    expect(quotedText('ffhq-real')).toBe('"ffhq-real"');
  });

  it('is unambiguous: every name reads back exactly, and the shown text hides nothing', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1;
    const alphabet = [
      'a',
      'é',
      '写',
      '\\',
      '"',
      'n',
      'x',
      '\n',
      '\r',
      '\t',
      '\x1b',
      '\x7f',
      '\x85',
      '\u202e',
      '\u2066',
      '\u200b',
      '\ufeff',
      '\u2028',
      '😀',
      '\ud800',
    ];
    const seen = new Map<string, string>();
    for (let i = 0; i < 3000; i++) {
      const s = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      const shown = displayText(s);
      expect(shown).not.toMatch(HIDDEN);
      expect(undisplay(shown)).toBe(s);
      expect(seen.get(shown) ?? s, `${JSON.stringify(s)} and ${JSON.stringify(seen.get(shown))} look alike`).toBe(s);
      seen.set(shown, s);
      expect(displayProse(s)).not.toMatch(HIDDEN);
      expect(displayProse(displayProse(s))).toBe(displayProse(s));
    }
  });

  it('displayJson parses back to the exact text and shows no hidden character', () => {
    const value = { name: 'x\u202Egnp\u0085\u2028\u{e0041}\n', n: 1 };
    const text = displayJson(value);
    expect(text).not.toMatch(HIDDEN);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toBe(
      JSON.stringify(value, null, 2)
        .replace('\u202E', '\\u202e')
        .replace('\u0085', '\\u0085')
        .replace('\u2028', '\\u2028')
        .replace('\u{e0041}', '\\udb40\\udc41'),
    );
  });
});

// ---- The real CLI on real files ---------------------------------------------------------------

const env = { ...process.env, FORCE_COLOR: '0', GENPRINT_CONFIG_DIR: path.join(root, 'key') };
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/genprint.js'), ...args], { cwd: repoRoot, env, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A 64×64 PNG: a generator's fixed pattern plus per-image noise. */
async function png(file: string, pattern: number, i: number): Promise<void> {
  const px = Buffer.alloc(64 * 64 * 3);
  for (let k = 0; k < px.length; k++) px[k] = (((k * (7 + pattern * 6)) % 31) * 4 + ((k * 131 + i * 977 + ((k * k) % 29)) % 23) * 3) & 0xff;
  await sharp(px, { raw: { width: 64, height: 64, channels: 3 } })
    .png()
    .toFile(file);
}

const FORGED_VERIFIED = '0 match, 0 differ, 0 missing, 0 new → VERIFIED: evidence unchanged, report signed by a trusted key';
const names = {
  newline: 'a.png\nFolder: forged-by-a-file-name',
  escape: 'b\r\x1b[2KVERIFIED\x1b[0m.png',
  bidi: 'photo\u202Egnp.png',
  skipped: `notes\n${FORGED_VERIFIED}.txt`,
  added: `z\n${FORGED_VERIFIED}`,
};
const hostileEntry = 'ref\u202Ea.gnp';
const hostileFamily = 'gan\nFolder: forged-by-a-family';
const caseId = 'C-1\nFolder: forged-by-a-case-id';
const notes = 'seized\r\x1b[31mhandset\x1b[0m';

describe('the CLI, the PDF and the app show hostile names escaped', () => {
  const evidence = path.join(root, 'evidence');
  const lib = path.join(root, 'lab.gplib');
  const caseJson = path.join(root, 'case.json');
  const pdf = path.join(root, 'out', 'report.pdf');
  let attributeOut = '';
  let enrolOut = '';

  beforeAll(async () => {
    for (const [k, name] of ['alpha', 'beta'].entries()) {
      mkdirSync(path.join(root, name));
      for (let i = 0; i < 8; i++) await png(path.join(root, name, `${i}.png`), k, i);
    }
    mkdirSync(evidence);
    mkdirSync(path.dirname(pdf));
    const files = [names.newline, names.escape, names.bidi, 'plain-1.png', 'plain-2.png'];
    for (const [i, f] of files.entries()) await png(path.join(evidence, f), 0, 100 + i);
    writeFileSync(path.join(evidence, names.skipped), 'not an image\n');
    expect((await cli('library', 'init', lib)).code).toBe(0);
    const a = await cli('enrol', '-q', '--no-manifold', '--no-banks', '-l', lib, '-n', 'alpha', '-f', 'gan', path.join(root, 'alpha'));
    expect(a.code, a.stderr).toBe(0);
    const b = await cli(
      'enrol',
      '-q',
      '--no-manifold',
      '--no-banks',
      '-l',
      lib,
      '-n',
      hostileEntry,
      '-f',
      hostileFamily,
      '--notes',
      notes,
      path.join(root, 'beta'),
    );
    expect(b.code, b.stderr).toBe(0);
    enrolOut = b.stdout;
    const r = await cli('attribute', '-q', '-l', lib, '-b', '2', '--bags', '4', '--case-id', caseId, '--notes', notes, '--json', caseJson, evidence);
    expect(r.code, r.stderr).toBe(0);
    attributeOut = r.stdout;
  }, 600_000);

  it('attribute: names are escaped, no line is forged, the JSON keeps them exact', async () => {
    expect(attributeOut).not.toMatch(HIDDEN);
    expect(attributeOut).not.toContain('\u202E');
    expect(attributeOut.split('\n').filter((l) => l.startsWith('Folder:'))).toHaveLength(1);
    expect(attributeOut).not.toMatch(/^Folder: forged/m);
    expect(attributeOut).not.toMatch(/^0 match/m);
    expect(attributeOut).toContain(`case "C-1\\nFolder: forged-by-a-case-id" · `);
    expect(attributeOut).toContain(`skipped "notes\\n${FORGED_VERIFIED}.txt": not-an-image`);
    const result = JSON.parse(readFileSync(caseJson, 'utf8')) as CaseResult;
    expect(result.caseId).toBe(caseId);
    expect(result.manifest.map((f) => f.relPath).sort()).toEqual([names.newline, names.escape, names.bidi, 'plain-1.png', 'plain-2.png'].sort());
    expect(result.skipped.map((f) => f.relPath)).toEqual([names.skipped]);
    expect(result.library.entries.map((e) => e.name)).toContain(hostileEntry);
    // The statement shows entry names escaped; the label keeps the exact name.
    for (const v of [result.verdicts.folder, ...result.verdicts.bags]) expect(v.statement).not.toMatch(HIDDEN);
    // On stdout, the JSON escapes what a terminal would act on and still parses to the exact names.
    const piped = await cli('attribute', '-q', '-l', lib, '-b', '2', '--bags', '4', '--case-id', caseId, '--json', '-', evidence);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).not.toMatch(HIDDEN);
    expect((JSON.parse(piped.stdout) as CaseResult).manifest.map((f) => f.relPath)).toContain(names.bidi);
    recordReliability(
      'tampering',
      'file names and a case id with \\n, \\r, ESC sequences and U+202E, printed by `attribute`',
      'shown escaped; no forged "Folder:" line',
    );
  });

  it('enrol and library list: the entry name and family are escaped', async () => {
    expect(enrolOut).not.toMatch(HIDDEN);
    expect(enrolOut).toContain(`enrolled "ref\\u202Ea.gnp" ("gan\\nFolder: forged-by-a-family")`);
    const r = await cli('library', 'list', lib);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(HIDDEN);
    expect(r.stdout).not.toMatch(/^Folder:/m);
    expect(r.stdout).toContain('"ref\\u202Ea.gnp"');
    expect(r.stdout).toContain('"gan\\nFolder: forged-by-a-family"');
    const json = await cli('library', 'list', '--json', lib);
    expect(json.stdout).not.toMatch(HIDDEN);
    expect((JSON.parse(json.stdout) as LibraryView).entries.map((e) => e.family)).toContain(hostileFamily);
    recordReliability('tampering', 'an entry name with U+202E and a family with \\n, printed by `enrol` and `library list`', 'shown escaped');
  });

  it('verify-report: a file name cannot print a VERIFIED line', async () => {
    const rep = await cli('report', caseJson, '-o', pdf);
    expect(rep.code, rep.stderr).toBe(0);
    writeFileSync(path.join(evidence, names.added), 'new\n');
    appendFileSync(path.join(evidence, names.escape), Buffer.from([0]));
    const r = await cli('verify-report', pdf, evidence);
    expect(r.code).toBe(5);
    expect(r.stdout).not.toMatch(HIDDEN);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.includes('VERIFIED'))).toEqual([
      `DIFFERS "b\\r\\x1B[2KVERIFIED\\x1B[0m.png" ${lines.find((l) => l.startsWith('DIFFERS'))!.slice(`DIFFERS "b\\r\\x1B[2KVERIFIED\\x1B[0m.png" `.length)}`,
      `NEW     "z\\n${FORGED_VERIFIED}" ${lines.find((l) => l.startsWith('NEW'))!.slice(`NEW     "z\\n${FORGED_VERIFIED}" `.length)}`,
      expect.stringMatching(/^\d+ match, 1 differ, 0 missing, 1 new → NOT VERIFIED$/),
    ]);
    expect(lines.filter((l) => /^(DIFFERS|NEW)/.test(l))).toHaveLength(2);
    const json = await cli('verify-report', '--json', pdf, evidence);
    expect(json.stdout).not.toMatch(HIDDEN);
    const files = (JSON.parse(json.stdout) as { files: { relPath: string; status: string }[] }).files;
    expect(files.filter((f) => f.status !== 'match').map((f) => [f.status, f.relPath])).toEqual(
      expect.arrayContaining([
        ['differs', names.escape],
        ['new', names.added],
      ]),
    );
    recordReliability(
      'tampering',
      'an evidence file named "…\\n0 match, … → VERIFIED: …", printed by `verify-report`',
      `exit ${r.code}, no forged VERIFIED line`,
      {
        held: r.code === 5,
      },
    );
  });

  let hasPdftotext = true;
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
  } catch {
    hasPdftotext = false;
  }
  it.skipIf(!hasPdftotext)('the PDF report shows the names escaped', async () => {
    const out = path.join(root, 'out', 'again.pdf');
    expect((await cli('report', caseJson, '-o', out)).code).toBe(0);
    const text = execFileSync('pdftotext', ['-layout', out, '-']).toString('utf8');
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Case "C-1\\nFolder: forged-by-a-case-id"');
    expect(flat).toContain('"a.png\\nFolder: forged-by-a-file-name"');
    expect(flat).toContain('"photo\\u202Egnp.png"');
    expect(flat).toContain('"b\\r\\x1B[2KVERIFIED\\x1B[0m.png"');
    expect(flat).toContain('"ref\\u202Ea.gnp"');
    expect(flat).toContain('seized\\r\\x1B[31mhandset\\x1B[0m');
    expect(text).not.toMatch(/^\s*Folder: forged/m);
    recordReliability('tampering', 'hostile file, entry, family and case-id names in the PDF report', 'shown escaped');
  });

  it('the app shows the names escaped', () => {
    const result = JSON.parse(readFileSync(caseJson, 'utf8')) as CaseResult;
    const api = {} as GenprintApi; // thumbnails load in an effect, which static rendering never runs
    const text = staticText(createElement(CaseResults, { api, result }));
    expect(text).not.toMatch(HIDDEN);
    expect(text).toContain('"a.png\\nFolder: forged-by-a-file-name"');
    expect(text).toContain('"photo\\u202Egnp.png"');
    expect(text).toContain(`"notes\\n${FORGED_VERIFIED}.txt"`);
    expect(text).toContain('"ref\\u202Ea.gnp"');
    const entries = JSON.parse(execFileSync(process.execPath, [path.join(repoRoot, 'bin/genprint.js'), 'library', 'list', '--json', lib], { env }).toString())
      .entries as LibraryView['entries'];
    const table = staticText(createElement(LibraryTable, { entries, busy: false, onRename: () => {}, onRemove: () => {} }));
    expect(table).not.toMatch(HIDDEN);
    expect(table).toContain('"gan\\nFolder: forged-by-a-family"');
    expect(table).toContain('seized\\r\\x1B[31mhandset\\x1B[0m');
    recordReliability('tampering', 'hostile file, entry and family names and notes in the app (case and library screens)', 'shown escaped');
  });
});
