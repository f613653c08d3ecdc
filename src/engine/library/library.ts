// The fingerprint library: one SQLite file (sql.js, in memory) holding the enrolled entries and the
// φ feature cache. Mutations change memory only; save() replaces the file atomically.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SqlValue } from 'sql.js';
import type {
  EnrolmentProvenance,
  EntryCalibration,
  LabelledMatrix,
  LibraryEntry,
  LibraryEntrySummary,
  ManifoldParts,
  NewLibraryEntry,
  ReferenceBank,
} from '../types.js';
import { softwareVersion } from '../version.js';
import { atomicCreate, atomicReplace, blobToFloats, checkSqliteHeader, floatsToBlob, loadSql, removeStaleTemps, type Database } from './database.js';
import { LibraryError } from './errors.js';
import { WriterLock, pidAlive, writerMayBeActive } from './lock.js';
import { deserializeClassifier, serializeClassifier } from '../classifier/serialize.js';
import type { FusedClassifier } from '../classifier/fused.js';
import { deserializeCalibrationStatistics, deserializeLibraryMatrix, serializeCalibrationStatistics, serializeLibraryMatrix } from './stored-analysis.js';
import type { CalibrationStatistics } from '../attribution/calibration.js';
import { APPLICATION_ID, CORE_TABLES, SCHEMA_VERSION, applicationId, migrate, userVersion } from './migrations.js';

export interface OpenOptions {
  /** Read without taking the writer lock; save() is refused. A reader never changes the file. */
  readOnly?: boolean;
}

export interface ImportResult {
  imported: string[];
  renamed: { from: string; to: string }[];
  /** Entries already present (same name, or a suffixed copy of it, with the same provenance digest). */
  skipped: string[];
}

type Row = Record<string, SqlValue>;

/** A library classifier kept in the file (table `classifiers`), with when and how it was fitted. */
export interface StoredClassifier {
  /** Digest of exactly what it was fitted on (attribution/prepared-library.ts, planClassifier). */
  key: string;
  /** Which entry view it classifies ('phi', 'manifold:projector'). */
  view: string;
  modelHash: string;
  fittedAt: string;
  fittedBy: string;
  /** Wall-clock seconds the fit took. */
  seconds: number;
  classifier: FusedClassifier;
}

/** A library × library matrix (Eq. 5) kept in the file (table `library_analyses`, kind 'library-matrix'). */
export interface StoredLibraryMatrix {
  /** Digest of exactly what it was computed from (attribution/library-analysis.ts, libraryMatrixKey). */
  key: string;
  /** Which residuals it compares: 'wavelet' or 'projector-artifacts'. */
  view: string;
  computedAt: string;
  computedBy: string;
  /** Wall-clock seconds the computation took. */
  seconds: number;
  matrix: LabelledMatrix;
}

/**
 * The calibration's held-back statistics kept in the file (table `library_analyses`, kind
 * 'calibration'): what the calibrated "unknown generator" and "mixed folder" thresholds of any
 * setting are derived from (attribution/calibration.ts).
 */
export interface StoredCalibration {
  /** Digest of exactly what it was computed from: the classifier's key and the entries' residual parts (calibrationKey). */
  key: string;
  /** The view of the classifier it belongs to. */
  view: string;
  computedAt: string;
  computedBy: string;
  /** Wall-clock seconds the computation took. */
  seconds: number;
  statistics: CalibrationStatistics;
}

/**
 * What an entry's digest covers: every stored column of every table that holds a part of it, in
 * this order (ids excluded, so an exported or imported copy of an entry has the same digest). A
 * later migration that adds a column must add it here only together with a new digest prefix.
 */
const DIGESTED_PARTS: readonly (readonly [table: string, columns: readonly string[]])[] = [
  ['entries', ['name', 'family', 'notes', 'created_at', 'provenance', 'method', 'model_version', 'calibration']],
  ['residual_fingerprints', ['width', 'height', 'count', 'data']],
  ['image_features', ['model_hash', 'dim', 'count', 'sha256_list', 'data']],
  ['bag_embeddings', ['model_hash', 'dim', 'count', 'bag_size', 'data']],
  ['centroids', ['model_hash', 'dim', 'data']],
  ['held_out_residuals', ['width', 'height', 'count', 'data']],
  [
    'manifold_parts',
    [
      'model_hash',
      'projector_hash',
      'calibration',
      'fp_width',
      'fp_height',
      'fp_count',
      'fp_data',
      'feat_dim',
      'feat_sha256_list',
      'feat_data',
      'bag_dim',
      'bag_count',
      'bag_size',
      'bag_data',
      'centroid',
      'held_width',
      'held_height',
      'held_count',
      'held_data',
    ],
  ],
  ['residual_statistics', ['dim', 'count', 'sha256_list', 'data']],
];

/**
 * Columns of an entry's reference banks (schema v7; several rows per entry, ordered by bank id).
 * They join the digest only where an entry has banks, so the digests of entries without any (all
 * entries written before v7) are unchanged.
 */
const BANK_COLUMNS = ['bank', 'processing', 'model_hash', 'count', 'sha256_list', 'feat_dim', 'feat_data', 'stat_dim', 'stat_data', 'calibration'] as const;

/**
 * SHA-256 over an entry's rows (one per DIGESTED_PARTS table, undefined where it has none), then
 * its reference-bank rows, each value with its type and length.
 */
