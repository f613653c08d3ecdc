// Schema versions. `PRAGMA user_version` holds the version of a file; MIGRATIONS[i] takes a database
// from version i to i + 1. Append only: a released migration is never edited, so every library ever
// written can be brought forward step by step.
import type { Database } from './database.js';

/** 'GPRT': marks an SQLite file as a Genprint library (`PRAGMA application_id`). */
export const APPLICATION_ID = 0x47505254;

export type Migration = (db: Database) => void;

export const MIGRATIONS: readonly Migration[] = [
  // v1: entries with their residual fingerprint, φ features, bag embeddings and centroid, plus the
  // feature cache keyed by file content so unchanged files are never re-encoded.
  (db) =>
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      -- AUTOINCREMENT: an id quoted in a report is never reused by a later entry.
      CREATE TABLE entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        family TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        provenance TEXT NOT NULL,
        method TEXT NOT NULL,
        model_version TEXT NOT NULL,
        calibration TEXT NOT NULL DEFAULT '{}'
      );
      CREATE TABLE residual_fingerprints (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        width INTEGER NOT NULL, height INTEGER NOT NULL, count INTEGER NOT NULL,
        data BLOB NOT NULL
      );
      CREATE TABLE image_features (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        model_hash TEXT NOT NULL, dim INTEGER NOT NULL, count INTEGER NOT NULL,
        sha256_list TEXT NOT NULL,
        data BLOB NOT NULL
      );
      CREATE TABLE bag_embeddings (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        model_hash TEXT NOT NULL, dim INTEGER NOT NULL, count INTEGER NOT NULL, bag_size INTEGER NOT NULL,
        data BLOB NOT NULL
      );
      CREATE TABLE centroids (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        model_hash TEXT NOT NULL, dim INTEGER NOT NULL,
        data BLOB NOT NULL
      );
      CREATE TABLE feature_cache (
        sha256 TEXT NOT NULL, model_hash TEXT NOT NULL, dim INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (sha256, model_hash)
      ) WITHOUT ROWID;
    `),
  // v2: held-out enrolment residuals, so the library × library matrix (Eq. 5) is computed on images
  // that did not shape the fingerprints. Older entries simply have none.
  (db) =>
    db.exec(`
      CREATE TABLE held_out_residuals (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        width INTEGER NOT NULL, height INTEGER NOT NULL, count INTEGER NOT NULL,
        data BLOB NOT NULL
      );
    `),
  // v3: the manifold method's enrolment (projector artifacts instead of wavelet residuals, manifold
  // set-encoder features): one row per entry, every part of it in its own column. Entries enrolled
  // before (or without the manifold models) have no row; the manifold method then says so.
  (db) =>
    db.exec(`
      CREATE TABLE manifold_parts (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        model_hash TEXT NOT NULL, projector_hash TEXT NOT NULL,
        calibration TEXT NOT NULL DEFAULT '{}',
        fp_width INTEGER NOT NULL, fp_height INTEGER NOT NULL, fp_count INTEGER NOT NULL, fp_data BLOB NOT NULL,
        feat_dim INTEGER, feat_sha256_list TEXT, feat_data BLOB,
        bag_dim INTEGER, bag_count INTEGER, bag_size INTEGER, bag_data BLOB,
        centroid BLOB,
        held_width INTEGER, held_height INTEGER, held_count INTEGER, held_data BLOB
      );
    `),
  // v4: per-image residual statistics (log spectrum and centred residual pixels) of the enrolment
  // images, the library classifier's evidence beside φ. Older entries have no row; the classifier
  // then uses φ alone and says which entries to re-enrol.
  (db) =>
    db.exec(`
      CREATE TABLE residual_statistics (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        dim INTEGER NOT NULL, count INTEGER NOT NULL,
        sha256_list TEXT NOT NULL,
        data BLOB NOT NULL
      );
    `),
  // v5: integrity and the fitted classifier. `content_sha256` is the digest of everything stored for
  // an entry (library.ts, entryDigest), checked whenever the entry is read, so damage that SQLite's
  // own checks cannot see (a changed byte inside a blob) is named instead of silently changing
  // scores; entries written before have NULL until a writable open adds it. `classifiers` holds the
  // library classifier fitted whenever the entries change, keyed by the digest of exactly what it was
  // fitted on, so an analysis never refits it (docs/architecture.md, "Fitting the library classifier").
  (db) =>
    db.exec(`
      ALTER TABLE entries ADD COLUMN content_sha256 TEXT;
      CREATE TABLE classifiers (
        key TEXT NOT NULL UNIQUE,
        view TEXT NOT NULL,
        model_hash TEXT NOT NULL,
        fitted_at TEXT NOT NULL,
        fitted_by TEXT NOT NULL,
        seconds REAL NOT NULL,
        data BLOB NOT NULL,
        data_sha256 TEXT NOT NULL
      );
    `),
  // v6: what an analysis needs that depends on the entries alone, computed with the classifier when
  // the library changes instead of on every analysis: for now the library × library matrix of Eq. 5
  // (kind 'library-matrix', one row per residual view), which grows with the square of the entries.
  // Keyed like the classifiers by the digest of exactly what it was computed from, and checked
  // against the SHA-256 of its bytes when read (docs/architecture.md, "Library analyses").
  (db) =>
    db.exec(`
      CREATE TABLE library_analyses (
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        view TEXT NOT NULL,
        computed_at TEXT NOT NULL,
        computed_by TEXT NOT NULL,
        seconds REAL NOT NULL,
        data BLOB NOT NULL,
        data_sha256 TEXT NOT NULL
      );
    `),
  // v7: reference banks (attribution/banks.ts): per entry and processing of the grid, the library
  // classifier's evidence of every reference image re-saved that way (φ features, residual
  // statistics) and the open-set calibration measured on them, so re-compressed evidence is judged
  // by a classifier fitted on references processed like it. Part of the entry's digest; entries
  // enrolled before (or without banks) have no rows and are judged with their clean references.
  (db) =>
    db.exec(`
      CREATE TABLE reference_banks (
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        bank TEXT NOT NULL,
        processing TEXT NOT NULL,
        model_hash TEXT NOT NULL,
        count INTEGER NOT NULL,
        sha256_list TEXT NOT NULL,
        feat_dim INTEGER NOT NULL, feat_data BLOB NOT NULL,
        stat_dim INTEGER, stat_data BLOB,
        calibration TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (entry_id, bank)
      );
    `),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Tables every version ≥ 1 has: their absence means the file is some other SQLite database. */
export const CORE_TABLES = ['meta', 'entries', 'residual_fingerprints'] as const;

export function userVersion(db: Database): number {
  return Number(db.exec('PRAGMA user_version')[0].values[0][0]);
}

export function applicationId(db: Database): number {
  return Number(db.exec('PRAGMA application_id')[0].values[0][0]);
}

/** Applies the migrations after `from`, all in one transaction: a failure leaves the data as it was. */
export function migrate(db: Database, from: number, to: number = SCHEMA_VERSION): void {
  if (from >= to) return;
  db.exec('BEGIN');
  try {
    for (let v = from; v < to; v++) MIGRATIONS[v](db);
    db.exec(`PRAGMA user_version = ${to}`);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
