// The `genprint` command line as users run it: a real child process, real files.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDemo, type DemoManifest } from '../src/engine/demo/index.js';
import { FingerprintLibrary } from '../src/engine/library/index.js';
import { ENGINE_ERROR_CODES, EngineError, type EngineErrorCode } from '../src/engine/errors.js';
import { toCliError } from '../src/cli/exit-codes.js';

const bin = path.join(__dirname, '..', 'bin', 'genprint.js');
const work = mkdtempSync(path.join(tmpdir(), 'genprint-cli-'));
let demo: DemoManifest;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  demo = await buildDemo(path.join(work, 'demo'), { referencePerGenerator: 40, casePerFolder: 12 });
}, 120_000);

// Enrolments skip the reference banks (--no-banks), or compute one or two (--banks) in the
// end-to-end workflow: each bank costs about one more enrolment and one more classifier per fit, and
// the whole grid is tested in test/banks.test.ts and by the app's enrolment (test/e2e).
describe('genprint CLI', () => {
  it('has --help on every command', () => {
    const top = cli(['--help']);
    expect(top.code).toBe(0);
    const commands = ['library', 'enrol', 'attribute', 'correlate', 'cluster', 'demo', 'report', 'verify-report', 'serve'];
    for (const c of commands) expect(top.stdout).toContain(c);
    for (const c of [...commands, 'library init', 'library export']) {
      const r = cli([...c.split(' '), '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/^Usage: genprint /);
    }
  });

  it('answers wrong arguments with a one-line error and exit code 2', () => {
    const r = cli(['attribute', '--library', 'x.gplib', '--bag-size', 'zero', work]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bag-size/);
    expect(cli(['no-such-command']).code).toBe(2);
    expect(cli(['enrol', work]).code).toBe(2); // --library and --name are required
    const bank = cli(['enrol', '-l', 'x.gplib', '-n', 'x', '--banks', 'jpeg-q75,jpeg-q80', work]);
    expect(bank.code).toBe(2);
    expect(bank.stderr).toMatch(/--banks .*expected ids of the reference banks, comma-separated, from jpeg-q90, jpeg-q75, .*jpeg-q95/);
  });

  it('exit 3 for a missing folder, exit 4 for a file that is not a library', () => {
    const notLib = path.join(work, 'notes.txt');
    writeFileSync(notLib, 'not a library\n');
    expect(cli(['attribute', '-l', notLib, path.join(work, 'missing')]).code).toBe(3);
    const r = cli(['library', 'list', notLib]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('notes.txt');
    expect(readFileSync(notLib, 'utf8')).toBe('not a library\n');
  });

  it('maps every engine error code to the exit code docs/cli.md documents for it', () => {
    // Written from docs/cli.md's table, not from the code's: 2 usage, 3 input, 4 library, 130 cancelled, 1 otherwise.
    const documented: Record<EngineErrorCode, number> = {
      'not-found': 3,
      'not-a-folder': 3,
      'invalid-case-file': 3,
      'not-a-library': 4,
      corrupt: 4,
      damaged: 4,
      'newer-schema': 4,
      locked: 4,
      'manifold-unavailable': 4,
      exists: 2,
      'no-such-entry': 2,
      'name-taken': 2,
      'invalid-name': 2,
      'read-only': 1,
      closed: 1,
      'empty-library': 1,
      'no-usable-images': 1,
      internal: 1,
      cancelled: 130,
    };
    expect(Object.keys(documented).sort()).toEqual([...ENGINE_ERROR_CODES].sort());
    for (const code of ENGINE_ERROR_CODES) {
      const err = new EngineError(code, `because ${code}`);
      const mapped = toCliError(err);
      if (code === 'internal')
        expect(mapped, code).toBe(err); // passes through; main exits 1 with its message
      else expect(mapped, code).toMatchObject({ exitCode: documented[code], message: code === 'cancelled' ? 'cancelled' : `because ${code}` });
    }
    // Errors that are not the engine's own get a code from their kind, never from their wording.
    expect(toCliError(Object.assign(new Error('not-found corrupt locked'), { code: 'corrupt' }))).toBeInstanceOf(Error);
    expect(toCliError(Object.assign(new Error('gone'), { code: 'ENOENT', syscall: 'open' }))).toMatchObject({ exitCode: 3 });
    expect(toCliError(new DOMException('Ingest aborted', 'AbortError'))).toMatchObject({ exitCode: 130 });
  });

  it('engine errors end the command with their exit codes: missing folder, corrupt library, empty library, no usable image, taken name', () => {
    const lib = path.join(work, 'codes.gplib');
    expect(cli(['library', 'init', lib]).code).toBe(0);
    const missing = path.join(work, 'no-such-folder');
    for (const args of [
      ['attribute', '-q', '-l', lib, missing],
      ['enrol', '-q', '-l', lib, '-n', 'x', missing],
      ['correlate', '-l', lib, missing],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr).toBe(`genprint: no such folder: ${missing}\n`);
    }
    const notFolder = path.join(work, 'not-a-folder.txt');
    writeFileSync(notFolder, 'not a folder\n');
    expect(cli(['attribute', '-q', '-l', lib, notFolder])).toMatchObject({ code: 3, stderr: `genprint: not a folder: ${notFolder}\n` });
    expect(cli(['library', 'list', path.join(work, 'no-such.gplib')]).code).toBe(3);

    const caseFolder = path.join(work, 'demo', demo.cases[0].folder);
    const empty = cli(['attribute', '-q', '-l', lib, caseFolder]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/has no entries: enrol reference folders first/);

    const ref = demo.reference[0];
    expect(cli(['enrol', '-q', '--no-banks', '--no-manifold', '-l', lib, '-n', ref.generator, path.join(work, 'demo', ref.folder)]).code).toBe(0);
    const taken = cli(['enrol', '-q', '--no-banks', '--no-manifold', '-l', lib, '-n', ref.generator, path.join(work, 'demo', ref.folder)]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/already has an entry named/);
    const junk = path.join(work, 'junk');
    mkdirSync(junk, { recursive: true });
    writeFileSync(path.join(junk, 'a.png'), 'not an image');
    const nothing = cli(['attribute', '-q', '-m', 'residual', '-l', lib, junk]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/no usable images in .* \(1 files skipped\)/);

    // A damaged library: exit 4 naming the file, for a library command and for an analysis, and the file stays as it was.
    const bytes = readFileSync(lib);
    writeFileSync(lib, bytes.subarray(0, bytes.length - 100));
    const damaged = readFileSync(lib);
    for (const args of [
      ['library', 'list', lib],
      ['attribute', '-q', '-l', lib, caseFolder],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(4);
      expect(r.stderr).toMatch(/codes\.gplib is corrupt/);
    }
    expect(readFileSync(lib).equals(damaged)).toBe(true);
  });

  it('Ctrl-C during enrolment exits 130 and leaves the library as it was', async () => {
    const lib = path.join(work, 'interrupted.gplib');
    expect(cli(['library', 'init', lib]).code).toBe(0);
    const before = readFileSync(lib);
    const folders = demo.reference.map((r) => path.join(work, 'demo', r.folder));
    const child = spawn(process.execPath, [bin, 'enrol', '-l', lib, '-n', 'interrupted', ...folders], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += String(d);
        if (!sent && /enrol .*: \d+\/\d+/.test(stderr)) sent = child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(sent).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/genprint: cancelled\n$/);
    expect(readFileSync(lib).equals(before)).toBe(true);
  });

  it('serve: an invalid settings file is reported on stderr and does not stop the server', async () => {
    const settings = path.join(work, 'serve-settings.json');
    writeFileSync(settings, JSON.stringify({ method: 'nonsense', bagSize: -3 }));
    const child = spawn(process.execPath, [bin, 'serve', '-l', path.join(work, 'serve.gplib'), '--settings', settings], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += String(d);
        if (stdout.includes('Genprint serving on')) resolve();
      });
      child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    child.kill('SIGTERM');
    await exited;
    expect(stderr).toContain(`genprint: settings ${settings}: method must be one of dsf, residual, manifold; using the default, "dsf"\n`);
    expect(stderr).toContain(`genprint: settings ${settings}: bagSize must be an integer in [1, 10000]; using the default, 10\n`);
  });

  it('init → enrol → list → attribute --json → rename → export/import', () => {
    const lib = path.join(work, 'lab.gplib');
    expect(cli(['library', 'init', lib]).code).toBe(0);
    expect(cli(['library', 'init', lib]).code).toBe(2); // never overwrites
    for (const [i, ref] of demo.reference.slice(0, 3).entries()) {
      // The last entry asks for one bank more than the others have: attribution can use only the shared one, and enrol says so.
      const banks = i < 2 ? 'jpeg-q75' : 'jpeg-q75,jpeg-q90';
      const r = cli(['enrol', '-q', '--banks', banks, '-l', lib, '-n', ref.generator, '-f', ref.family, path.join(work, 'demo', ref.folder)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`enrolled "${ref.generator}"`);
      expect(r.stdout).toMatch(i < 2 ? /\n {2}reference banks: jpeg-q75 \(40 images each/ : /\n {2}reference banks: jpeg-q90, jpeg-q75 \(40 images each/);
      if (i < 2) expect(r.stdout).not.toMatch(/banks attribution can use/);
      else expect(r.stdout).toMatch(/\n {2}banks attribution can use \(those every entry has\): jpeg-q75\n/);
      // From the second entry on, enrolment fits the library classifier and stores it in the file.
      if (i > 0) expect(r.stdout).toMatch(/fitted and stored the library classifier: phi \(15 regressions, [0-9.]+ s\)/);
    }
    expect(cli(['library', 'fit', lib]).stdout).toMatch(/stored library classifier already matches the entries/);
    const list = JSON.parse(cli(['library', 'list', '--json', lib]).stdout);
    expect(list.entries.map((e: { name: string }) => e.name).sort()).toEqual(
      demo.reference
        .slice(0, 3)
        .map((r) => r.generator)
        .sort(),
    );

    const shown = JSON.parse(cli(['library', 'show', lib, demo.reference[0].generator]).stdout);
    expect(shown.calibration.residual.heldOut).toBeGreaterThan(0);
    expect(shown.stored.imageFeatures).toMatch(/images × \d+ φ features/);
    expect(shown.stored.manifold).toMatch(/^artifact fingerprint \d+×\d+×3 of \d+ images, \d+ × \d+ manifold φ features \(projector [0-9a-f]{12}/);
    expect(shown.stored.residualStatistics).toMatch(/^\d+ images × 1568 residual statistics/);
    expect(cli(['library', 'show', lib, 'no-such-entry']).code).toBe(2);
    const target = demo.cases.find((c) => c.kind === 'single' && c.expected === demo.reference[0].generator)!;
    const out = path.join(work, 'case.json');
    const r = cli(['attribute', '-q', '-l', lib, '--json', out, '--seed', '7', path.join(work, 'demo', target.folder)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Folder: ${target.expected}`);
    // The library's error rate at this size, from its held-back reference images, is printed with the verdict.
    expect(r.stdout).toMatch(
      new RegExp(`\\n  error rate: [0-9.]+ % of held-back reference sets of .* attributed to ${target.expected} came from other entries`),
    );
    expect(r.stdout).toMatch(/\nLibrary error rates \(a verdict for the entry is wrong this often\): .*[0-9.]+ %.* on held-back reference sets of 10 images\n/);
    // The same rates before any case, at the sizes asked for; capped sizes are marked and explained.
    const rates = cli(['library', 'error-rates', lib, '--sizes', '1,10,500']);
    expect(rates.code, rates.stderr).toBe(0);
    expect(rates.stdout).toMatch(/entry +n=1 +n=10 +n=500\* +most often confused with \(n=10\)/);
    expect(rates.stdout.split('\n').filter((l) => /^ {2}\S+ +\d+\.\d % +\d+\.\d % +\d+\.\d % /.test(l))).toHaveLength(3);
    expect(rates.stdout).toMatch(/\* sets of 500 images are more than some entries have held back/);
    const asJson = JSON.parse(cli(['library', 'error-rates', lib, '--sizes', '10', '--json']).stdout);
    expect(asJson.rates[0].map((e: { n: number }) => e.n)).toEqual([10, 10, 10]);
    expect(cli(['library', 'error-rates', lib, '--sizes', '1,x']).code).toBe(2);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.schema).toBe('genprint.case/1');
    expect(result.params.seed).toBe(7);
    expect(result.verdicts.folder.label).toBe(target.expected);
    expect(result.library.classifier.blocks.map((b: { name: string }) => b.name)).toEqual(['phi', 'spectrum', 'pixels']);
    // The classifier was read from the library, not fitted by the analysis.
    expect(result.library.classifier.origin).toBe('library');
    expect(r.stdout).not.toMatch(/Library classifier: none stored/);
    // …and so was the calibration of its unknown and split tests.
    expect(result.library.classifier.calibration).toEqual({ origin: 'library' });
    expect(r.stdout).not.toMatch(/Calibration: none stored/);
    // The unknown test's thresholds are calibrated on this library for the default 5 %, and the verdict says so.
    expect(r.stdout).toMatch(
      /\n {2}open set: thresholds set so that at most 5\.0 % of enrolled generators' held-back reference sets of 12 images are called unknown; leaving each of the 3 entries out in turn, [0-9.]+ % /,
    );
    expect(result.verdicts.folder.openSet.calibration).toMatchObject({ falseUnknownRate: 0.05, n: 12, leftOut: 3 });
    const looser = path.join(work, 'case-looser.json');
    expect(cli(['attribute', '-q', '-l', lib, '--false-unknown-rate', '0.2', '--json', looser, path.join(work, 'demo', target.folder)]).code).toBe(0);
    expect(JSON.parse(readFileSync(looser, 'utf8')).verdicts.folder.openSet.calibration.falseUnknownRate).toBe(0.2);
    const refused = cli(['attribute', '-q', '-l', lib, '--false-split-rate', '0.9', path.join(work, 'demo', target.folder)]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/false-split-rate.*expected a fraction from 0\.001 to 0\.5/);
    // φ alone, for comparison: the JSON says so, and the verdict's explanation names no residual block.
    const phiOnly = path.join(work, 'case-phi.json');
    expect(cli(['attribute', '-q', '-l', lib, '--evidence', 'phi', '--json', phiOnly, path.join(work, 'demo', target.folder)]).code).toBe(0);
    const phiResult = JSON.parse(readFileSync(phiOnly, 'utf8'));
    expect(phiResult.library.classifier.blocks.map((b: { name: string }) => b.name)).toEqual(['phi']);
    // A view chosen at attribution time is fitted for it (then kept in the feature cache), never stored in the library.
    expect(phiResult.library.classifier.origin).toBe('fitted');
    expect(phiResult.library.sha256).toBe(result.library.sha256);
    expect(phiResult.verdicts.folder.explanation).not.toMatch(/residual log power spectrum/);
    // φ alone keeps no held-back data: the fixed thresholds, and no rate is stated.
    expect(phiResult.verdicts.folder.openSet.calibration).toBeUndefined();
    expect(phiResult.verdicts.folder.explanation).toMatch(/fixed thresholds of 3 standard errors/);
    expect(cli(['attribute', '-q', '-l', lib, '--evidence', 'spectrum', path.join(work, 'demo', target.folder)]).code).toBe(2);

    const renamed = cli(['library', 'rename', lib, demo.reference[1].generator, 'renamed']);
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(renamed.stdout).toMatch(/fitted and stored the library classifier/);
    expect(cli(['library', 'rename', lib, 'nope', 'x']).code).toBe(2);
    const shared = path.join(work, 'shared.gplib');
    expect(cli(['library', 'export', lib, shared, 'renamed']).code).toBe(0);
    const other = path.join(work, 'other.gplib');
    expect(cli(['library', 'init', other]).code).toBe(0);
    expect(cli(['library', 'import', other, shared]).code).toBe(0);
    expect(JSON.parse(cli(['library', 'list', '--json', other]).stdout).entries.map((e: { name: string }) => e.name)).toEqual(['renamed']);
    const corr = cli(['correlate', '-l', lib]);
    expect(corr.code).toBe(0);
    expect(corr.stdout).toMatch(/decorrelation score/);
    const ev = cli(['correlate', '-l', lib, path.join(work, 'demo', target.folder)]);
    expect(ev.code).toBe(0);
    expect(ev.stdout).toMatch(/Eq\. 4/);
    expect(ev.stdout).toContain(target.expected!);
    const clu = cli(['cluster', '-l', lib, '--linkage', 'ward']);
    expect(clu.code).toBe(0);
    expect(clu.stdout).toMatch(/leaf order: /);
  });

  it('a library with a damaged entry is refused with exit 4, naming the entry', async () => {
    const lib = path.join(work, 'lab.gplib'); // enrolled by the test above
    const ro = await FingerprintLibrary.open(lib, { readOnly: true });
    const victim = ro.getAllEntries()[1];
    ro.close();
    const bytes = readFileSync(lib);
    const f = victim.imageFeatures!.data;
    const at = bytes.indexOf(Buffer.from(f.buffer, f.byteOffset + 256, 32));
    expect(at).toBeGreaterThan(0);
    bytes[at + 7] ^= 0x20; // one bit of one φ feature: SQLite's checks cannot see it
    const damaged = path.join(work, 'damaged.gplib');
    writeFileSync(damaged, bytes);
    const target = demo.cases.find((c) => c.kind === 'single')!;
    const r = cli(['attribute', '-q', '-l', damaged, path.join(work, 'demo', target.folder)]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`entry "${victim.name}" (id ${victim.id}) is damaged`);
    expect(r.stdout).toBe('');
  });

  it('manifold method: knn needs a real entry (exit 4 with the reason), then names it; projector artifacts in correlate', () => {
    const lib = path.join(work, 'manifold.gplib');
    expect(cli(['library', 'init', lib]).code).toBe(0);
    const refs = [demo.reference[0], demo.reference[2]];
    for (const ref of refs)
      expect(cli(['enrol', '-q', '--no-banks', '-l', lib, '-n', ref.generator, '-f', ref.family, path.join(work, 'demo', ref.folder)]).code).toBe(0);
    const target = demo.cases.find((c) => c.kind === 'single' && c.expected === refs[0].generator)!;
    const folder = path.join(work, 'demo', target.folder);
    const none = cli(['attribute', '-q', '-l', lib, '--method', 'manifold', '--estimate', 'knn', folder]);
    expect(none.code).toBe(4);
    expect(none.stderr).toMatch(/needs a real reference set: enrol real images .* family "real"/);

    const real = demo.reference.find((r) => r.family === 'real')!;
    expect(cli(['enrol', '-q', '--no-banks', '-l', lib, '-n', real.generator, '-f', 'real', path.join(work, 'demo', real.folder)]).code).toBe(0);
    const out = path.join(work, 'manifold-case.json');
    const knn = cli(['attribute', '-q', '-l', lib, '--method', 'manifold', '--estimate', 'knn', '--k', '4', '--json', out, folder]);
    expect(knn.code, knn.stderr).toBe(0);
    expect(knn.stdout).toContain(`manifold estimate knn`);
    expect(knn.stdout).toContain(`real reference "${real.generator}"`);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.params.method).toBe('manifold');
    expect(result.params.manifold).toMatchObject({ estimate: 'knn', k: 4, reference: { name: real.generator, family: 'real' } });

    const proj = cli(['attribute', '-q', '-l', lib, '--method', 'manifold', folder]);
    expect(proj.code, proj.stderr).toBe(0);
    expect(proj.stdout).toMatch(/manifold estimate projector: artifact = x − P\(x\)/);
    const corr = cli(['correlate', '-l', lib, '--residuals', 'projector']);
    expect(corr.code, corr.stderr).toBe(0);
    expect(corr.stdout).toMatch(/projector artifacts x − P\(x\) of each entry/);
    expect(cli(['attribute', '-l', lib, '--estimate', 'pixels', folder]).code).toBe(2);

    // --no-manifold skips the projector parts; the projector estimate then names the entry to re-enrol.
    const lean = path.join(work, 'lean.gplib');
    expect(cli(['library', 'init', lean]).code).toBe(0);
    for (const ref of refs) {
      const r = cli([
        'enrol',
        '-q',
        '--no-banks',
        '--no-manifold',
        '--no-fit',
        '-l',
        lean,
        '-n',
        ref.generator,
        '-f',
        ref.family,
        path.join(work, 'demo', ref.folder),
      ]);
      expect(r.stdout).toContain('methods residual+dsf;');
      // --no-fit: nothing fitted, and the output says what to run.
      expect(r.stdout).not.toMatch(/fitted and stored/);
      expect(r.stdout).toContain('library classifiers not fitted (--no-fit): run `genprint library fit` before analysing');
    }
    expect(cli(['library', 'fit', lean]).stdout).toMatch(/fitted and stored the library classifier: phi \(15 regressions/);
    const refused = cli(['attribute', '-q', '-l', lean, '--method', 'manifold', folder]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/enrolled without them .* re-enrol/);
  });

  it('a kill during enrolment leaves the library as it was', async () => {
    const lib = path.join(work, 'crash.gplib');
    expect(cli(['library', 'init', lib]).code).toBe(0);
    const first = demo.reference[0];
    expect(cli(['enrol', '-q', '--no-banks', '-l', lib, '-n', first.generator, path.join(work, 'demo', first.folder)]).code).toBe(0);
    const before = readFileSync(lib);

    // Enrol every reference folder as one entry and kill the process once it is under way.
    const folders = demo.reference.map((r) => path.join(work, 'demo', r.folder));
    const child = spawn(process.execPath, [bin, 'enrol', '-l', lib, '-n', 'victim', ...folders], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += String(d);
        if (/enrol .*: \d+\/\d+/.test(stderr) && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    expect(child.signalCode).toBe('SIGKILL');
    expect(readFileSync(lib).equals(before)).toBe(true);
    const reopened = await FingerprintLibrary.open(lib);
    try {
      expect(reopened.listEntries().map((e) => e.name)).toEqual([first.generator]);
      expect(reopened.integrityCheck()).toEqual(['ok']);
    } finally {
      reopened.close();
    }
  });
});
