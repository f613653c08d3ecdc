import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { APPLICATION_ID, FingerprintLibrary, LibraryError, MIGRATIONS, SCHEMA_VERSION, loadSql, lockPath, withLibrary } from '../src/engine/library/index.js';
import type { LibraryEntry, NewLibraryEntry } from '../src/engine/types.js';
import { createRandom as mulberry32 } from '../src/engine/util/random.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'genprint-lib-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Values that a lossy or misaligned round trip would alter: tiny, huge, negative zero, subnormal. */
function floats(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = Float32Array.from({ length: n }, () => (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 6));
  if (n > 3) out.set([-0, 1.4e-45, 3.4e38], 0);
  return out;
}

function sameBits(a: Float32Array | undefined, b: Float32Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function makeEntry(name: string, seed: number, opts: { full?: boolean; digest?: string } = {}): NewLibraryEntry {
  const w = 64;
  const h = 48;
  const images = 12;
  const dim = 32;
  const e: NewLibraryEntry = {
    name,
    family: `family-${seed % 3}`,
    notes: `notes ${seed}`,
    provenance: {
      sourceFolders: [`/evidence/ref-${seed}`],
      fileCount: images,
      skippedCount: 1,
      sha256ListDigest: opts.digest ?? createHash('sha256').update(`digest-${seed}`).digest('hex'),
    },
    method: opts.full === false ? 'residual' : 'residual+dsf',
    modelVersion: opts.full === false ? 'none' : 'f'.repeat(64),
    calibration: { residual: { meanCorr: 0.01 * seed, stdCorr: 0.002, heldOut: 4 } },
    residualFingerprint: { width: w, height: h, count: images, data: floats(3 * w * h, seed) },
  };
  if (opts.full !== false) {
    e.imageFeatures = {
      dim,
      sha256: Array.from({ length: images }, (_, i) => createHash('sha256').update(`${seed}/${i}`).digest('hex')),
      data: floats(images * dim, seed + 1000),
    };
    e.bagEmbeddings = { dim: 16, count: 5, bagSize: 4, data: floats(5 * 16, seed + 2000) };
    e.centroid = floats(16, seed + 3000);
    e.heldOutResiduals = { width: 8, height: 8, count: 3, data: floats(3 * 3 * 8 * 8, seed + 4000) };
    e.residualStatistics = { dim: 20, sha256: e.imageFeatures.sha256, data: floats(images * 20, seed + 4500) };
    e.calibration.dsf = { meanDist: 1.5, stdDist: 0.25, heldOut: 4 };
    e.manifold = {
      modelHash: 'a'.repeat(64),
      projectorHash: 'b'.repeat(64),
      calibration: { residual: { meanCorr: 0.2, stdCorr: 0.03, heldOut: 4 }, dsf: { meanDist: 0.5, stdDist: 0.1, heldOut: 4 } },
      artifactFingerprint: { width: w, height: h, count: images, data: floats(3 * w * h, seed + 5000) },
      imageFeatures: { dim: 24, sha256: e.imageFeatures.sha256, data: floats(images * 24, seed + 6000) },
      bagEmbeddings: { dim: 16, count: 5, bagSize: 4, data: floats(5 * 16, seed + 7000) },
      centroid: floats(16, seed + 8000),
      heldOutArtifacts: { width: 8, height: 8, count: 3, data: floats(3 * 3 * 8 * 8, seed + 9000) },
    };
  }
  return e;
}

function expectSameManifold(got: LibraryEntry['manifold'], want: NewLibraryEntry['manifold']): void {
  if (!want) return void expect(got).toBeUndefined();
  expect(got).toBeDefined();
  const g = got!;
  expect([g.modelHash, g.projectorHash]).toEqual([want.modelHash, want.projectorHash]);
  expect(g.calibration).toEqual(want.calibration);
  expect({ ...g.artifactFingerprint, data: null }).toEqual({ ...want.artifactFingerprint, data: null });
  expect(sameBits(g.artifactFingerprint.data, want.artifactFingerprint.data)).toBe(true);
  expect(g.imageFeatures?.sha256).toEqual(want.imageFeatures?.sha256);
  expect(sameBits(g.imageFeatures?.data, want.imageFeatures?.data)).toBe(true);
  expect({ ...g.bagEmbeddings, data: null }).toEqual({ ...want.bagEmbeddings, data: null });
  expect(sameBits(g.bagEmbeddings?.data, want.bagEmbeddings?.data)).toBe(true);
  expect(sameBits(g.centroid, want.centroid)).toBe(true);
  expect({ ...g.heldOutArtifacts, data: null }).toEqual({ ...want.heldOutArtifacts, data: null });
  expect(sameBits(g.heldOutArtifacts?.data, want.heldOutArtifacts?.data)).toBe(true);
}

function expectSameEntry(got: LibraryEntry, want: NewLibraryEntry): void {
  expect(got.name).toBe(want.name);
  expectSameManifold(got.manifold, want.manifold);
  expect(got.family).toBe(want.family);
  expect(got.notes).toBe(want.notes);
  expect(got.provenance).toEqual(want.provenance);
  expect(got.calibration).toEqual(want.calibration);
  expect(got.method).toBe(want.method);
  expect(got.modelVersion).toBe(want.modelVersion);
  const { data: gd, ...gfp } = got.residualFingerprint;
  const { data: wd, ...wfp } = want.residualFingerprint;
  expect(gfp).toEqual(wfp);
  expect(sameBits(gd, wd)).toBe(true);
  expect(gd.byteOffset % 4).toBe(0);
  expect(got.imageFeatures?.sha256).toEqual(want.imageFeatures?.sha256);
  expect(got.imageFeatures?.dim).toEqual(want.imageFeatures?.dim);
  if (want.imageFeatures) expect(sameBits(got.imageFeatures?.data, want.imageFeatures.data)).toBe(true);
  else expect(got.imageFeatures).toBeUndefined();
  if (want.bagEmbeddings) {
    expect({ ...got.bagEmbeddings, data: null }).toEqual({ ...want.bagEmbeddings, data: null });
    expect(sameBits(got.bagEmbeddings?.data, want.bagEmbeddings.data)).toBe(true);
  } else expect(got.bagEmbeddings).toBeUndefined();
  if (want.centroid) expect(sameBits(got.centroid, want.centroid)).toBe(true);
  else expect(got.centroid).toBeUndefined();
  if (want.heldOutResiduals) {
    expect({ ...got.heldOutResiduals, data: null }).toEqual({ ...want.heldOutResiduals, data: null });
    expect(sameBits(got.heldOutResiduals?.data, want.heldOutResiduals.data)).toBe(true);
  } else expect(got.heldOutResiduals).toBeUndefined();
  if (want.residualStatistics) {
    expect({ ...got.residualStatistics, data: null }).toEqual({ ...want.residualStatistics, data: null });
    expect(sameBits(got.residualStatistics?.data, want.residualStatistics.data)).toBe(true);
  } else expect(got.residualStatistics).toBeUndefined();
}

async function rejectsWith(p: Promise<unknown>, code: string, mentions?: string): Promise<LibraryError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LibraryError);
  expect((err as LibraryError).code).toBe(code);
  if (mentions) expect((err as LibraryError).message).toContain(mentions);
  expect((err as LibraryError).message).not.toContain('\n');
  return err as LibraryError;
}