function entryDigest(parts: (Row | undefined)[], banks: Row[]): string {
  const h = createHash('sha256').update('genprint-entry-v1');
  const digestRow = (row: Row, columns: readonly string[]) => {
    for (const c of columns) {
      const v = row[c];
      if (v === null || v === undefined) h.update(`|${c}=null`);
      else if (v instanceof Uint8Array) h.update(`|${c}=blob${v.byteLength}:`).update(v);
      else if (typeof v === 'number') h.update(`|${c}=number:${v}`);
      else {
        const text = Buffer.from(String(v), 'utf8');
        h.update(`|${c}=text${text.length}:`).update(text);
      }
    }
  };
  DIGESTED_PARTS.forEach(([table, columns], i) => {
    const row = parts[i];
    h.update(`\n${table}:${row ? 'present' : 'absent'}`);
    if (row) digestRow(row, columns);
  });
  if (banks.length > 0) {
    h.update(`\nreference_banks:${banks.length}`);
    for (const row of banks) {
      h.update('\nbank');
      digestRow(row, BANK_COLUMNS);
    }
  }
  return h.digest('hex');
}

/** A row of a per-image table (`dim`, `sha256_list`, `data`): count × dim values with their images' SHA-256s. */
function perImageRows(row: Row, what: string): { dim: number; sha256: string[]; data: Float32Array } {
  const sha256 = JSON.parse(String(row.sha256_list)) as string[];
  const dim = Number(row.dim);
  return { dim, sha256, data: blobToFloats(row.data as Uint8Array, sha256.length * dim, what) };
}

