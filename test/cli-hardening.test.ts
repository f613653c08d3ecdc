// The command line around hostile or careless input: links out of the evidence folder (skipped
// unless --follow-external-links, and verify-report agrees), a JPEG that decodes only with warnings
// (named in the output, the case and the PDF), `report -o` into a missing folder (exit 3), and
// progress that starts at once and comes every 10 %. A real library (residual method, no models:
// seconds to build) and real child processes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgressReporter } from '../src/cli/progress.js';
import { EXIT } from '../src/cli/exit-codes.js';
import type { CaseResult } from '../src/engine/types.js';

const bin = path.join(__dirname, '..', 'bin', 'genprint.js');
const work = mkdtempSync(path.join(tmpdir(), 'genprint-cli-hardening-'));
const lib = path.join(work, 'lab.gplib');
const noModels = path.join(work, 'no-models'); // the residual method needs none
const caseDir = path.join(work, 'case');
const outside = path.join(work, 'outside');
const hasPdftotext = spawnSync('pdftotext', ['-v']).status === 0;
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    cwd: work,
    env: { ...process.env, FORCE_COLOR: '0', GENPRINT_CONFIG_DIR: path.join(work, 'config') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Noise images carrying a fixed additive pattern (a "generator"), 64×64. */
async function images(dir: string, pattern: 'A' | 'B', n: number, seed: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer[]> {
  mkdirSync(dir, { recursive: true });
  const w = 64;
  const out: Buffer[] = [];
  for (let k = 0; k < n; k++) {
    const px = Buffer.alloc(w * w * 3);
    for (let i = 0; i < px.length; i++) {
      const p = pattern === 'A' ? (i * 2654435761) % 17 : (i * 40503 + 7) % 19;
      px[i] = Math.min(255, 90 + ((i * 7 + (k + seed) * 131 + ((i * i * (k + 3)) % 29)) % 60) + p);
    }
    const img = sharp(px, { raw: { width: w, height: w, channels: 3 } });
    const bytes = format === 'png' ? await img.png().toBuffer() : await img.jpeg({ quality: 95 }).toBuffer();
    writeFileSync(path.join(dir, `${String(k).padStart(3, '0')}.${format === 'png' ? 'png' : 'jpg'}`), bytes);
    out.push(bytes);
  }
  return out;
}

/** The same JPEG with a restart marker planted in its entropy-coded data: it decodes with a warning. */
function damage(jpg: Buffer): Buffer {
  const sos = jpg.indexOf(Buffer.from([0xff, 0xda]));
  const scan = sos + 2 + jpg.readUInt16BE(sos + 2);
  const bad = Buffer.from(jpg);
  const at = scan + Math.floor((bad.length - 2 - scan) / 3);
  bad[at] = 0xff;
  bad[at + 1] = 0xd0;
  return bad;
}

beforeAll(async () => {
  mkdirSync(noModels);
  await images(path.join(work, 'refs-a'), 'A', 16, 0);
  await images(path.join(work, 'refs-b'), 'B', 16, 0);
  await images(caseDir, 'A', 6, 100);
  await images(outside, 'A', 2, 200);
  const [jpg] = await images(path.join(work, 'jpeg'), 'A', 1, 300, 'jpeg');
  writeFileSync(path.join(caseDir, 'damaged.jpg'), damage(jpg!));
  symlinkSync('../outside', path.join(caseDir, 'out-link'));
  symlinkSync('../outside', path.join(work, 'refs-a', 'more-refs'));
  expect(cli(['library', 'init', lib]).code).toBe(0);
}, 120_000);

describe('enrol and attribute with links out of the folder', () => {
  it('enrol skips a reference link out of the folder unless told to follow it', () => {
    const r = cli(['enrol', '-q', '-l', lib, '-n', 'A', '--models', noModels, path.join(work, 'refs-a')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('enrolled "A" (unknown): 16 images, 1 skipped');
    expect(r.stdout).toMatch(/skipped more-refs: outside-folder — symbolic link to a folder outside the evidence folder/);
    const b = cli(['enrol', '-q', '-l', lib, '-n', 'B', '--models', noModels, '--follow-external-links', path.join(work, 'refs-b')]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain('enrolled "B" (unknown): 16 images, 0 skipped');
    const followed = cli(['enrol', '-q', '-l', lib, '-n', 'A-and-links', '--models', noModels, '--follow-external-links', path.join(work, 'refs-a')]);
    expect(followed.stdout).toContain('enrolled "A-and-links" (unknown): 18 images, 0 skipped');
  });

  it('attribute lists the link as skipped, flags the damaged JPEG, and shows progress from the start', () => {
    const json = path.join(work, 'case.json');
    const r = cli(['attribute', '-l', lib, '-m', 'residual', '--models', noModels, '-j', json, caseDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^skipped out-link: outside-folder — symbolic link to a folder outside the evidence folder \(".*outside"\); not followed$/m);
    expect(r.stdout).toMatch(/^decoded with warnings damaged\.jpg: .*Corrupt JPEG data/m);
    expect(r.stdout).toMatch(/Caution: .*1 of the 7 images decoded only with warnings/);
    // Progress (stderr is not a terminal here): the first line comes before the library is prepared,
    // then the folder scan, then the analysis.
    const progress = r.stderr.trim().split('\n');
    expect(progress.slice(0, 4)).toEqual(['prepare: 0/1', 'prepare: 1/1', 'scan: 0/0', 'scan: 8/8']);
    expect(progress).toContain('analyse: 0/8');

    const c = JSON.parse(readFileSync(json, 'utf8')) as CaseResult;
    expect(c.params.followExternalLinks).toBe(false);
    expect(c.skipped).toEqual([expect.objectContaining({ relPath: 'out-link', reason: 'outside-folder' })]);
    expect(c.manifest.find((f) => f.relPath === 'damaged.jpg')?.decodeWarning).toMatch(/Corrupt JPEG data/);
    expect(c.manifest.filter((f) => f.decodeWarning)).toHaveLength(1);
    expect(c.verdicts.folder.decodedWithWarnings).toBe(1);
  });

  it('attribute --follow-external-links analyses the targets and says so in the case', () => {
    const json = path.join(work, 'case-follow.json');
    const r = cli(['attribute', '-q', '-l', lib, '-m', 'residual', '--models', noModels, '--follow-external-links', '-j', json, caseDir]);
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(readFileSync(json, 'utf8')) as CaseResult;
    expect(c.params.followExternalLinks).toBe(true);
    expect(c.manifest.map((f) => f.relPath).filter((p) => p.startsWith('out-link/'))).toEqual(['out-link/000.png', 'out-link/001.png']);
    expect(c.skipped).toEqual([]);
  });

  it('the signed report of either case verifies against the folder: nothing new, nothing read outside unless followed', () => {
    for (const [name, follow] of [
      ['case.json', false],
      ['case-follow.json', true],
    ] as const) {
      const pdf = path.join(work, `${name}.pdf`);
      const rep = cli(['report', path.join(work, name), '-o', pdf]);
      expect(rep.code, rep.stderr).toBe(0);
      const v = cli(['verify-report', '--all', '--json', pdf, caseDir]);
      expect(v.code, v.stdout + v.stderr).toBe(EXIT.ok);
      const result = JSON.parse(v.stdout) as { counts: Record<string, number>; files: { relPath: string; actualSha256?: string }[] };
      expect(result.counts).toMatchObject({ differs: 0, missing: 0, new: 0 });
      const hashedOutside = result.files.filter((f) => f.relPath.startsWith('out-link/') && f.actualSha256);
      expect(hashedOutside.length).toBe(follow ? 2 : 0);
    }
  });
});

describe('the report', () => {
  it('`report -o` into a missing folder exits 3 and names that folder', () => {
    const missing = path.join(work, 'no-such-folder', 'sub');
    const r = cli(['report', path.join(work, 'case.json'), '-o', path.join(missing, 'report.pdf')]);
    expect(r.code).toBe(EXIT.input);
    expect(r.stderr).toBe(`genprint: no such folder for the report: ${missing}\n`);
    expect(existsSync(path.join(work, 'no-such-folder'))).toBe(false);
    const notDir = cli(['report', path.join(work, 'case.json'), '-o', path.join(work, 'case.json', 'report.pdf')]);
    expect(notDir.code).toBe(EXIT.input);
    expect(notDir.stderr).toMatch(/^genprint: not a folder: .*case\.json/);
    expect(readdirSync(work).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it.runIf(hasPdftotext)('the PDF manifest marks the file decoded with warnings and quotes the warning', () => {
    const text = spawnSync('pdftotext', ['-layout', path.join(work, 'case.json.pdf'), '-'], { encoding: 'utf8' }).stdout;
    expect(text).toMatch(/damaged\.jpg[\s\S]*warnings/);
    expect(text).toMatch(/Decoded with warnings \(the decoder concealed damaged data[\s\S]*#\d+ damaged\.jpg: [\s\S]*Corrupt JPEG data/);
  });
});

describe('progress without a terminal', () => {
  it('prints a line when a phase starts and one per 10 % of it', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const p = createProgressReporter(stream);
    p.update({ phase: 'scan', done: 0, total: 0 });
    for (let done = 0; done <= 200; done++) p.update({ phase: 'analyse', done, total: 200 });
    p.stop();
    expect(lines.map((l) => l.trim())).toEqual(['scan: 0/0', ...Array.from({ length: 11 }, (_, k) => `analyse: ${20 * k}/200`)]);
  });
});
