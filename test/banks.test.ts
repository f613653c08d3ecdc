// Reference banks (src/engine/attribution/banks.ts): the references re-saved like re-compressed
// evidence, one classifier per bank. The real demo generators are enrolled with the committed
// set-encoder, evidence is re-saved with sharp as a messaging app would, and the verdicts are read.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseCase, enrol, fitLibrary, initLibrary, showEntry } from '../src/engine/index.js';
import { buildDemo, type DemoManifest } from '../src/engine/demo/index.js';
import { copySidecar, openAttributor } from '../src/engine/attributor.js';
import { writeReport } from '../src/engine/report/index.js';
import { FingerprintLibrary, LibraryError } from '../src/engine/library/index.js';
import { PROCESSING_GRID, bankMatchKey, chromaMismatchReason, matchBank, selectProcessings } from '../src/engine/attribution/banks.js';
import { referenceMatchText } from '../src/shared/compression.js';
import { formatVerdict } from '../src/cli/common.js';
import { verdictWording } from '../src/shared/wording.js';
import { classifierFitCount, forgetClassifiers } from '../src/engine/attribution/prepared-library.js';
import { judgeWithBanks } from '../src/engine/attribution/bank-classifiers.js';
import { PROCESSING_IDS as ENGINE_IDS, describeProcessing } from '../src/engine/attribution/banks.js';
import { PROCESSING_GRID as SHARED_GRID, PROCESSING_IDS as SHARED_IDS, sharedBanksText } from '../src/shared/processing-grid.js';
import { validateSettingsPatch } from '../src/shared/validate.js';
import { DEFAULT_SETTINGS, defaultSettings, settingsForSaving, settingsFromSaved } from '../src/shared/settings.js';

const ALL = PROCESSING_GRID.map((p) => p.id);
/** The grid before the 4:4:4 and q95 banks: what libraries enrolled until then hold. */
const SUBSAMPLED = ['jpeg-q90', 'jpeg-q75', 'jpeg-q50', 'webp-q75'];
const hasPoppler = spawnSync('pdftotext', ['-v']).status === 0;