/** ISO 8601 with the local UTC offset: reports state the examiner's time zone. */
export function localIsoTimestamp(d = new Date()): string {
  const off = -d.getTimezoneOffset();
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  return `${local}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}

/**
 * Bytes lent to sql.js instead of copied. sql.js 1.x puts a database's bytes into its in-memory
 * file system with `slice()`, a full copy: for a 250 MB library another 250 MB allocated and filled,
 * which took about a second of a ten-image attribution (docs/performance.md). A read-only open
 * needs the bytes read for nothing else once their SHA-256 is taken, so its whole-array slice
 * returns the array itself; any other slice copies as usual, and an sql.js that stops calling
 * slice() simply copies as before.
 */
class LentBytes extends Uint8Array<ArrayBuffer> {
  override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
    if ((start ?? 0) === 0 && (end === undefined || end >= this.length)) return this;
    return Uint8Array.prototype.slice.call(this, start, end) as Uint8Array<ArrayBuffer>;
  }
}

/** `bytes` as LentBytes (the same memory). Files are read into plain ArrayBuffers, never shared ones. */
function lend(bytes: Uint8Array): Uint8Array {
  return new LentBytes(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkName(name: string): string {
  // Control characters are exactly what the pattern is for: a name must never carry them.
  // eslint-disable-next-line no-control-regex
  if (typeof name !== 'string' || name.trim() === '' || /[\u0000-\u001f\u007f]/.test(name))
    throw new LibraryError('invalid-name', `invalid entry name ${JSON.stringify(name)}: must be non-empty, without control characters`);
  return name;
}

function checkLength(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new RangeError(`${what} has ${actual} values where ${expected} were expected`);
}

export class FingerprintLibrary {
  private db: Database | null;
  private dirty = false;

  private constructor(
    private readonly file: string,
    db: Database,
    private readonly lock: WriterLock | null,
    private diskVersion: number,
    private diskSha256: string,
  ) {
    this.db = db;
    db.exec('PRAGMA foreign_keys = ON');
  }

  /** Creates a new, empty library file; refuses ('exists') to replace any existing file. */
  static async create(file: string, opts: { createdBy?: string } = {}): Promise<FingerprintLibrary> {
    const abs = path.resolve(file);
    if (existsSync(abs)) throw new LibraryError('exists', `${abs} already exists; not overwriting it`);
    const SQL = await loadSql();
    const lock = WriterLock.acquire(abs);
    try {
      const db = new SQL.Database();
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
      migrate(db, 0);
      const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      for (const [k, v] of [
        ['created_at', localIsoTimestamp()],
        ['library_uuid', randomUUID()],
        ['created_by', opts.createdBy ?? `Genprint ${safeVersion()}`],
      ])
        meta.run([k, v]);
      meta.free();
      const bytes = db.export();
      atomicCreate(abs, bytes);
      return new FingerprintLibrary(abs, db, lock, SCHEMA_VERSION, sha256Hex(bytes));
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * Opens a library. Writable opens take the writer lock and bring an older schema up to date on disk
   * (keeping the previous file as `<file>.schema-v<N>.bak`); read-only opens migrate in memory only.
   * A file that fails any check is never written to.
   */
  static async open(file: string, opts: OpenOptions = {}): Promise<FingerprintLibrary> {
    const abs = path.resolve(file);
    const readOnly = opts.readOnly ?? false;
    const SQL = await loadSql();
    const lock = readOnly ? null : WriterLock.acquire(abs);
    try {
      let bytes: Uint8Array;
      try {
        // Asynchronous: the read runs on libuv's threads while work started before the open (an
        // analysis creates its ONNX Runtime sessions meanwhile) goes on.
        bytes = await readFile(abs);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new LibraryError('not-found', `no library at ${abs}`);
        if (code === 'EISDIR') throw new LibraryError('not-a-library', `${abs} is a folder, not a Genprint library`);
        throw err;
      }
      checkSqliteHeader(abs, bytes);
      // The digest is taken before sql.js sees the bytes. A writable open hands sql.js a copy (it
      // needs the bytes as read for the backup below); a read-only open lends them (LentBytes).
      const fileSha256 = sha256Hex(bytes);
      const db = new SQL.Database(readOnly ? lend(bytes) : new Uint8Array(bytes));
      try {
        const version = inspect(abs, db);
        const lib = new FingerprintLibrary(abs, db, lock, version, fileSha256);
        if (version < SCHEMA_VERSION) {
          migrate(db, version);
          if (!readOnly) {
            atomicCreateBackup(`${abs}.schema-v${version}.bak`, bytes);
            lib.addMissingDigests();
            lib.dirty = true;
            lib.save();
          }
        }
        removeLeftoverTemps(abs, readOnly);
        return lib;
      } catch (err) {
        db.close();
        throw err;
      }
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  get path(): string {
    return this.file;
  }

  /** Schema version of the file on disk (a read-only open of an older file migrates in memory only). */
  get schemaVersion(): number {
    return this.diskVersion;
  }

  get readOnly(): boolean {
    return this.lock === null;
  }

  /** SHA-256 of the file's bytes as last read or written by this object: exactly what was analysed. */
  fileSha256(): string {
    return this.diskSha256;
  }

  /** Replaces the file with the in-memory state (no-op when nothing changed). */
  save(): void {
    const db = this.assertWritable();
    if (!this.dirty) return;
    const bytes = db.export();
    db.exec('PRAGMA foreign_keys = ON'); // export() reopens the connection, resetting per-connection pragmas
    atomicReplace(this.file, bytes);
    this.diskSha256 = sha256Hex(bytes);
    this.diskVersion = userVersion(db);
    this.dirty = false;
    removeStaleTemps(this.file);
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.lock?.release();
  }

  // ---- entries ----

  listEntries(): LibraryEntrySummary[] {
    return this.rows('SELECT * FROM entries ORDER BY lower(name), name').map((r) => this.summary(r));
  }

  /**
   * The bank ids every entry has, computed for `modelHash`, in the grid's terms (banks.ts
   * commonBanks without reading the entries' data): the banks attribution can use.
   */
  sharedBankIds(modelHash: string): string[] {
    const entries = Number(this.rows('SELECT count(*) AS n FROM entries')[0].n);
    if (entries === 0) return [];
    return this.rows('SELECT bank FROM reference_banks WHERE model_hash = ? GROUP BY bank HAVING count(DISTINCT entry_id) = ? ORDER BY bank', [
      modelHash,
      entries,
    ]).map((r) => String(r.bank));
  }

  /**
   * One entry with all its stored parts. Its rows are checked against the digest written with them
   * first: an entry that no longer matches is refused ('damaged', named) rather than read.
   */
  getEntry(nameOrId: string | number): LibraryEntry {
    const id = this.resolveId(nameOrId);
    const parts = this.entryRows(id);
    const [row, fp, feats, bags, centroid, held, mp, stats] = parts;
    const banks = this.bankRows(id);
    this.verifyEntry(id, parts, banks);
    const summary = this.summary(row!);
    const what = (table: string) => `${this.file}: ${table} of entry "${summary.name}"`;
    if (!fp) throw new LibraryError('corrupt', `${what('residual fingerprint')} is missing`);
    const w = Number(fp.width);
    const h = Number(fp.height);
    const entry: LibraryEntry = {
      ...summary,
      calibration: this.parseJson(row!, 'calibration') as EntryCalibration,
      residualFingerprint: {
        width: w,
        height: h,
        count: Number(fp.count),
        data: blobToFloats(fp.data as Uint8Array, 3 * w * h, what('residual fingerprint')),
      },
    };
    if (feats) entry.imageFeatures = perImageRows(feats, what('image features'));
    if (bags) {
      const dim = Number(bags.dim);
      const count = Number(bags.count);
      entry.bagEmbeddings = {
        dim,
        count,
        bagSize: Number(bags.bag_size),
        data: blobToFloats(bags.data as Uint8Array, dim * count, what('bag embeddings')),
      };
    }
    if (centroid) entry.centroid = blobToFloats(centroid.data as Uint8Array, Number(centroid.dim), what('centroid'));
    if (held) {
      const [hw, hh, count] = [Number(held.width), Number(held.height), Number(held.count)];
      entry.heldOutResiduals = {
        width: hw,
        height: hh,
        count,
        data: blobToFloats(held.data as Uint8Array, count * 3 * hw * hh, what('held-out residuals')),
      };
    }
    if (stats) entry.residualStatistics = perImageRows(stats, what('residual statistics'));
    if (mp) entry.manifold = manifoldFromRow(mp, what);
    if (banks.length > 0) entry.banks = banks.map((b) => bankFromRow(b, what));
    return entry;
  }

  /**
   * Every entry, in list order. Damaged entries are all named in one 'damaged' error, so a library
   * with several is diagnosed in one run.
   */
  getAllEntries(): LibraryEntry[] {
    const ids = this.rows('SELECT id FROM entries ORDER BY lower(name), name').map((r) => Number(r.id));
    const out: LibraryEntry[] = [];
    const damaged: number[] = [];
    for (const id of ids) {
      try {
        out.push(this.getEntry(id));
      } catch (err) {
        if (!(err instanceof LibraryError && err.code === 'damaged')) throw err;
        damaged.push(id);
      }
    }
    if (damaged.length === 1) throw this.damagedError(damaged[0]);
    if (damaged.length > 1)
      throw new LibraryError(
        'damaged',
        `${this.file}: ${damaged.length} entries are damaged (what is stored for them no longer matches the digest written with it): ` +
          `${damaged.map((id) => this.describeEntry(id)).join(', ')}. Remove them (genprint library remove) and enrol them again, or use an undamaged copy of the library.`,
      );
    return out;
  }

  /** Names of entries written before schema v5, which have no digest to check yet (a writable open adds it). */
  unverifiedEntries(): string[] {
    return this.rows('SELECT name FROM entries WHERE content_sha256 IS NULL ORDER BY lower(name), name').map((r) => String(r.name));
  }

  addEntry(e: NewLibraryEntry): LibraryEntrySummary {
    const db = this.writable();
    const name = checkName(e.name);
    if (this.findId(name) !== undefined) throw new LibraryError('name-taken', `${this.file} already has an entry named "${name}"`);
    const fp = e.residualFingerprint;
    checkLength('residual fingerprint', fp.data.length, 3 * fp.width * fp.height);
    if (e.imageFeatures) checkLength('image features', e.imageFeatures.data.length, e.imageFeatures.sha256.length * e.imageFeatures.dim);
    if (e.bagEmbeddings) checkLength('bag embeddings', e.bagEmbeddings.data.length, e.bagEmbeddings.count * e.bagEmbeddings.dim);
    const stats = e.residualStatistics;
    if (stats) checkLength('residual statistics', stats.data.length, stats.sha256.length * stats.dim);
    const held = e.heldOutResiduals;
    if (held) checkLength('held-out residuals', held.data.length, held.count * 3 * held.width * held.height);
    for (const b of e.banks ?? []) {
      checkLength(`bank ${b.id} features`, b.features.data.length, b.sha256.length * b.features.dim);
      if (b.statistics) checkLength(`bank ${b.id} residual statistics`, b.statistics.data.length, b.sha256.length * b.statistics.dim);
    }

    const model = e.modelVersion;
    this.transaction(() => {
      db.run(
        `INSERT INTO entries (name, family, notes, created_at, provenance, method, model_version, calibration)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [name, e.family, e.notes ?? '', e.createdAt ?? localIsoTimestamp(), JSON.stringify(e.provenance), e.method, model, JSON.stringify(e.calibration ?? {})],
      );
      const id = Number(db.exec('SELECT last_insert_rowid()')[0].values[0][0]);
      db.run('INSERT INTO residual_fingerprints VALUES (?, ?, ?, ?, ?)', [id, fp.width, fp.height, fp.count, floatsToBlob(fp.data)]);
      if (e.imageFeatures) {
        const f = e.imageFeatures;
        db.run('INSERT INTO image_features VALUES (?, ?, ?, ?, ?, ?)', [id, model, f.dim, f.sha256.length, JSON.stringify(f.sha256), floatsToBlob(f.data)]);
      }
      if (e.bagEmbeddings) {
        const b = e.bagEmbeddings;
        db.run('INSERT INTO bag_embeddings VALUES (?, ?, ?, ?, ?, ?)', [id, model, b.dim, b.count, b.bagSize, floatsToBlob(b.data)]);
      }
      if (e.centroid) db.run('INSERT INTO centroids VALUES (?, ?, ?, ?)', [id, model, e.centroid.length, floatsToBlob(e.centroid)]);
      if (held) db.run('INSERT INTO held_out_residuals VALUES (?, ?, ?, ?, ?)', [id, held.width, held.height, held.count, floatsToBlob(held.data)]);
      if (stats)
        db.run('INSERT INTO residual_statistics VALUES (?, ?, ?, ?, ?)', [
          id,
          stats.dim,
          stats.sha256.length,
          JSON.stringify(stats.sha256),
          floatsToBlob(stats.data),
        ]);
      if (e.manifold) db.run(`INSERT INTO manifold_parts VALUES (${new Array(20).fill('?').join(', ')})`, [id, ...manifoldRow(e.manifold)]);
      for (const b of e.banks ?? [])
        db.run(`INSERT INTO reference_banks (entry_id, ${BANK_COLUMNS.join(', ')}) VALUES (${new Array(BANK_COLUMNS.length + 1).fill('?').join(', ')})`, [
          id,
          b.id,
          b.processing,
          b.modelHash,
          b.sha256.length,
          JSON.stringify(b.sha256),
          b.features.dim,
          floatsToBlob(b.features.data),
          b.statistics?.dim ?? null,
          b.statistics ? floatsToBlob(b.statistics.data) : null,
          JSON.stringify(b.calibration ?? {}),
        ]);
      this.storeDigest(id);
      this.dropDerived(db);
    });
    return this.listEntries().find((s) => s.name === name)!;
  }

  renameEntry(nameOrId: string | number, newName: string): void {
    const db = this.writable();
    const id = this.resolveId(nameOrId);
    checkName(newName);
    const other = this.findId(newName);
    if (other === id) return;
    if (other !== undefined) throw new LibraryError('name-taken', `${this.file} already has an entry named "${newName}"`);
    this.verifyEntry(id, this.entryRows(id));
    this.transaction(() => {
      db.run('UPDATE entries SET name = ? WHERE id = ?', [newName, id]);
      this.storeDigest(id);
      this.dropDerived(db); // computed with the old name
    });
  }

  removeEntry(nameOrId: string | number): void {
    const db = this.writable();
    const id = this.resolveId(nameOrId);
    this.transaction(() => {
      for (const table of [
        'residual_fingerprints',
        'image_features',
        'bag_embeddings',
        'centroids',
        'held_out_residuals',
        'manifold_parts',
        'residual_statistics',
        'reference_banks',
      ])
        db.run(`DELETE FROM ${table} WHERE entry_id = ?`, [id]);
      db.run('DELETE FROM entries WHERE id = ?', [id]);
      this.dropDerived(db);
    });
  }

  setNotes(nameOrId: string | number, notes: string): void {
    const db = this.writable();
    const id = this.resolveId(nameOrId);
    this.verifyEntry(id, this.entryRows(id));
    this.transaction(() => {
      db.run('UPDATE entries SET notes = ? WHERE id = ?', [notes, id]);
      this.storeDigest(id);
    });
  }

  // ---- the fitted library classifier ----

  /**
   * The classifier stored under `key`, or null. One whose bytes no longer match the digest written
   * with them is refused ('damaged'): `genprint library fit` writes it again.
   */
  storedClassifier(key: string): StoredClassifier | null {
    const row = this.rows('SELECT * FROM classifiers WHERE key = ?', [key])[0];
    if (!row) return null;
    const data = row.data as Uint8Array;
    const damaged = (why: string) =>
      new LibraryError(
        'damaged',
        `${this.file}: the stored library classifier (${String(row.view)}) is damaged (${why}); run 'genprint library fit ${this.file}' to fit it again`,
      );
    if (!(data instanceof Uint8Array) || sha256Hex(data) !== String(row.data_sha256)) throw damaged('its bytes no longer match their digest');
    let classifier: FusedClassifier;
    try {
      classifier = deserializeClassifier(data);
    } catch (err) {
      throw damaged((err as Error).message);
    }
    return {
      key,
      view: String(row.view),
      modelHash: String(row.model_hash),
      fittedAt: String(row.fitted_at),
      fittedBy: String(row.fitted_by),
      seconds: Number(row.seconds),
      classifier,
    };
  }

  /** Keys and views of the stored classifiers (without their data). */
  storedClassifierKeys(): { key: string; view: string; modelHash: string; fittedAt: string; seconds: number }[] {
    return this.rows('SELECT key, view, model_hash, fitted_at, seconds FROM classifiers ORDER BY view, key').map((r) => ({
      key: String(r.key),
      view: String(r.view),
      modelHash: String(r.model_hash),
      fittedAt: String(r.fitted_at),
      seconds: Number(r.seconds),
    }));
  }

  /** Stores a fitted classifier under its key (replacing one with the same key). */
  putClassifier(c: Omit<StoredClassifier, 'fittedAt' | 'fittedBy'> & { fittedAt?: string; fittedBy?: string }): void {
    const db = this.writable();
    const data = serializeClassifier(c.classifier);
    db.run('INSERT OR REPLACE INTO classifiers (key, view, model_hash, fitted_at, fitted_by, seconds, data, data_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      c.key,
      c.view,
      c.modelHash,
      c.fittedAt ?? localIsoTimestamp(),
      c.fittedBy ?? `Genprint ${safeVersion()}`,
      c.seconds,
      data,
      sha256Hex(data),
    ]);
  }

  /** Removes stored classifiers: all of them, or those whose key is not in `keep`. */
  removeClassifiers(keep: string[] = []): void {
    this.assertWritable();
    const stale = this.storedClassifierKeys().filter((c) => !keep.includes(c.key));
    if (stale.length === 0) return;
    const db = this.writable();
    for (const c of stale) db.run('DELETE FROM classifiers WHERE key = ?', [c.key]);
  }

  // ---- library analyses (what an analysis needs from the entries alone) ----

  /**
   * The library × library matrix stored under `key`, or null. One whose bytes no longer match the
   * digest written with them is refused ('damaged'): `genprint library fit` computes it again.
   */
  storedLibraryMatrix(key: string): StoredLibraryMatrix | null {
    const stored = this.storedAnalysis(key, 'library-matrix', 'library × library matrix', deserializeLibraryMatrix);
    if (!stored) return null;
    const { value: matrix, ...rest } = stored;
    return { ...rest, matrix };
  }

  /**
   * The calibration statistics stored under `key`, or null. Ones whose bytes no longer match the
   * digest written with them are refused ('damaged'): `genprint library fit` computes them again.
   */
  storedCalibration(key: string): StoredCalibration | null {
    const stored = this.storedAnalysis(key, 'calibration', 'calibration of the library classifier', deserializeCalibrationStatistics);
    if (!stored) return null;
    const { value: statistics, ...rest } = stored;
    return { ...rest, statistics };
  }

  /**
   * One row of library_analyses, checked against the digest written with its bytes and decoded;
   * a mismatch or an undecodable row is 'damaged', naming what it was and how to rebuild it.
   */
  private storedAnalysis<T>(
    key: string,
    kind: string,
    what: string,
    decode: (data: Uint8Array) => T,
  ): { key: string; view: string; computedAt: string; computedBy: string; seconds: number; value: T } | null {
    const row = this.rows('SELECT * FROM library_analyses WHERE key = ? AND kind = ?', [key, kind])[0];
    if (!row) return null;
    const data = row.data as Uint8Array;
    const damaged = (why: string) =>
      new LibraryError(
        'damaged',
        `${this.file}: the stored ${what} (${String(row.view)}) is damaged (${why}); run 'genprint library fit ${this.file}' to compute it again`,
      );
    if (!(data instanceof Uint8Array) || sha256Hex(data) !== String(row.data_sha256)) throw damaged('its bytes no longer match their digest');
    let value: T;
    try {
      value = decode(data);
    } catch (err) {
      throw damaged((err as Error).message);
    }
    return { key, view: String(row.view), computedAt: String(row.computed_at), computedBy: String(row.computed_by), seconds: Number(row.seconds), value };
  }

  /** Stores calibration statistics under their key (replacing ones with the same key). */
  putCalibration(c: Omit<StoredCalibration, 'computedAt' | 'computedBy'> & { computedAt?: string; computedBy?: string }): void {
    this.putAnalysis(c.key, 'calibration', c.view, c, serializeCalibrationStatistics(c.statistics));
  }

  /** Keys, kinds and views of the stored library analyses (without their data). */
  storedAnalysisKeys(): { key: string; kind: string; view: string; computedAt: string; seconds: number }[] {
    return this.rows('SELECT key, kind, view, computed_at, seconds FROM library_analyses ORDER BY kind, view, key').map((r) => ({
      key: String(r.key),
      kind: String(r.kind),
      view: String(r.view),
      computedAt: String(r.computed_at),
      seconds: Number(r.seconds),
    }));
  }

  /** Stores a library × library matrix under its key (replacing one with the same key). */
  putLibraryMatrix(m: Omit<StoredLibraryMatrix, 'computedAt' | 'computedBy'> & { computedAt?: string; computedBy?: string }): void {
    this.putAnalysis(m.key, 'library-matrix', m.view, m, serializeLibraryMatrix(m.matrix));
  }

  private putAnalysis(key: string, kind: string, view: string, m: { computedAt?: string; computedBy?: string; seconds: number }, data: Uint8Array): void {
    this.writable().run(
      'INSERT OR REPLACE INTO library_analyses (key, kind, view, computed_at, computed_by, seconds, data, data_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [key, kind, view, m.computedAt ?? localIsoTimestamp(), m.computedBy ?? `Genprint ${safeVersion()}`, m.seconds, data, sha256Hex(data)],
    );
  }

  /** Removes stored library analyses: all of them, or those whose key is not in `keep`. */
  removeAnalyses(keep: string[] = []): void {
    this.assertWritable();
    const stale = this.storedAnalysisKeys().filter((a) => !keep.includes(a.key));
    if (stale.length === 0) return;
    const db = this.writable();
    for (const a of stale) db.run('DELETE FROM library_analyses WHERE key = ?', [a.key]);
  }

  // ---- feature cache ----

  getCachedFeatures(sha256: string, modelHash: string): Float32Array | undefined {
    const row = this.rows('SELECT dim, data FROM feature_cache WHERE sha256 = ? AND model_hash = ?', [sha256, modelHash])[0];
    return row ? blobToFloats(row.data as Uint8Array, Number(row.dim), `${this.file}: cached features of ${sha256}`) : undefined;
  }

  putCachedFeatures(sha256: string, modelHash: string, features: Float32Array): void {
    this.writable().run('INSERT OR REPLACE INTO feature_cache VALUES (?, ?, ?, ?)', [sha256, modelHash, features.length, floatsToBlob(features)]);
  }

  // ---- sharing between libraries ----

  /** Writes the named entries (all by default) into a new library file at dest, never replacing a file. */
  async exportEntries(dest: string, names?: string[]): Promise<LibraryEntrySummary[]> {
    const chosen = names ? [...new Set(names.map((n) => this.resolveId(n)))] : this.listEntries().map((e) => e.id);
    const entries = chosen.map((id) => this.getEntry(id));
    const out = await FingerprintLibrary.create(dest, { createdBy: `Genprint ${safeVersion()} (export of ${this.file})` });
    try {
      for (const e of entries) out.addEntry(withoutId(e));
      out.save();
      return out.listEntries();
    } finally {
      out.close();
    }
  }

  /**
   * Merges the entries of another library. A clashing name gets a " (2)", " (3)"… suffix; an entry
   * already present (same name or a suffixed copy of it, same provenance digest) is skipped.
   */
  async importFrom(source: string): Promise<ImportResult> {
    this.assertWritable();
    const src = await FingerprintLibrary.open(source, { readOnly: true });
    let entries: LibraryEntry[];
    try {
      entries = src.getAllEntries();
    } finally {
      src.close();
    }
    const result: ImportResult = { imported: [], renamed: [], skipped: [] };
    for (const e of entries) {
      const mine = this.listEntries();
      const copies = mine.filter((m) => m.name === e.name || isSuffixedCopy(m.name, e.name));
      if (copies.some((m) => m.provenance.sha256ListDigest === e.provenance.sha256ListDigest)) {
        result.skipped.push(e.name);
        continue;
      }
      let name = e.name;
      const taken = new Set(mine.map((m) => m.name));
      for (let k = 2; taken.has(name); k++) name = `${e.name} (${k})`;
      this.addEntry({ ...withoutId(e), name });
      result.imported.push(name);
      if (name !== e.name) result.renamed.push({ from: e.name, to: name });
    }
    return result;
  }

  /** Library-level metadata: created_at, library_uuid, created_by. */
  meta(): Record<string, string> {
    return Object.fromEntries(this.rows('SELECT key, value FROM meta').map((r) => [String(r.key), String(r.value)]));
  }

  /** Runs SQLite's full integrity check on the in-memory copy; returns its messages ('ok' when sound). */
  integrityCheck(): string[] {
    return this.rows('PRAGMA integrity_check').map((r) => String(Object.values(r)[0]));
  }

  // ---- internals ----

  /** The rows that hold entry `id`, one per DIGESTED_PARTS table (undefined where it has none). */
  private entryRows(id: number): (Row | undefined)[] {
    return DIGESTED_PARTS.map(([table]) => this.rows(`SELECT * FROM ${table} WHERE ${table === 'entries' ? 'id' : 'entry_id'} = ?`, [id])[0]);
  }

  /** The reference-bank rows of entry `id`, ordered by bank id (schema v7). */
  private bankRows(id: number): Row[] {
    return this.rows('SELECT * FROM reference_banks WHERE entry_id = ? ORDER BY bank', [id]);
  }

  private verifyEntry(id: number, parts: (Row | undefined)[], banks: Row[] = this.bankRows(id)): void {
    const stored = parts[0]?.content_sha256;
    if (stored === null || stored === undefined) return; // written before schema v5: nothing to check against
    if (entryDigest(parts, banks) !== String(stored)) throw this.damagedError(id);
  }

  /** A change of the entries makes everything computed from them stale: the library operations compute it again before saving. */
  private dropDerived(db: Database): void {
    db.run('DELETE FROM classifiers');
    db.run('DELETE FROM library_analyses');
  }

  private storeDigest(id: number): void {
    this.live().run('UPDATE entries SET content_sha256 = ? WHERE id = ?', [entryDigest(this.entryRows(id), this.bankRows(id)), id]);
  }

  /** Digests for entries written before schema v5 (on the writable open that upgrades the file). */
  private addMissingDigests(): void {
    for (const r of this.rows('SELECT id FROM entries WHERE content_sha256 IS NULL')) this.storeDigest(Number(r.id));
  }

  /** `"name" (id N)`, the name escaped as JSON so a damaged one cannot carry control characters into a message. */
  private describeEntry(id: number): string {
    let name: string;
    try {
      name = String(this.rows('SELECT name FROM entries WHERE id = ?', [id])[0]?.name ?? '?');
    } catch {
      name = '?';
    }
    return `${JSON.stringify(name)} (id ${id})`;
  }

  private damagedError(id: number): LibraryError {
    return new LibraryError(
      'damaged',
      `${this.file}: entry ${this.describeEntry(id)} is damaged: what is stored for it no longer matches the digest written with it. ` +
        'Remove it (genprint library remove) and enrol it again, or use an undamaged copy of the library.',
    );
  }

  private parseJson(row: Row, column: string): unknown {
    try {
      return JSON.parse(String(row[column]));
    } catch {
      throw this.damagedError(Number(row.id));
    }
  }

  private summary(r: Row): LibraryEntrySummary {
    return {
      id: Number(r.id),
      name: String(r.name),
      family: String(r.family),
      notes: String(r.notes),
      createdAt: String(r.created_at),
      provenance: this.parseJson(r, 'provenance') as EnrolmentProvenance,
      method: String(r.method),
      modelVersion: String(r.model_version),
    };
  }

  private live(): Database {
    if (!this.db) throw new LibraryError('closed', `${this.file} is closed`);
    return this.db;
  }

  private assertWritable(): Database {
    const db = this.live();
    if (!this.lock) throw new LibraryError('read-only', `${this.file} was opened read-only`);
    return db;
  }

  /** The database, for a change that the next save() must write. */
  private writable(): Database {
    const db = this.assertWritable();
    this.dirty = true;
    return db;
  }

  private rows(sql: string, params: SqlValue[] = []): Row[] {
    const stmt = this.live().prepare(sql);
    try {
      stmt.bind(params);
      const out: Row[] = [];
      while (stmt.step()) out.push(stmt.getAsObject());
      return out;
    } finally {
      stmt.free();
    }
  }

  private transaction(fn: () => void): void {
    const db = this.live();
    db.exec('SAVEPOINT op');
    try {
      fn();
      db.exec('RELEASE op');
    } catch (err) {
      db.exec('ROLLBACK TO op; RELEASE op');
      throw err;
    }
  }

  private findId(name: string): number | undefined {
    const row = this.rows('SELECT id FROM entries WHERE name = ?', [name])[0];
    return row ? Number(row.id) : undefined;
  }

  /** A name first; a string of digits that names no entry is taken as an id. */
  private resolveId(nameOrId: string | number): number {
    if (typeof nameOrId === 'number') {
      if (this.rows('SELECT 1 FROM entries WHERE id = ?', [nameOrId]).length) return nameOrId;
    } else {
      const byName = this.findId(nameOrId);
      if (byName !== undefined) return byName;
      if (/^\d+$/.test(nameOrId)) {
        const id = Number(nameOrId);
        if (this.rows('SELECT 1 FROM entries WHERE id = ?', [id]).length) return id;
      }
    }
    throw new LibraryError('no-such-entry', `${this.file} has no entry ${typeof nameOrId === 'number' ? `with id ${nameOrId}` : `"${nameOrId}"`}`);
  }
}

