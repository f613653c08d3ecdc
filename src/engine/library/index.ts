// The fingerprint library: one durable SQLite file per library (see docs/architecture.md, "Database").
export {
  FingerprintLibrary,
  withLibrary,
  localIsoTimestamp,
  type ImportResult,
  type OpenOptions,
  type StoredClassifier,
  type StoredLibraryMatrix,
  type StoredCalibration,
} from './library.js';
export { LibraryError, type LibraryErrorCode } from './errors.js';
export { APPLICATION_ID, SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';
export { loadSql } from './database.js';
export { lockPath } from './lock.js';