describe('matching evidence to a bank', () => {
  it('enrolment computes the whole grid by default, none with false, or the banks listed in the grid order', () => {
    expect(selectProcessings(undefined)).toBe(PROCESSING_GRID);
    expect(selectProcessings(true)).toBe(PROCESSING_GRID);
    expect(selectProcessings(false)).toEqual([]);
    expect(selectProcessings(['jpeg-q95', 'jpeg-q75']).map((p) => p.id)).toEqual(['jpeg-q75', 'jpeg-q95']);
    expect(() => selectProcessings(['jpeg-q75', 'jpeg-q80'])).toThrow(/no reference bank "jpeg-q80"/);
  });

  it('JPEG to the nearest quality, lossy WebP to the WebP bank, lossless and unreadable qualities to none', () => {
    expect(matchBank('jpeg-q74', ALL)?.id).toBe('jpeg-q75');
    expect(matchBank('jpeg-q97', ALL)?.id).toBe('jpeg-q95');
    expect(matchBank('jpeg-q93', ALL)?.id).toBe('jpeg-q95');
    expect(matchBank('jpeg-q92', ALL)?.id).toBe('jpeg-q90');
    expect(matchBank('jpeg-q95', SUBSAMPLED)?.id).toBe('jpeg-q90'); // a library enrolled before the q95 bank
    expect(matchBank('jpeg-q83', ALL)?.id).toBe('jpeg-q85');
    expect(matchBank('jpeg-q88', ALL)?.id).toBe('jpeg-q90');
    expect(matchBank('jpeg-q80', ALL)?.id).toBe('jpeg-q85'); // a tie goes to the higher quality
    expect(matchBank('jpeg-q83', SUBSAMPLED)?.id).toBe('jpeg-q90'); // a library enrolled before the q85 bank
    expect(matchBank('jpeg-q60', ALL)?.id).toBe('jpeg-q50');
    expect(matchBank('jpeg-q63', ALL)?.id).toBe('jpeg-q75');
    expect(matchBank('jpeg-q30', ALL)?.id).toBe('jpeg-q50');
    expect(matchBank('webp-lossy', ALL)?.id).toBe('webp-q75');
    expect(matchBank('webp-lossy-q50', ALL)?.id).toBe('webp-q75');
    expect(matchBank('webp-lossy-q82', ALL)?.id).toBe('webp-q75');
    expect(matchBank('webp-lossy-q83', ALL)?.id).toBe('webp-q90');
    expect(matchBank('webp-lossy-q97', ALL)?.id).toBe('webp-q90');
    expect(matchBank('webp-lossy', ALL)?.id).toBe('webp-q75'); // no estimate: libwebp's default quality
    expect(matchBank('webp-lossy-q92', SUBSAMPLED)?.id).toBe('webp-q75'); // a library enrolled before the q90 WebP bank
    expect(matchBank('webp-lossy-q92', ['jpeg-q90', 'webp-q75'])?.id).toBe('webp-q75'); // never across formats
    expect(matchBank('webp-lossy-q75', ['jpeg-q75'])).toBeNull();
    for (const key of ['lossless', 'jpeg', 'webp-lossless', 'heif', undefined]) expect(matchBank(key, ALL)).toBeNull();
    // Only the banks the library has: JPEG q75 evidence falls to q50 without a q75 bank, to none without JPEG banks.
    expect(matchBank('jpeg-q75', ['jpeg-q50', 'webp-q75'])?.id).toBe('jpeg-q50');
    expect(matchBank('jpeg-q75', ['webp-q75'])).toBeNull();
  });

  it('matches JPEG only to a bank of its own chroma subsampling, and says why where there is none', () => {
    expect(matchBank('jpeg-q92-444', ALL)?.id).toBe('jpeg-q90-444');
    expect(matchBank('jpeg-q75-444', ALL)?.id).toBe('jpeg-q90-444'); // the one 4:4:4 bank, not the 4:2:0 q75 one
    expect(matchBank('jpeg-q92', ALL)?.id).toBe('jpeg-q90');
    for (const key of ['jpeg-q90-444', 'jpeg-q75-444']) expect(matchBank(key, SUBSAMPLED)).toBeNull();
    for (const key of ['jpeg-q75-422', 'jpeg-q75-cmyk', 'jpeg-444']) expect(matchBank(key, ALL)).toBeNull();
    // Grey content in a colour JPEG: its subsampling changed nothing, so quality alone decides.
    expect(matchBank('jpeg-q75-444', ALL, true)?.id).toBe('jpeg-q75');
    expect(matchBank('jpeg-q75-422', ALL, true)?.id).toBe('jpeg-q75');
    expect(matchBank('jpeg-q75-cmyk', ALL, true)).toBeNull();
    expect(chromaMismatchReason('jpeg-q90-444', SUBSAMPLED)).toMatch(
      /saved with 4:4:4 chroma subsampling and the library's JPEG reference banks with 4:2:0; .* \(this version of Genprint computes a JPEG q90 4:4:4 bank at enrolment: enrol the entries again to add it\)$/,
    );
    expect(chromaMismatchReason('jpeg-q90-other', ALL)).toMatch(/^the evidence was saved with an unusual chroma subsampling and /);
    expect(chromaMismatchReason('jpeg-q90-cmyk', ALL)).toMatch(/^the evidence is a CMYK JPEG and /);
    // No bank of 4:2:2 in the grid: nothing to re-enrol for.
    expect(chromaMismatchReason('jpeg-q90-422', ALL)).toMatch(
      /with 4:2:2 chroma subsampling and the library's JPEG reference banks with 4:2:0, 4:4:4; references of another subsampling are not matched to it$/,
    );
    // Not a chroma question: a bank of its layout exists, no JPEG bank exists, or the evidence is no JPEG of known quality.
    for (const [key, banks] of [
      ['jpeg-q90', ALL],
      ['jpeg-q90-444', ALL],
      ['jpeg-q90-444', ['webp-q75']],
      ['webp-lossy', ALL],
      ['jpeg-444', ALL],
      ['lossless', ALL],
    ] as const)
      expect(chromaMismatchReason(key, banks)).toBeNull();
  });

  it('says which processing the references were matched to', () => {
    expect(referenceMatchText({ bank: 'jpeg-q75', processing: 'JPEG q75', evidence: { 'jpeg-q74': 10 } })).toBe(
      'references matched to JPEG q75 (evidence estimated JPEG q74 (10))',
    );
    expect(referenceMatchText({ bank: 'webp-q75', processing: 'lossy WebP q75', evidence: { 'webp-lossy-q76': 4 } })).toBe(
      "references matched to lossy WebP q75 (evidence estimated lossy WebP q76 (4), WebP quality from its quantisers with libwebp's default settings assumed)",
    );
    expect(referenceMatchText({ bank: 'webp-q75', processing: 'lossy WebP q75', evidence: { 'webp-lossy': 4 } })).toBe(
      'references matched to lossy WebP q75 (evidence lossy WebP (4), quality not estimated: its quantisers fit no libwebp default setting)',
    );
    expect(referenceMatchText({ bank: null, processing: null, evidence: { jpeg: 3 }, reason: 'no reference bank matches this compression' })).toMatch(
      /^references as enrolled \(evidence JPEG \(non-standard tables\) \(3\): no reference bank matches/,
    );
  });
});

describe('the reference banks as a setting of the app', () => {
  it('the engine reads the grid from src/shared: the same ids in the same order', () => {
    expect(PROCESSING_GRID.map((p) => p.id)).toEqual(['jpeg-q90', 'jpeg-q75', 'jpeg-q50', 'webp-q75', 'jpeg-q90-444', 'jpeg-q95', 'jpeg-q85', 'webp-q90']);
    expect(PROCESSING_GRID).toBe(SHARED_GRID);
    expect(ENGINE_IDS).toBe(SHARED_IDS);
    expect(PROCESSING_GRID.map((p) => describeProcessing(p))).toEqual([
      'JPEG q90',
      'JPEG q75',
      'JPEG q50',
      'lossy WebP q75',
      'JPEG q90 4:4:4',
      'JPEG q95',
      'JPEG q85',
      'lossy WebP q90',
    ]);
  });

  it('defaults to the whole grid, in its order', () => {
    expect(DEFAULT_SETTINGS.referenceBanks).toEqual(ALL);
    expect(defaultSettings().referenceBanks).toEqual(ALL);
  });

  it('accepts ids of the grid, each once, in the grid order, or none; refuses anything else and says why', () => {
    expect(validateSettingsPatch({ referenceBanks: ['webp-q75', 'jpeg-q75'] })).toEqual({ referenceBanks: ['jpeg-q75', 'webp-q75'] });
    expect(validateSettingsPatch({ referenceBanks: [] })).toEqual({ referenceBanks: [] });
    expect(validateSettingsPatch({ referenceBanks: [...ALL].reverse() })).toEqual({ referenceBanks: ALL });
    expect(() => validateSettingsPatch({ referenceBanks: ['jpeg-q75', 'jpeg-q80'] })).toThrow(
      `referenceBanks must be a list of reference bank ids from ${ALL.join(', ')} (an empty list: none); not a bank: "jpeg-q80"`,
    );
    expect(() => validateSettingsPatch({ referenceBanks: ['jpeg-q75', 75] })).toThrow(/not a bank: 75$/);
    for (const bad of ['jpeg-q75', 'jpeg-q75,webp-q75', null, { 0: 'jpeg-q75' }, true])
      expect(() => validateSettingsPatch({ referenceBanks: bad })).toThrow(/^referenceBanks must be a list of reference bank ids/);
    expect(() => validateSettingsPatch({ referenceBanks: ['jpeg-q75', 'webp-q75', 'jpeg-q75'] })).toThrow('referenceBanks lists "jpeg-q75" more than once');
    // A hostile id is named escaped and cut short.
    expect(() => validateSettingsPatch({ referenceBanks: ['x\n'.repeat(100)] })).toThrow(/not a bank: "x\\nx\\n.*…$/);
    expect(() => validateSettingsPatch({ referenceBanks: Array.from({ length: 1000 }, (_, i) => `b${i}`) })).toThrow(
      /not a bank: "b0", "b1", "b2", "b3", "b4", and 995 more$/,
    );
  });

  it('a settings file with an unknown bank falls back to the whole grid and says so; the other fields are kept', () => {
    const read = settingsFromSaved({ referenceBanks: ['jpeg-q75', 'jpeg-q60'], bagSize: 5 });
    expect(read.settings.referenceBanks).toEqual(ALL);
    expect(read.settings.bagSize).toBe(5);
    expect(read.problems).toEqual([expect.stringMatching(/referenceBanks must be .*not a bank: "jpeg-q60"; using the default, \[.*\]$/)]);
    expect(read.problems[0].endsWith(`using the default, ${JSON.stringify(ALL)}`)).toBe(true);
    expect(settingsFromSaved({ referenceBanks: ['jpeg-q50', 'jpeg-q75'] })).toEqual({
      settings: { ...defaultSettings(), referenceBanks: ['jpeg-q75', 'jpeg-q50'] },
      problems: [],
    });
    expect(settingsFromSaved({ referenceBanks: 'all' }).problems).toEqual([expect.stringMatching(/^referenceBanks must be a list/)]);
  });

  it('a saved list gains the banks a later grid adds only where it held every bank of its own grid', () => {
    // Saved now: the grid is recorded beside the list, and reads back unchanged.
    const saved = JSON.parse(JSON.stringify(settingsForSaving({ ...defaultSettings(), referenceBanks: ['jpeg-q75'] })));
    expect(saved.referenceBankGrid).toEqual(ALL);
    expect(settingsFromSaved(saved)).toEqual({ settings: { ...defaultSettings(), referenceBanks: ['jpeg-q75'] }, problems: [] });
    // Saved by a release whose grid lacked the last bank: "all" then is all now; a subset stays as chosen.
    const older = ALL.slice(0, -1);
    expect(settingsFromSaved({ referenceBanks: older, referenceBankGrid: older }).settings.referenceBanks).toEqual(ALL);
    expect(settingsFromSaved({ referenceBanks: ['jpeg-q75'], referenceBankGrid: older }).settings.referenceBanks).toEqual(['jpeg-q75']);
    // A bank the older grid had and this one has not does not count against "all".
    expect(settingsFromSaved({ referenceBanks: older, referenceBankGrid: [...older, 'jpeg-q40'] }).settings.referenceBanks).toEqual(ALL);
    // Without the grid (a file written before it was recorded), the list is taken as it is.
    expect(settingsFromSaved({ referenceBanks: older }).settings.referenceBanks).toEqual(older);
  });

  it('says in words what an enrolment did to the banks attribution can use', () => {
    // Nothing changed: no text (the first entry, or an entry with the others' banks).
    expect(sharedBanksText({ banks: ['jpeg-q75'] })).toBe('');
    // The new entry lacks banks the others had.
    expect(sharedBanksText({ banks: ['jpeg-q75'], sharedBanks: { before: ['jpeg-q90', 'jpeg-q75', 'webp-q75'], after: ['jpeg-q75'] } })).toBe(
      'Attribution can no longer use the JPEG q90 and lossy WebP q75 banks: it uses only the banks every entry has, and this entry was enrolled without them. ' +
        'To use them, enrol this entry again with them (Settings → Reference banks at enrolment); if they are not needed, ' +
        'enrol the other entries again without them, so that every entry has the same banks. Banks attribution can use now: JPEG q75.',
    );
    // No banks at all, where the others had one.
    expect(sharedBanksText({ banks: [], sharedBanks: { before: ['jpeg-q90-444'], after: [] } })).toMatch(
      /^Attribution can no longer use the JPEG q90 4:4:4 bank: .* without it\. To use it, .* if it is not needed, .* Banks attribution can use now: none\.$/,
    );
    // The new entry has banks the others lack: they wait.
    expect(sharedBanksText({ banks: ['jpeg-q75', 'jpeg-q50'], sharedBanks: { before: ['jpeg-q75'], after: ['jpeg-q75'] } })).toBe(
      "This entry's JPEG q50 bank is used only once every other entry has it too. Banks attribution can use now: JPEG q75.",
    );
  });
});

describe('a demo library enrolled with reference banks', () => {
  let root: string;
  let manifest: DemoManifest;
  let banked: string;
  let plain: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'genprint-banks-'));
    manifest = await buildDemo(path.join(root, 'demo'));
    banked = path.join(root, 'banked.gplib');
    plain = path.join(root, 'plain.gplib');
    for (const [file, banks] of [
      [plain, false],
      [banked, true],
    ] as const) {
      // The banked library starts from the plain one's feature cache: its clean pass reads the same φ features.
      if (banks) copySidecar(plain, file);
      await initLibrary(file);
      for (const ref of manifest.reference)
        await enrol({
          libraryPath: file,
          name: ref.generator,
          family: ref.family,
          folders: [path.join(root, 'demo', ref.folder)],
          fit: false,
          banks,
          provider: 'cpu',
        });
      await fitLibrary(file);
    }
  }, 900_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A copy of a demo case folder re-saved as JPEG at `quality` (sharp's default 4:2:0 chroma unless told). */
  async function resaved(folder: string, quality: number, chroma: '4:2:0' | '4:4:4' = '4:2:0'): Promise<string> {
    const src = path.join(root, 'demo', folder);
    const dest = path.join(root, `q${quality}-${chroma.replaceAll(':', '')}`, folder);
    mkdirSync(dest, { recursive: true });
    for (const f of readdirSync(src))
      await sharp(path.join(src, f))
        .jpeg({ quality, chromaSubsampling: chroma })
        .toFile(path.join(dest, f.replace(/\.\w+$/, '.jpg')));
    return dest;
  }

  it('stores every bank for every entry and one classifier per bank, beside the clean one', async () => {
    const lib = await FingerprintLibrary.open(banked, { readOnly: true });
    try {
      for (const e of lib.getAllEntries()) {
        expect(e.banks?.map((b) => b.id)).toEqual([...ALL].sort());
        for (const b of e.banks!) {
          expect(b.sha256).toEqual(e.imageFeatures!.sha256); // every reference re-saved, in enrolment order
          expect(b.features.data.length).toBe(b.sha256.length * b.features.dim);
          expect(b.calibration.dsf?.heldOut).toBe(b.sha256.length);
          expect(b.calibration.residual?.heldOut).toBe(b.sha256.length);
          // Re-saved references are not the clean ones.
          expect(Buffer.from(b.features.data.buffer).equals(Buffer.from(e.imageFeatures!.data.buffer))).toBe(false);
        }
      }
      expect(
        lib
          .storedClassifierKeys()
          .map((c) => c.view)
          .filter((v) => v.startsWith('phi')),
      ).toEqual(['phi', ...ALL.map((id) => `phi@${id}`)].sort());
    } finally {
      lib.close();
    }
    // `library show` describes them.
    const shown = await showEntry(banked, manifest.reference[0].generator);
    expect(shown.stored.referenceBanks.map((l) => l.split(':')[0])).toEqual([...ALL].sort());
    expect(shown.stored.referenceBanks[0]).toMatch(/^jpeg-q50: \d+ re-saved images × \d+ φ features \+ 1568 residual statistics, calibrated on them$/);
    expect((await showEntry(plain, manifest.reference[0].generator)).stored.referenceBanks).toEqual([]);
  });

  it('lossless evidence gets exactly the verdicts of a library without banks', async () => {
    // A single-generator case, the mixed folder and the foreign generator: one of each kind of verdict.
    const kinds = (['single', 'mixed', 'foreign'] as const).map((kind) => manifest.cases.find((c) => c.kind === kind)!);
    expect(kinds.every(Boolean)).toBe(true);
    for (const c of kinds) {
      const caseRoot = path.join(root, 'demo', c.folder);
      const [a, b] = await Promise.all([banked, plain].map((libraryPath) => analyseCase({ libraryPath, caseRoot, provider: 'cpu', caseId: 'x' })));
      expect(a.verdicts, c.folder).toEqual(b.verdicts);
      expect(a.images).toEqual(b.images);
      expect(a.stability).toEqual(b.stability);
      expect(a.verdicts.folder.references).toBeUndefined();
    }
  }, 600_000);

  it('JPEG q75 evidence is judged by the q75 bank, named in the verdict, and attributed where the clean references fail', async () => {
    const att = await openAttributor({ libraryPath: banked, method: 'dsf', provider: 'cpu' });
    expect([...att.banks.keys()]).toEqual(ALL);
    for (const folder of ['case/demo-tconv-a', 'case/demo-pixelshuffle']) {
      const expected = path.basename(folder);
      const dir = await resaved(folder, 75);
      const { evidence, manifest: files } = await att.examine({ root: dir, canvas: 256 });
      expect(files.every((f) => f.compression === 'jpeg-q75')).toBe(true);
      expect(evidence.every((e) => e.matched?.bank === 'jpeg-q75')).toBe(true);
      const matched = await att.judge(evidence);
      const enrolled = await att.judge(evidence, { banks: false });
      expect(matched.references).toEqual({ bank: 'jpeg-q75', processing: 'JPEG q75', evidence: { 'jpeg-q75': evidence.length } });
      expect(matched.explanation).toContain('re-saved as JPEG q75');
      expect(formatVerdict(matched, 'folder')).toContain('references: references matched to JPEG q75 (evidence estimated JPEG q75');
      // The bank's own error rate and compression check: the references it used were saved like the evidence.
      expect(matched.compression?.references).toEqual({ 'jpeg-q75': expect.any(Number) });
      expect(matched.compression?.matched).toBe(evidence.length);
      expect(matched.candidates[0].name, folder).toBe(expected);
      // Bank verdicts have named a wrong entry with firm wording in the evaluation: worded weak, and said why.
      const wording = verdictWording(matched);
      expect(wording.strength).toBe('weak');
      expect(wording.cautions.map((c) => c.id)).toContain('matched-references');
      expect(wording.statement).toContain('re-saved as JPEG q75');
      expect(enrolled.candidates[0].name, folder).not.toBe(expected);
      expect(enrolled.references).toMatchObject({ bank: null, reason: 'reference banks not used for this verdict' });
    }
  }, 300_000);

  it('PNGs that were JPEGs are matched to the bank of the JPEG their pixels show, and the verdict says what was assumed', async () => {
    const att = await openAttributor({ libraryPath: banked, method: 'dsf', provider: 'cpu' });
    const folder = 'case/demo-tconv-a';
    const jpeg = await resaved(folder, 75);
    const dir = path.join(root, 'q75-then-png', folder);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(jpeg))
      await sharp(path.join(jpeg, f))
        .png()
        .toFile(path.join(dir, f.replace(/\.jpg$/, '.png')));
    const { evidence, manifest: files } = await att.examine({ root: dir, canvas: 256 });
    expect(files.every((f) => f.compression === 'lossless' && f.earlierJpeg?.suspected && f.earlierJpeg.quality === 75)).toBe(true);
    expect(evidence.every((e) => e.matched?.bank === 'jpeg-q75' && e.matched.assumed === 'jpeg-q75')).toBe(true);
    const v = await att.judge(evidence);
    expect(v.references).toEqual({ bank: 'jpeg-q75', processing: 'JPEG q75', evidence: { 'jpeg-q75': evidence.length }, assumed: evidence.length });
    expect(formatVerdict(v, 'folder')).toContain(`${evidence.length} saved losslessly, read from the traces of an earlier JPEG, 4:2:0 assumed`);
    expect(v.explanation).toMatch(
      /saved losslessly: their JPEG quality was read from the block traces of an earlier JPEG .* 4:2:0 chroma subsampling was assumed/,
    );
    // Judged as the JPEG it was: the compression check compares it with the bank, not with "lossless".
    expect(v.compression?.matched).toBe(evidence.length);
    expect(v.candidates[0].name).toBe(path.basename(folder));
    expect(verdictWording(v).strength).toBe('weak');
    expect(verdictWording(v).cautions.find((c) => c.id === 'earlier-jpeg')?.text).toMatch(
      /compared with references re-saved as that JPEG, its chroma subsampling assumed 4:2:0/,
    );
    // The same folder's originals (no traces) keep the clean path.
    const clean = await att.examine({ root: path.join(root, 'demo', folder), canvas: 256 });
    expect(clean.evidence.every((e) => e.matched === undefined)).toBe(true);
    expect((await att.judge(clean.evidence)).references).toBeUndefined();
  }, 300_000);

  it('a lossless file is matched by an earlier JPEG only on its own 8×8 grid', () => {
    const found = { suspected: true, quality: 75, gridOffset: { x: 0, y: 0 } };
    expect(bankMatchKey('lossless', found)).toEqual({ key: 'jpeg-q75', assumed: true });
    // Cropped after the JPEG: the bank's uncropped references have their blocks elsewhere.
    expect(bankMatchKey('lossless', { ...found, gridOffset: { x: 3, y: 0 } })).toEqual({ key: 'lossless', assumed: false });
    expect(bankMatchKey('lossless', { ...found, suspected: false })).toEqual({ key: 'lossless', assumed: false });
    expect(bankMatchKey('lossless', { ...found, quality: null })).toEqual({ key: 'lossless', assumed: false });
    expect(bankMatchKey('lossless', undefined)).toEqual({ key: 'lossless', assumed: false });
    // A file that is a JPEG is matched by its own tables, whatever its pixels show.
    expect(bankMatchKey('jpeg-q90', found)).toEqual({ key: 'jpeg-q90', assumed: false });
  });

  it('JPEG q90 4:4:4 evidence is judged by the 4:4:4 bank; a library with 4:2:0 banks only says why it used none', async () => {
    const att = await openAttributor({ libraryPath: banked, method: 'dsf', provider: 'cpu' });
    const dir = await resaved('case/demo-pixelshuffle', 90, '4:4:4');
    const { evidence, manifest: files } = await att.examine({ root: dir, canvas: 256 });
    expect(files.every((f) => f.compression === 'jpeg-q90-444')).toBe(true);
    expect(evidence.every((e) => e.matched?.bank === 'jpeg-q90-444')).toBe(true);
    const matched = await att.judge(evidence);
    expect(matched.references).toEqual({ bank: 'jpeg-q90-444', processing: 'JPEG q90 4:4:4', evidence: { 'jpeg-q90-444': evidence.length } });
    expect(matched.candidates[0].name).toBe('demo-pixelshuffle');
    expect(matched.compression?.references).toEqual({ 'jpeg-q90-444': expect.any(Number) });
    // As a library enrolled before the 4:4:4 banks sees the same files: no bank of their subsampling.
    const older = new Map([...att.banks].filter(([id]) => SUBSAMPLED.includes(id)));
    const unmatched = evidence.map((e) => ({ ...e, matched: undefined }));
    const v = await judgeWithBanks(att.library, older, unmatched, 'dsf', att.encoder);
    expect(v.references).toMatchObject({ bank: null, evidence: { 'jpeg-q90-444': evidence.length } });
    expect(v.references!.reason).toMatch(/saved with 4:4:4 chroma subsampling and the library's JPEG reference banks with 4:2:0/);
    expect(referenceMatchText(v.references!)).toMatch(/^references as enrolled \(evidence JPEG q90 4:4:4 \(\d+\): the evidence was saved with 4:4:4/);
    // The clean references' compression check sees another processing than theirs.
    expect(v.compression?.matched).toBe(0);
    // The same case in grey, saved as a colour JPEG q75 4:4:4: no colour to subsample, so the q75 bank.
    const greyDir = path.join(root, 'grey-q75-444');
    mkdirSync(greyDir, { recursive: true });
    for (const f of readdirSync(path.join(root, 'demo', 'case/demo-pixelshuffle')))
      await sharp(path.join(root, 'demo', 'case/demo-pixelshuffle', f))
        .greyscale()
        .toColourspace('srgb')
        .jpeg({ quality: 75, chromaSubsampling: '4:4:4' })
        .toFile(path.join(greyDir, f.replace(/\.\w+$/, '.jpg')));
    const grey = await att.examine({ root: greyDir, canvas: 256 });
    expect(grey.manifest.every((f) => f.compression === 'jpeg-q75-444' && f.colourless === true)).toBe(true);
    expect(grey.evidence.every((e) => e.matched?.bank === 'jpeg-q75')).toBe(true);
  }, 300_000);

  it('a case of re-saved evidence reads its bank classifiers from the library, and cached evidence gives the same verdicts', async () => {
    const caseRoot = await resaved('case/demo-nearest', 50);
    forgetClassifiers();
    const fits = classifierFitCount();
    const first = await analyseCase({ libraryPath: banked, caseRoot, provider: 'cpu', caseId: 'x' });
    expect(classifierFitCount()).toBe(fits); // every bank classifier was stored at the library change
    expect(first.verdicts.folder.references?.bank).toBe('jpeg-q50');
    expect(first.verdicts.bags.every((b) => b.references?.bank === 'jpeg-q50')).toBe(true);
    const again = await analyseCase({ libraryPath: banked, caseRoot, provider: 'cpu', caseId: 'x' });
    expect(again.verdicts).toEqual(first.verdicts);
    // The PDF report's findings name the processing the references were matched to.
    if (hasPoppler) {
      const pdf = path.join(root, 'q50.pdf');
      await writeReport(first, pdf);
      const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { maxBuffer: 256 << 20 })
        .toString('utf8')
        .replace(/\s+/g, ' ');
      expect(text).toContain('references matched to JPEG q50 (evidence estimated JPEG q50');
    }
  }, 300_000);

  it('evidence matched to different banks is judged by the references as enrolled, never by pooled banks', async () => {
    const q90 = await resaved('case/demo-bilinear', 90);
    const q50 = await resaved('case/demo-bilinear', 50);
    const att = await openAttributor({ libraryPath: banked, method: 'dsf', provider: 'cpu' });
    const a = (await att.examine({ root: q90, canvas: 256 })).evidence.slice(0, 5);
    const b = (await att.examine({ root: q50, canvas: 256 })).evidence.slice(0, 5);
    const mixed = await att.judge([...a, ...b]);
    expect(mixed.references).toMatchObject({ bank: null, evidence: { 'jpeg-q90': 5, 'jpeg-q50': 5 } });
    expect(mixed.references!.reason).toMatch(/never pooled/);
    expect(mixed).toEqual({ ...(await att.judge([...a, ...b], { banks: false })), references: mixed.references });
  }, 300_000);

  it('damaged bank bytes are named like any damaged entry', async () => {
    const lib = await FingerprintLibrary.open(banked, { readOnly: true });
    const victim = lib.getAllEntries()[2];
    lib.close();
    const pristine = readFileSync(banked);
    const bank = victim.banks!.find((b) => b.id === 'jpeg-q75')!;
    for (const data of [bank.features.data, bank.statistics!.data]) {
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const window = bytes.subarray(64, 96);
      const at = pristine.indexOf(window);
      expect(at).toBeGreaterThan(0);
      expect(pristine.indexOf(window, at + 1)).toBe(-1);
      const damaged = Buffer.from(pristine);
      damaged[at + 7] ^= 0x10;
      const copy = path.join(root, 'damaged.gplib');
      writeFileSync(copy, damaged);
      const open = await FingerprintLibrary.open(copy, { readOnly: true });
      try {
        expect(open.integrityCheck()).toEqual(['ok']); // SQLite does not see it…
        const err = (() => {
          try {
            open.getAllEntries();
          } catch (e) {
            return e;
          }
        })();
        expect(err).toBeInstanceOf(LibraryError); // …the entry's digest does
        expect(err).toMatchObject({ code: 'damaged' });
        expect((err as Error).message).toContain(`"${victim.name}" (id ${victim.id})`);
      } finally {
        open.close();
      }
      await expect(openAttributor({ libraryPath: copy, method: 'dsf', provider: 'cpu' })).rejects.toMatchObject({ code: 'damaged' });
    }
  });
});