/** Opens `file` for writing (with the lock), runs fn, saves if it changed anything, and always closes. */
export async function withLibrary<T>(file: string, fn: (lib: FingerprintLibrary) => T | Promise<T>): Promise<T> {
  const lib = await FingerprintLibrary.open(file);
  try {
    const result = await fn(lib);
    lib.save();
    return result;
  } finally {
    lib.close();
  }
}

/**
 * Removes temp files that saves killed mid-write left beside the library (each up to the library's
 * size). A writer holds the lock, so every such file is a leftover. A reader removes only those of
 * processes that no longer run on this host, and only while no writer may be active: the folder is
 * listed before the lock is checked, so a writer that starts meanwhile writes a temp file the
 * listing does not contain. Best effort: a read-only folder keeps its files.
 */
function removeLeftoverTemps(file: string, readOnly: boolean): void {
  if (!readOnly) return void removeStaleTemps(file);
  let active: boolean | undefined;
  removeStaleTemps(file, (pid) => (active ??= writerMayBeActive(file)) || pidAlive(pid));
}

/** Checks that an open sql.js database is a sound Genprint library this software can read; returns its version. */
function inspect(file: string, db: Database): number {
  let appId: number;
  let version: number;
  let tables: Set<string>;
  try {
    appId = applicationId(db);
    version = userVersion(db);
    tables = new Set(db.exec("SELECT name FROM sqlite_master WHERE type = 'table'")[0]?.values.map((v) => String(v[0])) ?? []);
  } catch (err) {
    throw new LibraryError('corrupt', `${file} is corrupt: ${(err as Error).message}`, { cause: err });
  }
  if (appId !== APPLICATION_ID) throw new LibraryError('not-a-library', `${file} is an SQLite database but not a Genprint library`);
  if (version > SCHEMA_VERSION)
    throw new LibraryError(
      'newer-schema',
      `${file} uses library schema v${version}, newer than this version of Genprint understands (v${SCHEMA_VERSION}); update Genprint`,
    );
  if (version < 1 || CORE_TABLES.some((t) => !tables.has(t)))
    throw new LibraryError('not-a-library', `${file} is marked as a Genprint library but lacks its tables`);
  let check: string;
  try {
    check = db
      .exec('PRAGMA quick_check')[0]
      .values.map((v) => String(v[0]))
      .join('; ');
  } catch (err) {
    throw new LibraryError('corrupt', `${file} is corrupt: ${(err as Error).message}`, { cause: err });
  }
  if (check !== 'ok') throw new LibraryError('corrupt', `${file} is corrupt: ${check.slice(0, 200)}`);
  return version;
}