function throwsWith(fn: () => unknown, code: string): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LibraryError);
  expect((err as LibraryError).code).toBe(code);
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A library file written with only the first `version` migrations, as an older Genprint would have. */
async function writeOldLibrary(file: string, version: number, fill?: (db: import('sql.js').Database) => void) {
  const SQL = await loadSql();
  const db = new SQL.Database();
  db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
  for (let v = 0; v < version; v++) MIGRATIONS[v](db);
  db.exec(`PRAGMA user_version = ${version}`);
  fill?.(db);
  writeFileSync(file, db.export());
  db.close();
}

describe('library file', () => {
  it('creates a versioned, identified library and refuses to create over an existing file', async () => {
    const file = path.join(dir, 'lab.gplib');
    const lib = await FingerprintLibrary.create(file);
    expect(existsSync(lockPath(file))).toBe(true);
    expect(lib.schemaVersion).toBe(SCHEMA_VERSION);
    expect(lib.path).toBe(file);
    expect(lib.fileSha256()).toBe(sha(file));
    const meta = lib.meta();
    expect(meta.library_uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(meta.created_by).toMatch(/^Genprint /);
    lib.close();
    expect(existsSync(lockPath(file))).toBe(false);

    const SQL = await loadSql();
    const raw = new SQL.Database(readFileSync(file));
    expect(raw.exec('PRAGMA user_version')[0].values[0][0]).toBe(SCHEMA_VERSION);
    expect(raw.exec('PRAGMA application_id')[0].values[0][0]).toBe(APPLICATION_ID);
    const tables = raw.exec("SELECT name FROM sqlite_master WHERE type='table'")[0].values.flat();
    for (const t of ['meta', 'entries', 'residual_fingerprints', 'image_features', 'bag_embeddings', 'centroids', 'feature_cache', 'held_out_residuals'])
      expect(tables).toContain(t);
    raw.close();

    const before = sha(file);
    await rejectsWith(FingerprintLibrary.create(file), 'exists', file);
    expect(sha(file)).toBe(before);
  });

  it('round-trips entries with all their blobs bit-exactly', async () => {
    const file = path.join(dir, 'lab.gplib');
    const a = makeEntry('StyleGAN2', 1);
    const b = makeEntry('BigGAN', 2, { full: false });
    const c = makeEntry('ADM', 3);
    const lib = await FingerprintLibrary.create(file);
    const sa = lib.addEntry(a);
    lib.addEntry(b);
    lib.addEntry({ ...c, createdAt: '2024-01-02T03:04:05+01:00' });
    expect(sa.name).toBe('StyleGAN2');
    expect(sa.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    lib.save();
    lib.close();

    const ro = await FingerprintLibrary.open(file, { readOnly: true });
    expect(ro.fileSha256()).toBe(sha(file));
    expect(ro.listEntries().map((e) => e.name)).toEqual(['ADM', 'BigGAN', 'StyleGAN2']);
    expectSameEntry(ro.getEntry('StyleGAN2'), a);
    expectSameEntry(ro.getEntry(sa.id), a);
    expectSameEntry(ro.getEntry(String(sa.id)), a);
    expectSameEntry(ro.getEntry('BigGAN'), b);
    expect(ro.getEntry('ADM').createdAt).toBe('2024-01-02T03:04:05+01:00');
    expect(ro.getAllEntries().map((e) => e.name)).toEqual(['ADM', 'BigGAN', 'StyleGAN2']);
    expect(ro.integrityCheck()).toEqual(['ok']);
    // A reader never writes and needs no lock.
    expect(existsSync(lockPath(file))).toBe(false);
    throwsWith(() => ro.addEntry(makeEntry('x', 9)), 'read-only');
    throwsWith(() => ro.save(), 'read-only');
    ro.close();
    throwsWith(() => ro.listEntries(), 'closed');
  });

  it('rejects blobs whose size does not match their shape', async () => {
    const lib = await FingerprintLibrary.create(path.join(dir, 'lab.gplib'));
    const e = makeEntry('bad', 1);
    e.residualFingerprint = { ...e.residualFingerprint, width: 65 };
    expect(() => lib.addEntry(e)).toThrow(RangeError);
    const s = makeEntry('bad-statistics', 2);
    s.residualStatistics = { ...s.residualStatistics!, dim: 21 };
    expect(() => lib.addEntry(s)).toThrow(RangeError);
    expect(lib.listEntries()).toEqual([]);
    lib.close();
  });

  it('renames, removes, annotates, and reports name clashes and unknown entries', async () => {
    const file = path.join(dir, 'lab.gplib');
    await FingerprintLibrary.create(file).then((l) => l.close());
    await withLibrary(file, (lib) => {
      lib.addEntry(makeEntry('a', 1));
      lib.addEntry(makeEntry('b', 2));
      lib.addEntry(makeEntry('c', 3));
    });
    const removedId = await withLibrary(file, (lib) => {
      const cId = lib.getEntry('c').id;
      throwsWith(() => lib.addEntry(makeEntry('a', 4)), 'name-taken');
      throwsWith(() => lib.renameEntry('a', 'b'), 'name-taken');
      throwsWith(() => lib.renameEntry('zzz', 'y'), 'no-such-entry');
      throwsWith(() => lib.renameEntry('a', '  '), 'invalid-name');
      throwsWith(() => lib.removeEntry(999), 'no-such-entry');
      lib.renameEntry('a', 'a-renamed');
      lib.setNotes('b', 'checked by examiner 7');
      lib.removeEntry('c');
      return cId;
    });
    const ro = await FingerprintLibrary.open(file, { readOnly: true });
    const list = ro.listEntries();
    expect(list.map((e) => e.name)).toEqual(['a-renamed', 'b']);
    expect(ro.getEntry('b').notes).toBe('checked by examiner 7');
    expectSameEntry(ro.getEntry('a-renamed'), { ...makeEntry('a', 1), name: 'a-renamed' });
    ro.close();
    // Child rows went with the removed entry.
    const SQL = await loadSql();
    const raw = new SQL.Database(readFileSync(file));
    for (const t of ['residual_fingerprints', 'image_features', 'bag_embeddings', 'centroids', 'held_out_residuals'])
      expect(raw.exec(`SELECT count(*) FROM ${t}`)[0].values[0][0]).toBe(2);
    raw.close();
    // Ids quoted in earlier reports are never given to a new entry.
    const d = await withLibrary(file, (lib) => lib.addEntry(makeEntry('d', 5)));
    expect(d.id).toBeGreaterThan(removedId);
  });

  it('caches features by content hash and model', async () => {
    const file = path.join(dir, 'cache.gplib');
    const f1 = floats(512, 11);
    const f2 = floats(512, 12);
    await FingerprintLibrary.create(file).then((l) => l.close());
    await withLibrary(file, (lib) => {
      lib.putCachedFeatures('aa'.repeat(32), 'model-1', f1);
      lib.putCachedFeatures('aa'.repeat(32), 'model-2', f2);
      lib.putCachedFeatures('bb'.repeat(32), 'model-1', f2);
      lib.putCachedFeatures('bb'.repeat(32), 'model-1', f1); // replaces
    });
    const ro = await FingerprintLibrary.open(file, { readOnly: true });
    expect(sameBits(ro.getCachedFeatures('aa'.repeat(32), 'model-1'), f1)).toBe(true);
    expect(sameBits(ro.getCachedFeatures('aa'.repeat(32), 'model-2'), f2)).toBe(true);
    expect(sameBits(ro.getCachedFeatures('bb'.repeat(32), 'model-1'), f1)).toBe(true);
    expect(ro.getCachedFeatures('bb'.repeat(32), 'model-2')).toBeUndefined();
    expect(ro.getCachedFeatures('cc'.repeat(32), 'model-1')).toBeUndefined();
    ro.close();
  });

  it('exports chosen entries to a new file and imports them into another library, renaming clashes', async () => {
    const labA = path.join(dir, 'lab-a.gplib');
    const labB = path.join(dir, 'lab-b.gplib');
    const shared = path.join(dir, 'shared.gplib');
    const x = makeEntry('x', 1);
    const y = makeEntry('y', 2);
    const z = makeEntry('z', 3, { full: false });
    await FingerprintLibrary.create(labA).then((l) => l.close());
    await withLibrary(labA, (lib) => [x, y, z].forEach((e) => lib.addEntry(e)));
    await FingerprintLibrary.create(labB).then((l) => l.close());
    await withLibrary(labB, (lib) => lib.addEntry(makeEntry('x', 7))); // same name, other provenance

    const a = await FingerprintLibrary.open(labA, { readOnly: true });
    const aSha = a.fileSha256();
    const exported = await a.exportEntries(shared, ['x', 'z']);
    expect(exported.map((e) => e.name)).toEqual(['x', 'z']);
    const sharedSha = sha(shared);
    await rejectsWith(a.exportEntries(shared, ['y']), 'exists', shared);
    await rejectsWith(a.exportEntries(path.join(dir, 'other.gplib'), ['nope']), 'no-such-entry');
    a.close();
    expect(sha(labA)).toBe(aSha);
    expect(sha(shared)).toBe(sharedSha);
    expect(existsSync(path.join(dir, 'other.gplib'))).toBe(false);

    const first = await withLibrary(labB, (lib) => lib.importFrom(shared));
    expect(first.imported.sort()).toEqual(['x (2)', 'z']);
    expect(first.renamed).toEqual([{ from: 'x', to: 'x (2)' }]);
    expect(first.skipped).toEqual([]);
    // Importing the same file again adds nothing: the entries are recognised by their provenance.
    const again = await withLibrary(labB, (lib) => lib.importFrom(shared));
    expect(again).toEqual({ imported: [], renamed: [], skipped: ['x', 'z'] });

    const b = await FingerprintLibrary.open(labB, { readOnly: true });
    expect(b.listEntries().map((e) => e.name)).toEqual(['x', 'x (2)', 'z']);
    expectSameEntry(b.getEntry('x (2)'), { ...x, name: 'x (2)' });
    expectSameEntry(b.getEntry('z'), z);
    expectSameEntry(b.getEntry('x'), makeEntry('x', 7));
    b.close();
    // An imported entry keeps the date it was enrolled, not the date of the import.
    const src = await FingerprintLibrary.open(shared, { readOnly: true });
    const b2 = await FingerprintLibrary.open(labB, { readOnly: true });
    expect(b2.getEntry('z').createdAt).toBe(src.getEntry('z').createdAt);
    src.close();
    b2.close();
  });

  it('keeps temp files of other libraries and removes leftovers of its own on save', async () => {
    const file = path.join(dir, 'lab.gplib');
    await FingerprintLibrary.create(file).then((l) => l.close());
    const leftover = `${file}.tmp-99999-0123456789ab`;
    const unrelated = [`${file}.tmp-notes.txt`, path.join(dir, 'other.gplib.tmp-99999-0123456789ab')];
    for (const f of [leftover, ...unrelated]) writeFileSync(f, 'partial');
    await withLibrary(file, (lib) => void lib.addEntry(makeEntry('a', 1)));
    expect(existsSync(leftover)).toBe(false);
    for (const f of unrelated) expect(existsSync(f)).toBe(true);
    const names = readdirSync(dir).sort();
    expect(names).toEqual(['lab.gplib', 'lab.gplib.tmp-notes.txt', 'other.gplib.tmp-99999-0123456789ab']);
  });

  it('removes leftovers of its own on open: a writer all of them, a reader only those of dead writers', async () => {
    const file = path.join(dir, 'lab.gplib');
    await FingerprintLibrary.create(file).then((l) => l.close());
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    const ofDead = `${file}.tmp-${dead}-0123456789ab`;
    const ofLive = `${file}.tmp-${process.pid}-abcdef012345`; // a save of a running process, maybe mid-write
    const unrelated = [`${file}.tmp-notes.txt`, path.join(dir, 'other.gplib.tmp-99999-0123456789ab'), `${file}.feature-cache.tmp-${dead}-0123456789ab`];
    for (const f of [ofDead, ofLive, ...unrelated]) writeFileSync(f, 'partial');

    // A reader, while a live writer holds the lock: touches nothing (the writer may be saving).
    writeFileSync(lockPath(file), JSON.stringify({ pid: process.pid, hostname: hostname(), createdAt: new Date().toISOString(), token: 't' }));
    (await FingerprintLibrary.open(file, { readOnly: true })).close();
    expect(existsSync(ofDead)).toBe(true);
    rmSync(lockPath(file));
    // A reader without a live writer: removes the dead process's leftover, keeps the live one's.
    (await FingerprintLibrary.open(file, { readOnly: true })).close();
    expect(existsSync(ofDead)).toBe(false);
    expect(existsSync(ofLive)).toBe(true);
    // A writer holds the lock, so every temp file of this library is a leftover.
    (await FingerprintLibrary.open(file)).close();
    expect(existsSync(ofLive)).toBe(false);
    for (const f of unrelated) expect(existsSync(f)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['lab.gplib', ...unrelated.map((f) => path.basename(f))].sort());
  });

  it('does not save when the callback of withLibrary fails, and releases the lock', async () => {
    const file = path.join(dir, 'lab.gplib');
    await FingerprintLibrary.create(file).then((l) => l.close());
    const before = sha(file);
    await expect(
      withLibrary(file, (lib) => {
        lib.addEntry(makeEntry('a', 1));
        throw new Error('enrolment cancelled');
      }),
    ).rejects.toThrow('enrolment cancelled');
    expect(sha(file)).toBe(before);
    expect(existsSync(lockPath(file))).toBe(false);
  });
});

describe('schema migrations', () => {
  it('sets user_version to the number of migrations', () => {
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
  });

  it('reads a v1 library without touching it, and upgrades it on a writable open keeping a backup', async () => {
    const file = path.join(dir, 'old.gplib');
    const old = makeEntry('old-model', 5);
    await writeOldLibrary(file, 1, (db) => {
      db.run("INSERT INTO meta VALUES ('created_at', '2023-05-06T07:08:09+02:00'), ('library_uuid', 'u'), ('created_by', 'Genprint 0.0.1')");
      db.run(
        `INSERT INTO entries (name, family, notes, created_at, provenance, method, model_version, calibration)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          'old-model',
          old.family,
          old.notes,
          '2023-05-06T07:08:09+02:00',
          JSON.stringify(old.provenance),
          old.method,
          old.modelVersion,
          JSON.stringify(old.calibration),
        ],
      );
      const fp = old.residualFingerprint;
      db.run('INSERT INTO residual_fingerprints VALUES (1, ?, ?, ?, ?)', [fp.width, fp.height, fp.count, new Uint8Array(fp.data.buffer)]);
    });
    const v1Sha = sha(file);

    const ro = await FingerprintLibrary.open(file, { readOnly: true });
    expect(ro.schemaVersion).toBe(1);
    const e = ro.getEntry('old-model');
    expect(sameBits(e.residualFingerprint.data, old.residualFingerprint.data)).toBe(true);
    expect(e.heldOutResiduals).toBeUndefined();
    expect(e.imageFeatures).toBeUndefined();
    expect(e.residualStatistics).toBeUndefined();
    ro.close();
    expect(sha(file)).toBe(v1Sha);

    const rw = await FingerprintLibrary.open(file);
    expect(rw.schemaVersion).toBe(SCHEMA_VERSION);
    rw.addEntry(makeEntry('new-model', 6));
    rw.save();
    rw.close();
    expect(sha(`${file}.schema-v1.bak`)).toBe(v1Sha);
    const SQL = await loadSql();
    const raw = new SQL.Database(readFileSync(file));
    expect(raw.exec('PRAGMA user_version')[0].values[0][0]).toBe(SCHEMA_VERSION);
    raw.close();
    const again = await FingerprintLibrary.open(file, { readOnly: true });
    expectSameEntry(again.getEntry('new-model'), makeEntry('new-model', 6));
    expect(again.meta().created_by).toBe('Genprint 0.0.1');
    again.close();
  });

  it('refuses a library from a newer Genprint and leaves it untouched', async () => {
    const file = path.join(dir, 'future.gplib');
    await writeOldLibrary(file, SCHEMA_VERSION, (db) => db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`));
    const before = sha(file);
    await rejectsWith(FingerprintLibrary.open(file, { readOnly: true }), 'newer-schema', file);
    await rejectsWith(FingerprintLibrary.open(file), 'newer-schema', file);
    await rejectsWith(
      withLibrary(file, () => undefined),
      'newer-schema',
    );
    expect(sha(file)).toBe(before);
    expect(existsSync(lockPath(file))).toBe(false);
    expect(readdirSync(dir)).toEqual(['future.gplib']);
  });
});

describe('writer lock', () => {
  it('lets one writer in, any number of readers, and frees the lock on close', async () => {
    const file = path.join(dir, 'lab.gplib');
    const writer = await FingerprintLibrary.create(file);
    const err = await rejectsWith(FingerprintLibrary.open(file), 'locked', file);
    expect(err.message).toContain(`process ${process.pid}`);
    const reader = await FingerprintLibrary.open(file, { readOnly: true });
    reader.close();
    writer.close();
    const next = await FingerprintLibrary.open(file);
    next.close();
  });

  it('refuses while a live process on this host or any process on another host holds it', async () => {
    const file = path.join(dir, 'lab.gplib');
    await FingerprintLibrary.create(file).then((l) => l.close());
    const lock = lockPath(file);
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, hostname: hostname(), createdAt: 'x', token: 't' }));
    await rejectsWith(FingerprintLibrary.open(file), 'locked', lock);
    writeFileSync(lock, JSON.stringify({ pid: 1, hostname: `not-${hostname()}`, createdAt: 'x', token: 't' }));
    await rejectsWith(FingerprintLibrary.open(file), 'locked', `not-${hostname()}`);
    expect(existsSync(lock)).toBe(true);
  });

  it('takes over a lock left by a process that died', async () => {
    const file = path.join(dir, 'lab.gplib');
    await FingerprintLibrary.create(file).then((l) => l.close());
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']);
    expect(dead.pid).toBeGreaterThan(0);
    writeFileSync(lockPath(file), JSON.stringify({ pid: dead.pid, hostname: hostname(), createdAt: 'x', token: 't' }));
    await withLibrary(file, (lib) => void lib.addEntry(makeEntry('a', 1)));
    expect(existsSync(lockPath(file))).toBe(false);
    const ro = await FingerprintLibrary.open(file, { readOnly: true });
    expect(ro.listEntries().map((e) => e.name)).toEqual(['a']);
    ro.close();
  });
});