function withoutId(e: LibraryEntry): NewLibraryEntry {
  const { id: _id, ...rest } = e;
  return rest;
}

function isSuffixedCopy(candidate: string, name: string): boolean {
  return candidate.startsWith(`${name} (`) && /^ \(\d+\)$/.test(candidate.slice(name.length));
}

function atomicCreateBackup(file: string, bytes: Uint8Array): void {
  try {
    atomicCreate(file, bytes);
  } catch (err) {
    if (!(err instanceof LibraryError && err.code === 'exists')) throw err; // an earlier backup of this version stays
  }
}

function safeVersion(): string {
  try {
    return softwareVersion();
  } catch {
    return 'unknown';
  }
}

/** Column values of a manifold_parts row after entry_id, in table order (migration v3). */
function manifoldRow(m: ManifoldParts): (string | number | Uint8Array | null)[] {
  const fp = m.artifactFingerprint;
  checkLength('artifact fingerprint', fp.data.length, 3 * fp.width * fp.height);
  const f = m.imageFeatures;
  if (f) checkLength('manifold image features', f.data.length, f.sha256.length * f.dim);
  const b = m.bagEmbeddings;
  if (b) checkLength('manifold bag embeddings', b.data.length, b.count * b.dim);
  const h = m.heldOutArtifacts;
  if (h) checkLength('held-out artifacts', h.data.length, h.count * 3 * h.width * h.height);
  return [
    m.modelHash,
    m.projectorHash,
    JSON.stringify(m.calibration ?? {}),
    fp.width,
    fp.height,
    fp.count,
    floatsToBlob(fp.data),
    f?.dim ?? null,
    f ? JSON.stringify(f.sha256) : null,
    f ? floatsToBlob(f.data) : null,
    b?.dim ?? null,
    b?.count ?? null,
    b?.bagSize ?? null,
    b ? floatsToBlob(b.data) : null,
    m.centroid ? floatsToBlob(m.centroid) : null,
    h?.width ?? null,
    h?.height ?? null,
    h?.count ?? null,
    h ? floatsToBlob(h.data) : null,
  ];
}

function manifoldFromRow(r: Row, what: (part: string) => string): ManifoldParts {
  const [w, h] = [Number(r.fp_width), Number(r.fp_height)];
  const parts: ManifoldParts = {
    modelHash: String(r.model_hash),
    projectorHash: String(r.projector_hash),
    calibration: JSON.parse(String(r.calibration)) as EntryCalibration,
    artifactFingerprint: {
      width: w,
      height: h,
      count: Number(r.fp_count),
      data: blobToFloats(r.fp_data as Uint8Array, 3 * w * h, what('artifact fingerprint')),
    },
  };
  if (r.feat_data) {
    const sha256 = JSON.parse(String(r.feat_sha256_list)) as string[];
    const dim = Number(r.feat_dim);
    parts.imageFeatures = { dim, sha256, data: blobToFloats(r.feat_data as Uint8Array, sha256.length * dim, what('manifold features')) };
  }
  if (r.bag_data) {
    const [dim, count] = [Number(r.bag_dim), Number(r.bag_count)];
    parts.bagEmbeddings = {
      dim,
      count,
      bagSize: Number(r.bag_size),
      data: blobToFloats(r.bag_data as Uint8Array, dim * count, what('manifold bag embeddings')),
    };
  }
  if (r.centroid)
    parts.centroid = blobToFloats(r.centroid as Uint8Array, parts.bagEmbeddings?.dim ?? (r.centroid as Uint8Array).length / 4, what('manifold centroid'));
  if (r.held_data) {
    const [hw, hh, count] = [Number(r.held_width), Number(r.held_height), Number(r.held_count)];
    parts.heldOutArtifacts = { width: hw, height: hh, count, data: blobToFloats(r.held_data as Uint8Array, count * 3 * hw * hh, what('held-out artifacts')) };
  }
  return parts;
}

/** A reference_banks row (migration v7) as a ReferenceBank; a bank whose calibration JSON does not parse is damaged, like its digest. */
function bankFromRow(r: Row, what: (part: string) => string): ReferenceBank {
  const id = String(r.bank);
  const sha256 = JSON.parse(String(r.sha256_list)) as string[];
  const dim = Number(r.feat_dim);
  const statDim = r.stat_data ? Number(r.stat_dim) : 0;
  return {
    id,
    processing: String(r.processing),
    modelHash: String(r.model_hash),
    sha256,
    features: { dim, data: blobToFloats(r.feat_data as Uint8Array, sha256.length * dim, what(`bank ${id} features`)) },
    statistics: r.stat_data
      ? { dim: statDim, data: blobToFloats(r.stat_data as Uint8Array, sha256.length * statDim, what(`bank ${id} residual statistics`)) }
      : null,
    calibration: JSON.parse(String(r.calibration)) as EntryCalibration,
  };
}