describe('files that are not usable libraries are reported and never written', () => {
  async function realLibraryBytes(): Promise<Buffer> {
    const file = path.join(dir, 'real.gplib');
    const lib = await FingerprintLibrary.create(file);
    for (let i = 0; i < 4; i++) lib.addEntry(makeEntry(`m${i}`, i));
    lib.save();
    lib.close();
    return readFileSync(file);
  }

  const cases: [string, string, () => Promise<Buffer | 'dir'>][] = [
    ['a zero-byte file', 'not-a-library', async () => Buffer.alloc(0)],
    ['a text file', 'not-a-library', async () => Buffer.from('these are my notes about the case\n'.repeat(50))],
    ['a truncated SQLite header', 'corrupt', async () => Buffer.from('SQLite format 3\0 and then nothing')],
    [
      'the first half of a real library',
      'corrupt',
      async () => {
        const b = await realLibraryBytes();
        return b.subarray(0, Math.floor(b.length / 2));
      },
    ],
    [
      'a real library with a page overwritten',
      'corrupt',
      async () => {
        const b = Buffer.from(await realLibraryBytes());
        const page = b.readUInt16BE(16);
        for (let p = 1; p * page < b.length; p += 2) b.fill(0xa5, p * page, p * page + 64);
        return b;
      },
    ],
    [
      'an SQLite database of another program',
      'not-a-library',
      async () => {
        const SQL = await loadSql();
        const db = new SQL.Database();
        db.exec("CREATE TABLE entries (id INTEGER, name TEXT); INSERT INTO entries VALUES (1, 'x')");
        const bytes = Buffer.from(db.export());
        db.close();
        return bytes;
      },
    ],
    [
      'a Genprint-marked database without its tables',
      'not-a-library',
      async () => {
        const SQL = await loadSql();
        const db = new SQL.Database();
        db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = 1; CREATE TABLE t (x)`);
        const bytes = Buffer.from(db.export());
        db.close();
        return bytes;
      },
    ],
    ['a folder', 'not-a-library', async () => 'dir'],
  ];

  it.each(cases)('%s → %s', async (_label, code, make) => {
    const file = path.join(dir, 'evidence.gplib');
    const content = await make();
    if (content === 'dir') mkdirSync(file);
    else writeFileSync(file, content);
    const before = content === 'dir' ? null : sha(file);
    const listing = readdirSync(dir).sort();
    await rejectsWith(FingerprintLibrary.open(file, { readOnly: true }), code, file);
    await rejectsWith(FingerprintLibrary.open(file), code, file);
    await rejectsWith(
      withLibrary(file, (lib) => void lib.addEntry(makeEntry('a', 1))),
      code,
      file,
    );
    await rejectsWith(FingerprintLibrary.create(file), 'exists', file);
    if (before) expect(sha(file)).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(listing); // no lock, temp or backup left behind
  });

  it('a missing file → not-found, and nothing is created', async () => {
    const file = path.join(dir, 'nope.gplib');
    await rejectsWith(FingerprintLibrary.open(file, { readOnly: true }), 'not-found', file);
    await rejectsWith(
      withLibrary(file, () => undefined),
      'not-found',
      file,
    );
    await rejectsWith(FingerprintLibrary.create(path.join(dir, 'no-such-folder', 'lab.gplib')), 'not-found', 'no-such-folder');
    expect(readdirSync(dir)).toEqual([]);
  });
});
